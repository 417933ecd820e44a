"""The catalog: packages a tenant sells, validated by kind.

A package says what it costs (`price`, per unit when the quantity varies, e.g. 1.8 RUB a star)
and what it delivers: an amount of an asset (topup, token_pack), a plan period (subscription),
Stars or Premium months for a @username (fulfilled by a provider task), or an outside service
with a daily quota of inputs.
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
from core_server.domain.money.amounts import ASSET_CODE, MAX_AMOUNT, MAX_QUANTITY, check_amount
from core_server.domain.money.assets import require_asset
from core_server.domain.paging import next_page_token, offset_key, page_request
from core_server.domain.reasons import PackageArchived, PackageNotFound
from core_server.store.ids import new_id
from core_server.store.models import PackageRow
from core_server.store.reads import PackageFields, PackageFilters
from core_server.store.repositories import catalog as repo
from core_server.store.unit_of_work import UnitOfWork

KINDS = ("topup", "token_pack", "subscription", "telegram_stars", "telegram_premium", "service")
LOCALES = ("ru", "en", "uk")
PLAN_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
UPDATABLE = frozenset(
    {
        "title",
        "description",
        "category",
        "sort_order",
        "active",
        "price",
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
    price_asset: str = ""
    price_amount: int = 0
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    id: uuid.UUID
    spec: PackageSpec
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


# mask path -> the spec fields it sets
MASK_FIELDS = {"price": ("price_asset", "price_amount"), "delivers": ("delivers_asset", "delivers_amount")}


def to_package(row: PackageRow | PackageFields) -> Package:
    spec = PackageSpec(
        kind=row.kind,
        title=dict(row.title or {}),
        description=dict(row.description or {}),
        category=row.category,
        sort_order=row.sort_order,
        active=row.active,
        price_asset=row.price_asset,
        price_amount=row.price_amount,
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


def validate(spec: PackageSpec) -> PackageSpec:
    """Check a whole spec by its kind; returns it with defaults filled in."""
    v = Violations()
    if spec.kind not in KINDS:
        v.add("package.kind", "is required")
    _check_texts(v, "package.title", spec.title, 100, required=True, multiline=False)
    _check_texts(v, "package.description", spec.description, 2000, required=False, multiline=True)
    v.check_text("package.category", spec.category, max_length=50)
    check_amount(v, "package.price.amount_minor", spec.price_amount, minimum=0)
    if not spec.price_asset:
        v.add("package.price", "is required")
    elif not ASSET_CODE.match(spec.price_asset):
        v.add("package.price.asset", "must be 2 to 10 upper-case letters or digits")
    if spec.delivers_asset and not ASSET_CODE.match(spec.delivers_asset):
        v.add("package.delivers.asset", "must be 2 to 10 upper-case letters or digits")
    v.check_text("package.plan_code", spec.plan_code, max_length=50)
    if spec.per_unit:
        if not 1 <= spec.min_quantity <= spec.max_quantity <= MAX_QUANTITY:
            v.add("package.min_quantity", f"per-unit packages need 1 <= min_quantity <= max_quantity <= {MAX_QUANTITY}")
        elif max(spec.price_amount, spec.delivers_amount) * spec.max_quantity > MAX_AMOUNT:
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
    return spec


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


def _apply(row: PackageRow, spec: PackageSpec, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(spec, name)
        if name == "delivers_asset":
            value = value or None
        if name == "delivers_amount":
            value = value or None
        setattr(row, name, value)


class CatalogService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, spec: PackageSpec) -> Package:
        spec = validate(spec)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_asset(uow, actor.tenant, spec.price_asset)
            if spec.delivers_asset:
                await require_asset(uow, actor.tenant, spec.delivers_asset)
            row = PackageRow(tenant_id=actor.tenant, id=new_id(), archived=False, created_at=now, updated_at=now)
            _apply(row, spec, [f.name for f in fields(PackageSpec)])
            await repo.add_package(uow, row)
            package = to_package(row)
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
            merged = replace(to_package(row).spec, **{name: getattr(changes, name) for name in names})
            merged = validate(merged)
            if "price_asset" in names:
                await require_asset(uow, actor.tenant, merged.price_asset)
            if "delivers_asset" in names and merged.delivers_asset:
                await require_asset(uow, actor.tenant, merged.delivers_asset)
            _apply(row, merged, [f.name for f in fields(PackageSpec)])
            row.updated_at = self._deps.clock.now()
            await uow.session.flush()
            package = to_package(row)
            await uow.commit()
        return package

    async def get(self, actor: Actor, package_id: str) -> Package:
        parsed = require_id("package_id", package_id)
        async with self._deps.read_uow() as uow:
            return to_package(await require_package(uow, actor.tenant, parsed, package_id))

    async def archive(self, actor: Actor, package_id: str) -> Package:
        parsed = require_id("package_id", package_id)
        async with self._deps.uow() as uow:
            row = await require_package(uow, actor.tenant, parsed, package_id)
            row.archived, row.active, row.updated_at = True, False, self._deps.clock.now()
            await uow.session.flush()
            package = to_package(row)
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
    ) -> tuple[list[Package], str]:
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
        packages = [to_package(row) for row in rows[: page.size]]
        more = len(rows) > page.size
        return packages, next_page_token(page, str(offset + len(packages)) if packages else None, more)
