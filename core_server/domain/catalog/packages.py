"""The catalog: packages a tenant sells, validated by kind.

A package says what it costs (its `prices`, one per asset a buyer may pay with, the primary first;
per unit when the quantity varies, e.g. 1.8 RUB a star) and what it delivers: an amount of an
asset (topup, token_pack), a plan period (subscription), Stars or Premium months for a @username
(fulfilled by a provider task), or an outside service with a daily quota of inputs.

Prices are exact integers in each asset, never converted: an order is priced in the asset its
buyer pays with (orders/service.py). A request's one `price` is the primary price: alone it means
prices = [price]; given with `prices` it must be prices[0].
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.ids import require_id
from core_server.domain.money.amounts import ASSET_CODE, MAX_AMOUNT, MAX_QUANTITY, Money, check_amount
from core_server.domain.money.assets import require_asset
from core_server.domain.paging import next_page_token, offset_key, page_request
from core_server.domain.reasons import AssetNotFound, PackageArchived, PackageNotFound
from core_server.store.ids import new_id
from core_server.store.models import PackageRow
from core_server.store.reads import PackageFields, PackageFilters
from core_server.store.repositories import assets as assets_repo
from core_server.store.repositories import catalog as repo
from core_server.store.unit_of_work import UnitOfWork

KINDS = ("topup", "token_pack", "subscription", "telegram_stars", "telegram_premium", "service")
LOCALES = ("ru", "en", "uk")
PLAN_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
MAX_PRICES = 10
UPDATABLE = frozenset(
    {
        "title",
        "description",
        "category",
        "sort_order",
        "active",
        "price",
        "prices",
        "per_unit",
        "min_quantity",
        "max_quantity",
        "delivers",
        "plan_code",
        "period_days",
        "stars_quantity",
        "premium_months",
        "features",
        "posts_per_day",
        "active_days",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSpec:
    """A package's editable fields (the request's view)."""

    kind: str | None = None
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    category: str = ""
    sort_order: int = 0
    active: bool = True
    prices: tuple[Money, ...] = ()  # one per asset, the primary first
    per_unit: bool = False
    min_quantity: int = 0
    max_quantity: int = 0
    delivers_asset: str = ""
    delivers_amount: int = 0
    plan_code: str = ""
    period_days: int = 0
    stars_quantity: int = 0
    premium_months: int = 0
    features: dict[str, Any] = field(default_factory=dict)
    posts_per_day: int = 0
    active_days: int = 0
    # A request's own `price` field when it set one: the primary price, alone or as prices[0]
    # (requested_prices). Never set on a stored package's spec.
    price: Money | None = None

    @property
    def primary(self) -> Money:
        """The primary price (the first); an empty Money before validation found one."""
        return self.prices[0] if self.prices else Money("", 0)


# A package as ListPackages lists it: the fields of its row and its prices (the primary first), as
# read. The response is built from them directly: a Package in between costs more than the read
# itself, and every screen of a bot's shop lists packages.
ListedPackage = PackageFields

# the spec fields stored as columns of the package row under their own names
_COLUMNS = tuple(f.name for f in fields(PackageSpec) if f.name not in ("prices", "price"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    id: uuid.UUID
    spec: PackageSpec
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


# mask path -> the spec fields it sets ("price" and "prices" are merged by _merge_prices)
MASK_FIELDS = {"price": (), "prices": (), "delivers": ("delivers_asset", "delivers_amount")}


def to_package(row: PackageRow | PackageFields, prices: Sequence[tuple[str, int]]) -> Package:
    """A stored package with its prices (asset, amount), the primary first."""
    spec = PackageSpec(
        kind=row.kind,
        title=dict(row.title or {}),
        description=dict(row.description or {}),
        category=row.category,
        sort_order=row.sort_order,
        active=row.active,
        prices=tuple(Money(asset, amount) for asset, amount in prices),
        per_unit=row.per_unit,
        min_quantity=row.min_quantity,
        max_quantity=row.max_quantity,
        delivers_asset=row.delivers_asset or "",
        delivers_amount=row.delivers_amount or 0,
        plan_code=row.plan_code,
        period_days=row.period_days,
        stars_quantity=row.stars_quantity,
        premium_months=row.premium_months,
        features=dict(row.features or {}),
        posts_per_day=row.posts_per_day,
        active_days=row.active_days,
    )
    return Package(id=row.id, spec=spec, archived=row.archived, created_at=row.created_at, updated_at=row.updated_at)


def _check_texts(
    violations: Violations, name: str, texts: dict[str, str], limit: int, required: bool, multiline: bool
) -> None:
    if required and not any(text.strip() for text in texts.values()):
        violations.add(name, "needs a text in at least one locale")
    for locale, text in texts.items():
        if locale not in LOCALES:
            violations.add(f"{name}[{locale}]", f"locale must be one of {', '.join(LOCALES)}")
        else:
            violations.check_text(f"{name}[{locale}]", text, max_length=limit, multiline=multiline)


def requested_prices(v: Violations, price: Money | None, prices: Sequence[Money]) -> tuple[tuple[Money, ...], str]:
    """A request's prices and the field that names the first of them: `prices`, or [price] when the
    request gives only price (the one price of older clients). Given both, price must be prices[0]."""
    if not prices:
        return ((price,) if price is not None else ()), "package.price"
    if price is not None and price != prices[0]:
        v.add("package.price", "must equal prices[0] when both are given: it is the primary price")
    return tuple(prices), "package.prices[0]"


def price_field(first: str, index: int) -> str:
    """The request field of the price at `index` (`first` names index 0: package.price or prices[0])."""
    return first if index == 0 else f"package.prices[{index}]"


def _check_prices(v: Violations, spec: PackageSpec, first: str) -> None:
    """1 to MAX_PRICES prices in different well-formed assets, each 1 to MAX_AMOUNT (a package with
    a single price may cost 0: a free plan), and within the bound times the largest quantity."""
    prices = spec.prices
    if not prices:
        v.add("package.prices", "is required: the package's price in at least one asset")
    elif len(prices) > MAX_PRICES:
        v.add("package.prices", f"must hold at most {MAX_PRICES} prices")
        return
    seen: dict[str, int] = {}
    for index, price in enumerate(prices):
        field_path = price_field(first, index)
        check_amount(v, f"{field_path}.amount_minor", price.amount, minimum=0 if len(prices) == 1 else 1)
        if not ASSET_CODE.match(price.asset):
            v.add(f"{field_path}.asset", "must be 2 to 10 upper-case letters or digits")
        elif price.asset in seen:
            v.add(f"{field_path}.asset", f"repeats the asset of {price_field(first, seen[price.asset])}")
        else:
            seen[price.asset] = index


def validate(spec: PackageSpec, first: str = "package.prices[0]", violations: Violations | None = None) -> PackageSpec:
    """Check a whole spec by its kind; returns it with defaults filled in. `first` is the request
    field that gave the first price (package.price when the request gave no prices); `violations`
    holds those found before, raised with these."""
    v = violations if violations is not None else Violations()
    if spec.kind not in KINDS:
        v.add("package.kind", "is required")
    _check_texts(v, "package.title", spec.title, 100, required=True, multiline=False)
    _check_texts(v, "package.description", spec.description, 2000, required=False, multiline=True)
    v.check_text("package.category", spec.category, max_length=50)
    _check_prices(v, spec, first)
    if spec.delivers_asset and not ASSET_CODE.match(spec.delivers_asset):
        v.add("package.delivers.asset", "must be 2 to 10 upper-case letters or digits")
    v.check_text("package.plan_code", spec.plan_code, max_length=50)
    if spec.per_unit:
        if not 1 <= spec.min_quantity <= spec.max_quantity <= MAX_QUANTITY:
            v.add("package.min_quantity", f"per-unit packages need 1 <= min_quantity <= max_quantity <= {MAX_QUANTITY}")
        elif max(spec.delivers_amount, *(p.amount for p in spec.prices)) * spec.max_quantity > MAX_AMOUNT:
            # an order's price and delivery are per-unit amounts times its quantity: bounded too
            v.add("package.max_quantity", f"times the price or delivered amount must be at most {MAX_AMOUNT}")
        if spec.kind not in ("topup", "token_pack", "telegram_stars"):
            v.add("package.per_unit", "only topup, token_pack and telegram_stars packages have a variable quantity")
    else:
        spec = replace(spec, min_quantity=1, max_quantity=1)
    kind = spec.kind
    if kind in ("topup", "token_pack"):
        if not spec.delivers_asset or spec.delivers_amount <= 0:
            v.add("package.delivers", "is required: the asset and positive amount credited")
        else:
            check_amount(v, "package.delivers.amount_minor", spec.delivers_amount)
    elif spec.delivers_asset or spec.delivers_amount:
        v.add("package.delivers", f"is only for topup and token_pack packages, not {kind}")
    _check_kind_fields(v, spec)
    if kind == "service":
        spec = replace(spec, active_days=spec.active_days or 30)
    if "__invalid__" in spec.features:
        v.add("package.features", str(spec.features["__invalid__"]))
    else:
        v.check_json("package.features", spec.features)
    v.raise_if_any()
    return replace(spec, price=None)


def _check_kind_fields(v: Violations, spec: PackageSpec) -> None:
    """The fields of one kind: within their range for that kind, unset (0) for every other kind."""
    kind = spec.kind
    if kind == "subscription":
        if not PLAN_CODE.match(spec.plan_code):
            v.add("package.plan_code", "is required: 1 to 50 of a-z, 0-9, _ . -")
        if not 1 <= spec.period_days <= 3660:
            v.add("package.period_days", "must be between 1 and 3660")
    if kind == "telegram_stars" and not spec.per_unit and not 50 <= spec.stars_quantity <= MAX_QUANTITY:
        v.add("package.stars_quantity", f"must be between 50 (Telegram's smallest Stars purchase) and {MAX_QUANTITY}")
    if kind == "telegram_premium" and spec.premium_months not in (3, 6, 12):
        v.add("package.premium_months", "must be 3, 6 or 12")
    if kind == "service":
        if not 1 <= spec.posts_per_day <= 1000:
            v.add("package.posts_per_day", "must be between 1 and 1000")
        if not 0 <= spec.active_days <= 3660:
            v.add("package.active_days", "must be between 0 and 3660")
    owners = {
        "plan_code": ("subscription", spec.plan_code),
        "period_days": ("subscription", spec.period_days),
        "stars_quantity": ("telegram_stars", spec.stars_quantity),
        "premium_months": ("telegram_premium", spec.premium_months),
        "posts_per_day": ("service", spec.posts_per_day),
        "active_days": ("service", spec.active_days),
    }
    for name, (owner, value) in owners.items():
        if value and kind != owner:
            v.add(f"package.{name}", f"is only for {owner} packages, not {kind}")


async def require_package(uow: UnitOfWork, tenant: uuid.UUID, package_id: uuid.UUID, text: str) -> PackageRow:
    row = await repo.get_package(uow, tenant, package_id)
    if row is None:
        raise PackageNotFound(text)
    return row


async def require_package_prices(uow: UnitOfWork, tenant: uuid.UUID, package: uuid.UUID) -> list[Money]:
    """The package's prices, the primary first."""
    return [Money(asset, amount) for asset, amount in await repo.package_prices(uow, tenant, package)]


