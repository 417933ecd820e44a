"""Per-tenant commerce settings: order TTL, subscription notice days, the referral program and the
manual top-up methods. A tenant without a settings row has the defaults."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from core_server.domain.errors import Violations
from core_server.store.models import TenantSettingsRow
from core_server.store.repositories import tenants as tenant_repo
from core_server.store.unit_of_work import UnitOfWork

DEFAULT_ORDER_TTL = 3600
DEFAULT_NOTICE_DAYS = (3, 1)
MIN_ORDER_TTL, MAX_ORDER_TTL = 60, 7 * 24 * 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSettings:
    order_ttl_seconds: int = DEFAULT_ORDER_TTL
    expiring_notice_days: tuple[int, ...] = DEFAULT_NOTICE_DAYS


async def settings_row(uow: UnitOfWork, tenant: uuid.UUID, *, create: bool = False) -> TenantSettingsRow | None:
    """The tenant's row (locked for update when create=True, created with defaults if missing)."""
    row = await tenant_repo.get_settings(uow, tenant, for_update=create)
    if row is None and create:
        row = TenantSettingsRow(
            tenant_id=tenant,
            order_ttl_seconds=DEFAULT_ORDER_TTL,
            expiring_notice_days=list(DEFAULT_NOTICE_DAYS),
            referral_program={},
            topup_methods=[],
        )
        await tenant_repo.add_settings(uow, row)
    return row


async def order_settings(uow: UnitOfWork, tenant: uuid.UUID) -> OrderSettings:
    row = await settings_row(uow, tenant)
    if row is None:
        return OrderSettings()
    return OrderSettings(
        order_ttl_seconds=row.order_ttl_seconds,
        expiring_notice_days=tuple(row.expiring_notice_days or DEFAULT_NOTICE_DAYS),
    )


def check_order_settings(ttl: int, notice_days: Sequence[int]) -> None:
    violations = Violations()
    if not MIN_ORDER_TTL <= ttl <= MAX_ORDER_TTL:
        violations.add("settings.order_ttl_seconds", f"must be between {MIN_ORDER_TTL} and {MAX_ORDER_TTL}")
    if len(notice_days) > 5 or any(not 1 <= day <= 60 for day in notice_days):
        violations.add("settings.expiring_notice_days", "at most 5 days, each 1 to 60")
    violations.raise_if_any()
