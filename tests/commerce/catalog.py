"""Helpers of the commerce tests: packages like the reference bots sell."""

from __future__ import annotations

import contextlib

from sdk import AlreadyExists
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import common_pb2, package_pb2
from tests.hub import TenantHandle


def price(amount: int, asset: str) -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


async def create_package(shop: TenantHandle, **fields: object) -> package_pb2.Package:
    fields.setdefault("title", {"en": "Package", "ru": "Пакет"})
    fields.setdefault("active", True)
    request = catalog_pb.CreatePackageRequest(package=package_pb2.Package(**fields))  # type: ignore[arg-type]
    return (await shop.admin.catalog.CreatePackage(request)).package


async def token_pack(shop: TenantHandle, stars: int = 100, tokens: int = 1000) -> package_pb2.Package:
    """Telegram Stars -> tokens, as the token billing bot sells them."""
    return await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
        price=price(stars, "XTR"),
        delivers=price(tokens, "TOKEN"),
        category="tokens",
    )


async def ensure_rub(shop: TenantHandle) -> None:
    with contextlib.suppress(AlreadyExists):
        await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="RUB"))


async def stars_per_unit(shop: TenantHandle) -> package_pb2.Package:
    """Stars at 1.8 RUB each, 50 to 1 000 000, as the Stars shop sells them."""
    await ensure_rub(shop)
    return await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_TELEGRAM_STARS,
        price=price(180, "RUB"),
        per_unit=True,
        min_quantity=50,
        max_quantity=1_000_000,
        category="stars",
    )
