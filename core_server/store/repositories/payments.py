"""Provider settings and provider payment queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, or_, select

from core_server.store.models import OrderRow, PaymentRow, ProviderConfigRow
from core_server.store.raw_tx import RawTx, Sql, time_of, uuid_of
from core_server.store.repositories.keyset import newest_first
from core_server.store.repositories.upsert import insert_if_absent
from core_server.store.unit_of_work import UnitOfWork


async def get_config(
    uow: UnitOfWork, tenant: uuid.UUID, provider: str, *, for_update: bool = False
) -> ProviderConfigRow | None:
    return await uow.session.get(ProviderConfigRow, (tenant, provider), with_for_update=for_update)


async def list_configs(uow: UnitOfWork, tenant: uuid.UUID) -> Sequence[ProviderConfigRow]:
    statement = (
        select(ProviderConfigRow)
        .where(ProviderConfigRow.tenant_id == tenant)
        .order_by(ProviderConfigRow.sort_order, ProviderConfigRow.provider)
    )
    return (await uow.session.execute(statement)).scalars().all()


async def tenants_with_enabled(uow: UnitOfWork, provider: str) -> list[uuid.UUID]:
    """The tenants whose settings of `provider` are enabled."""
    statement = (
        select(ProviderConfigRow.tenant_id)
        .where(ProviderConfigRow.provider == provider, ProviderConfigRow.enabled.is_(True))
        .order_by(ProviderConfigRow.tenant_id)
    )
    return list((await uow.session.execute(statement)).scalars().all())


async def add(uow: UnitOfWork, row: ProviderConfigRow | PaymentRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def add_payment_once(uow: UnitOfWork, row: PaymentRow) -> bool:
    """Insert the payment unless one of the tenant already holds its (provider, provider_ref);
    True when inserted. However many callers race with the same provider id, one row results,
    and the losers find the winner's with `find_by_ref` (ON CONFLICT waits for the winner)."""
    table = cast(Table, PaymentRow.__table__)
    values = {column.key: getattr(row, column.key) for column in table.columns}
    given = {name: value for name, value in values.items() if value is not None}
    return await insert_if_absent(uow.session, table, given, ("tenant_id", "provider", "provider_ref"))


async def get_payment(
    uow: UnitOfWork, tenant: uuid.UUID, payment: uuid.UUID, *, for_update: bool = False
) -> PaymentRow | None:
    """The payment; with for_update, its row lock, which makes one report of it win."""
    return await uow.session.get(PaymentRow, (tenant, payment), with_for_update=for_update, populate_existing=True)


async def find_by_ref(uow: UnitOfWork, tenant: uuid.UUID, provider: str, provider_ref: str) -> uuid.UUID | None:
    """The id of the tenant's payment the provider knows as `provider_ref`."""
    statement = select(PaymentRow.id).where(
        PaymentRow.tenant_id == tenant, PaymentRow.provider == provider, PaymentRow.provider_ref == provider_ref
    )
    found: uuid.UUID | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found


async def get_by_ref(uow: UnitOfWork, tenant: uuid.UUID, provider: str, provider_ref: str) -> PaymentRow | None:
    """The tenant's payment the provider knows as `provider_ref`, in one statement."""
    statement = select(PaymentRow).where(
        PaymentRow.tenant_id == tenant, PaymentRow.provider == provider, PaymentRow.provider_ref == provider_ref
    )
    row: PaymentRow | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return row


async def charge_of_order(uow: UnitOfWork, tenant: uuid.UUID, provider: str, order: uuid.UUID) -> str | None:
    """The provider's charge id of the newest payment of `provider` that paid `order` (credited)."""
    statement = (
        select(PaymentRow.provider_ref)
        .where(
            PaymentRow.tenant_id == tenant,
            PaymentRow.order_id == order,
            PaymentRow.provider == provider,
            PaymentRow.credit_transfer_id.is_not(None),
            PaymentRow.provider_ref != "",
        )
        .order_by(PaymentRow.created_at.desc(), PaymentRow.id.desc())
        .limit(1)
    )
    found: str | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found


