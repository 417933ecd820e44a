"""How screens show money and packages: amounts with their asset's scale, titles in the user's locale.

Amounts are integer minor units; the tenant's assets (CatalogService.ListAssets) give each its
scale, so 19900 RUB at scale 2 reads "199.00 RUB". No float ever takes part.
"""

from __future__ import annotations

from collections.abc import Mapping

from sdk.billinghub.v1 import catalog_service_pb2, common_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.money import format_money

Scales = Mapping[str, int]


async def asset_scales(hub: BillingHubClient) -> dict[str, int]:
    """The scale of each of the tenant's assets, by code."""
    response: catalog_service_pb2.ListAssetsResponse = await hub.catalog.ListAssets(
        catalog_service_pb2.ListAssetsRequest()
    )
    return {asset.code: asset.scale for asset in response.assets}


def money(amount: common_pb2.Money, scales: Scales) -> str:
    """19900 RUB (scale 2) -> "199.00 RUB"; an asset of unknown scale shows its minor units."""
    return format_money(amount, scales.get(amount.asset, 0))


def localized(texts: Mapping[str, str], locale: str, fallback: str) -> str:
    """The text of `locale`, else English, else any, else `fallback`."""
    return texts.get(locale) or texts.get("en") or next(iter(texts.values()), "") or fallback


def package_title(package: package_pb2.Package, locale: str) -> str:
    """A package's name in the user's locale."""
    return localized(package.title, locale, package.category or package.id[:8])


def short_id(order_id: str) -> str:
    """The part of an id a user reads and quotes to support. Our ids are UUIDv7: the leading
    characters are the creation time (two orders of the same minute share them), the trailing
    ones random, so the tail tells orders apart."""
    return order_id.replace("-", "")[-8:]
