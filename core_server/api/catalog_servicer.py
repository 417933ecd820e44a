"""CatalogService: the tenant's assets (packages join in the commerce issue)."""

from __future__ import annotations

from typing import Any

import grpc

from core_server.api.access import STAFF, rpc
from core_server.api.call_context import current_actor
from core_server.api.commerce_convert import KINDS, listed_package_message, package_message, spec_in
from core_server.api.convert import enum_filter, mask_paths, timestamp
from core_server.domain.actor import ADMIN_ROLES, ALL_ROLES
from core_server.domain.catalog.packages import CatalogService
from core_server.domain.errors import Violations
from core_server.domain.money.assets import Asset, AssetService
from sdk.billinghub.v1 import asset_pb2, catalog_service_pb2_grpc
from sdk.billinghub.v1 import catalog_service_pb2 as pb

Context = grpc.aio.ServicerContext[Any, Any]


def asset_message(asset: Asset) -> asset_pb2.Asset:
    return asset_pb2.Asset(
        code=asset.code, scale=asset.scale, display_name=asset.display_name, create_time=timestamp(asset.created_at)
    )


class CatalogServicer(catalog_service_pb2_grpc.CatalogServiceServicer):
    def __init__(self, assets: AssetService, catalog: CatalogService) -> None:
        self._assets = assets
        self._catalog = catalog

    @rpc(roles=ADMIN_ROLES, mutation=True)
    async def CreateAsset(self, request: pb.CreateAssetRequest, context: Context) -> pb.CreateAssetResponse:
        scale = request.scale if request.HasField("scale") else None
        asset = await self._assets.create(current_actor(), request.code, scale, request.display_name)
        return pb.CreateAssetResponse(asset=asset_message(asset))

    @rpc(roles=ALL_ROLES)
    async def GetAsset(self, request: pb.GetAssetRequest, context: Context) -> pb.GetAssetResponse:
        return pb.GetAssetResponse(asset=asset_message(await self._assets.get(current_actor(), request.code)))

    @rpc(roles=ALL_ROLES)
    async def ListAssets(self, request: pb.ListAssetsRequest, context: Context) -> pb.ListAssetsResponse:
        assets = await self._assets.list_assets(current_actor())
        return pb.ListAssetsResponse(assets=[asset_message(a) for a in assets])

    @rpc(roles=STAFF, mutation=True)
    async def CreatePackage(self, request: pb.CreatePackageRequest, context: Context) -> pb.CreatePackageResponse:
        package = await self._catalog.create(current_actor(), spec_in(request.package))
        return pb.CreatePackageResponse(package=package_message(package))

    @rpc(roles=STAFF, mutation=True)
    async def UpdatePackage(self, request: pb.UpdatePackageRequest, context: Context) -> pb.UpdatePackageResponse:
        package = await self._catalog.update(
            current_actor(), request.package.id, spec_in(request.package), mask_paths(request.update_mask)
        )
        return pb.UpdatePackageResponse(package=package_message(package))

    @rpc(roles=ALL_ROLES)
    async def GetPackage(self, request: pb.GetPackageRequest, context: Context) -> pb.GetPackageResponse:
        return pb.GetPackageResponse(
            package=package_message(await self._catalog.get(current_actor(), request.package_id))
        )

    @rpc(roles=ALL_ROLES)
    async def ListPackages(self, request: pb.ListPackagesRequest, context: Context) -> pb.ListPackagesResponse:
        v = Violations()
        kind = enum_filter(KINDS, request.kind, "kind", v)
        packages, token = await self._catalog.list_packages(
            current_actor(), request.category, request.active_only, kind, request.page_size, request.page_token, v
        )
        return pb.ListPackagesResponse(packages=[listed_package_message(p) for p in packages], next_page_token=token)

    @rpc(roles=STAFF, mutation=True)
    async def ArchivePackage(self, request: pb.ArchivePackageRequest, context: Context) -> pb.ArchivePackageResponse:
        package = await self._catalog.archive(current_actor(), request.package_id)
        return pb.ArchivePackageResponse(package=package_message(package))