async def charged_payments_of_package(
    uow: UnitOfWork, tenant: uuid.UUID, provider: str, user: uuid.UUID, package: uuid.UUID
) -> list[uuid.UUID]:
    """The ids of the user's payments of `provider` holding a credited charge that paid an order
    of `package` (a plan's invoices and its renewals)."""
    statement = (
        select(PaymentRow.id)
        .join(OrderRow, (OrderRow.tenant_id == PaymentRow.tenant_id) & (OrderRow.id == PaymentRow.order_id))
        .where(
            PaymentRow.tenant_id == tenant,
            PaymentRow.provider == provider,
            PaymentRow.user_id == user,
            PaymentRow.credit_transfer_id.is_not(None),
            OrderRow.package_id == package,
        )
    )
    return list((await uow.session.execute(statement)).scalars().all())


async def list_payments(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    order: uuid.UUID | None,
    provider: str,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[PaymentRow]:
    statement = select(PaymentRow).where(PaymentRow.tenant_id == tenant)
    if user is not None:
        statement = statement.where(PaymentRow.user_id == user)
    if order is not None:
        statement = statement.where(PaymentRow.order_id == order)
    if provider:
        statement = statement.where(PaymentRow.provider == provider)
    if status:
        statement = statement.where(PaymentRow.status == status)
    return await newest_first(uow, statement, PaymentRow.id, before, limit)


async def due_for_check(uow: UnitOfWork, now: dt.datetime, limit: int) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, payment) of pending payments whose next check is due, the longest waiting first."""
    statement = (
        select(PaymentRow.tenant_id, PaymentRow.id)
        .where(PaymentRow.status == "pending", PaymentRow.next_check_at <= now)
        .order_by(PaymentRow.next_check_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await uow.session.execute(statement)).all()]


async def refunds_due(uow: UnitOfWork, now: dt.datetime, limit: int) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, payment) of refunds to the provider under way (status refunding) whose next ask is
    due and that nobody is asking about now, the longest waiting first."""
    statement = (
        select(PaymentRow.tenant_id, PaymentRow.id)
        .where(
            PaymentRow.status == "refunding",
            PaymentRow.next_check_at <= now,
            or_(PaymentRow.refund_call_until.is_(None), PaymentRow.refund_call_until <= now),
        )
        .order_by(PaymentRow.next_check_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await uow.session.execute(statement)).all()]


# --- the fast path (store/raw_tx.py): a provider's credit of a wallet top-up ----------------------

_LOCK_COLUMNS = (
    "user_id, order_id, provider, provider_ref, status, asset, amount, paid_at, failure_reason, provider_status"
)
_LOCK = Sql(
    f"SELECT {_LOCK_COLUMNS} FROM payments WHERE tenant_id = $1 AND id = $2 FOR UPDATE",  # noqa: S608
    f"SELECT {_LOCK_COLUMNS} FROM payments WHERE tenant_id = $1 AND id = $2",  # noqa: S608  # the writer's lock
)
_STORE_CREDIT = Sql(
    "UPDATE payments SET status = $3, provider_status = $4, received_asset = $5, received_amount = $6,"
    " credit_transfer_id = $7, failure_reason = $8, paid_at = $9, updated_at = $10, order_settled = $11"
    " WHERE tenant_id = $1 AND id = $2"
)


async def lock_payment(tx: RawTx, tenant: uuid.UUID, payment: uuid.UUID) -> PaymentRow | None:
    """The payment, locked, as a transient row holding what a credit reads and changes."""
    row = await tx.fetchrow(_LOCK, tenant, payment)
    if row is None:
        return None
    return PaymentRow(
        tenant_id=tenant, id=payment, user_id=uuid_of(row[0]), order_id=uuid_of(row[1]) if row[1] else None,
        provider=row[2], provider_ref=row[3], status=row[4], asset=row[5], amount=row[6],
        paid_at=time_of(row[7]) if row[7] is not None else None, failure_reason=row[8],
        provider_status=row[9],
    )  # fmt: skip


async def store_credit(tx: RawTx, row: PaymentRow) -> None:
    await tx.execute(
        _STORE_CREDIT, row.tenant_id, row.id, row.status, row.provider_status, row.received_asset,
        row.received_amount, row.credit_transfer_id, row.failure_reason, row.paid_at, row.updated_at,
        bool(row.order_settled),
    )  # fmt: skip
