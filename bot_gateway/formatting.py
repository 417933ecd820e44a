"""How screens show money and packages: amounts with their asset's scale, titles in the user's locale.

Amounts are integer minor units; the tenant's assets (CatalogService.ListAssets) give each its
scale, so 19900 RUB at scale 2 reads "199.00 RUB". No float ever takes part.

Assets change rarely (a tenant adds one now and then; a scale never changes once set), yet almost
every screen shows money: reading them for each update was half the core calls of a Balance press.
So the process keeps each tenant's scales for `SCALES_TTL_SECONDS` and reads them again sooner only
when a screen names an asset it does not know yet (`asset_scales(hub, *codes)`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from sdk.billinghub.v1 import catalog_service_pb2, common_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.money import format_money

Scales = Mapping[str, int]
SCALES_TTL_SECONDS = 60.0


class ScaleCache:
    """Each tenant's asset scales, by tenant id, kept `ttl_seconds`; bounded (oldest dropped)."""

    def __init__(
        self,
        *,
        ttl_seconds: float = SCALES_TTL_SECONDS,
        max_tenants: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_tenants
        self._clock = clock
        self._entries: OrderedDict[str, tuple[dict[str, int], float]] = OrderedDict()

    def get(self, tenant_id: str, codes: Iterable[str] = ()) -> dict[str, int] | None:
        """The kept scales, unless unknown, old, or missing one of `codes`."""
        entry = self._entries.get(tenant_id)
        if entry is None or entry[1] < self._clock() or not set(codes) <= entry[0].keys():
            return None
        return entry[0]

    def put(self, tenant_id: str, scales: dict[str, int]) -> None:
        """Keep what ListAssets just said for the tenant."""
        self._entries[tenant_id] = (scales, self._clock() + self._ttl)
        self._entries.move_to_end(tenant_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


SCALES = ScaleCache()  # one per process, as the tenants' assets are the same for every bot of it


async def asset_scales(hub: BillingHubClient, *codes: str) -> dict[str, int]:
    """The scale of each of the tenant's assets, by code: kept ones, read again when old or when
    one of `codes` (the assets the caller is about to show) is not among them."""
    tenant_id = hub.tenant_id or ""
    kept = SCALES.get(tenant_id, codes) if tenant_id else None
    if kept is not None:
        return kept
    response: catalog_service_pb2.ListAssetsResponse = await hub.catalog.ListAssets(
        catalog_service_pb2.ListAssetsRequest()
    )
    scales = {asset.code: asset.scale for asset in response.assets}
    if tenant_id:
        SCALES.put(tenant_id, scales)
    return scales


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