async def _require_price_assets(uow: UnitOfWork, tenant: uuid.UUID, spec: PackageSpec, first: str) -> None:
    """Every price's asset is the tenant's: NOT_FOUND naming the first price that is not."""
    known = await assets_repo.known_codes(uow, tenant, {p.asset for p in spec.prices})
    for index, price in enumerate(spec.prices):
        if price.asset not in known:
            raise AssetNotFound(price.asset, field=f"{price_field(first, index)}.asset")


def _apply(row: PackageRow, spec: PackageSpec) -> None:
    for name in _COLUMNS:
        value = getattr(spec, name)
        if name in ("delivers_asset", "delivers_amount"):
            value = value or None
        setattr(row, name, value)
    row.price_asset, row.price_amount = spec.primary.asset, spec.primary.amount


def _merge_prices(
    v: Violations, current: PackageSpec, changes: PackageSpec, mask: Sequence[str]
) -> tuple[PackageSpec, str]:
    """The prices after an update and the field that names the first: "prices" replaces them all,
    "price" the primary one alone (the others stay)."""
    if "prices" in mask:
        prices, first = requested_prices(v, changes.price, changes.prices)
        return replace(current, prices=prices), first
    if "price" not in mask:
        return current, "package.prices[0]"
    given, first = requested_prices(v, changes.price, changes.prices)
    if not given:
        v.add("package.price", "is required: the new primary price")
        return current, first
    primary, others = given[0], current.prices[1:]
    if any(p.asset == primary.asset for p in others):
        v.add(f"{first}.asset", f"{primary.asset} is another price of the package: update prices to reorder them")
        return current, first
    return replace(current, prices=(primary, *others)), first


class CatalogService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, spec: PackageSpec) -> Package:
        v = Violations()
        prices, first = requested_prices(v, spec.price, spec.prices)
        spec = validate(replace(spec, prices=prices), first, v)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await _require_price_assets(uow, actor.tenant, spec, first)
            if spec.delivers_asset:
                await require_asset(uow, actor.tenant, spec.delivers_asset, field="package.delivers.asset")
            row = PackageRow(tenant_id=actor.tenant, id=new_id(), archived=False, created_at=now, updated_at=now)
            _apply(row, spec)
            await repo.add_package(uow, row)
            await repo.replace_prices(uow, actor.tenant, row.id, [(p.asset, p.amount) for p in spec.prices])
            package = Package(id=row.id, spec=spec, archived=False, created_at=now, updated_at=now)
            await uow.commit()
        return package

    async def update(self, actor: Actor, package_id: str, changes: PackageSpec, mask: Sequence[str]) -> Package:
        v = Violations()
        parsed = v.id("package.id", package_id)
        v.check_mask(mask, UPDATABLE)
        v.raise_if_any()
        assert parsed is not None
        names = [name for path in mask for name in MASK_FIELDS.get(path, (path,))]
        async with self._deps.uow() as uow:
            row = await require_package(uow, actor.tenant, parsed, package_id)
            if row.archived:
                raise PackageArchived("archived packages cannot change")
            current = to_package(row, await repo.package_prices(uow, actor.tenant, row.id)).spec
            merged = replace(current, **{name: getattr(changes, name) for name in names})
            v = Violations()
            merged, first = _merge_prices(v, merged, changes, mask)
            merged = validate(merged, first, v)
            if merged.prices != current.prices:
                await _require_price_assets(uow, actor.tenant, merged, first)
            if "delivers_asset" in names and merged.delivers_asset:
                await require_asset(uow, actor.tenant, merged.delivers_asset, field="package.delivers.asset")
            _apply(row, merged)
            row.updated_at = self._deps.clock.now()
            await uow.session.flush()
            if merged.prices != current.prices:
                await repo.replace_prices(uow, actor.tenant, row.id, [(p.asset, p.amount) for p in merged.prices])
            package = Package(
                id=row.id, spec=merged, archived=row.archived, created_at=row.created_at, updated_at=row.updated_at
            )
            await uow.commit()
        return package

    async def get(self, actor: Actor, package_id: str) -> Package:
        parsed = require_id("package_id", package_id)
        async with self._deps.read_uow() as uow:
            row = await require_package(uow, actor.tenant, parsed, package_id)
            return to_package(row, await repo.package_prices(uow, actor.tenant, row.id))

    async def archive(self, actor: Actor, package_id: str) -> Package:
        parsed = require_id("package_id", package_id)
        async with self._deps.uow() as uow:
            row = await require_package(uow, actor.tenant, parsed, package_id)
            row.archived, row.active, row.updated_at = True, False, self._deps.clock.now()
            await uow.session.flush()
            package = to_package(row, await repo.package_prices(uow, actor.tenant, row.id))
            await uow.commit()
        return package

    async def list_packages(
        self,
        actor: Actor,
        category: str,
        active_only: bool,
        kind: str | None,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[ListedPackage], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        v = violations if violations is not None else Violations()
        category = v.check_text("category", category, max_length=50)
        page = page_request(
            page_size or 100, page_token, {"c": category, "a": active_only, "k": kind}, key=offset_key, violations=v
        )
        v.raise_if_any()
        offset = offset_key(page.after) if page.after else 0
        filters = PackageFilters(category, active_only, kind or "", offset, page.size + 1)
        rows = await self._deps.reads.packages(actor.tenant, filters)
        packages = rows[: page.size]
        more = len(rows) > page.size
        return packages, next_page_token(page, str(offset + len(packages)) if packages else None, more)
