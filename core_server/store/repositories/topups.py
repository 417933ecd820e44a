"""Manual top-up request queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from core_server.store.models import TopupRequestRow
from core_server.store.raw_tx import Later, RawTx, Sql, guard_row, time_of, uuid_of
from core_server.store.repositories.keyset import requests_page
from core_server.store.unit_of_work import UnitOfWork


async def add_request(uow: UnitOfWork, row: TopupRequestRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_request(
    uow: UnitOfWork, tenant: uuid.UUID, request: uuid.UUID, *, for_update: bool = False
) -> TopupRequestRow | None:
    """The request; with for_update, its row lock, which makes one decision on it win."""
    return await uow.session.get(TopupRequestRow, (tenant, request), with_for_update=for_update)


async def list_requests(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[TopupRequestRow]:
    """Up to `limit` requests, newest first, older than `before`, of one user or status if given."""
    return await requests_page(uow, TopupRequestRow, tenant, user=user, status=status, before=before, limit=limit)


# --- the fast path (store/raw_tx.py): an approval ----------------------------------------------

_COLUMNS = (
    "user_id, method_code, asset, amount, package_id, receipt, status, reason, decided_by, transfer_id, created_at,"
    " decided_at"
)
_LOCK = Sql(
    f"SELECT {_COLUMNS} FROM topup_requests WHERE tenant_id = $1 AND id = $2 FOR UPDATE",  # noqa: S608
    f"SELECT {_COLUMNS} FROM topup_requests WHERE tenant_id = $1 AND id = $2",  # noqa: S608  # the writer's lock
)
_READ = Sql(f"SELECT {_COLUMNS} FROM topup_requests WHERE tenant_id = $1 AND id = $2")  # noqa: S608
# the decision of a request still pending (PostgreSQL: a guard of the unit's last statement)
_DECIDE_PENDING = Sql(
    "UPDATE topup_requests SET status = $3, reason = $4, decided_by = $5, transfer_id = $6, decided_at = $7"
    " WHERE tenant_id = $1 AND id = $2 AND status = $8 RETURNING id"
)
_DECIDE = Sql(
    "UPDATE topup_requests SET status = $3, reason = $4, decided_by = $5, transfer_id = $6, decided_at = $7"
    " WHERE tenant_id = $1 AND id = $2"
)


async def lock_request(tx: RawTx, tenant: uuid.UUID, request: uuid.UUID) -> TopupRequestRow | None:
    """The request, locked (step 1 of the lock order), as a transient row for the domain."""
    return _request(tenant, request, await tx.fetchrow(_LOCK, tenant, request))


async def read_request(tx: RawTx, tenant: uuid.UUID, request: uuid.UUID) -> TopupRequestRow | None:
    """The request as it was a moment ago, unlocked (RawTx.read): a decision made on it goes
    through `decide_if_still`, which checks its status again."""
    return _request(tenant, request, await tx.read(_READ, tenant, request))


def decide_if_still(tx: RawTx, row: TopupRequestRow, status: str) -> Later:
    """The row's decision as a guard of the unit's last statement (step 1 of the lock order): it
    takes only while the request's status is still `status`, else the statement changes nothing
    (GuardMissed). The parts that must follow the decision chain after the Later returned."""
    return guard_row(
        tx, "decided", _DECIDE_PENDING, row.tenant_id, row.id, row.status, row.reason, row.decided_by,
        row.transfer_id, row.decided_at, status,
    )  # fmt: skip


def _request(tenant: uuid.UUID, request: uuid.UUID, row: Sequence[Any] | None) -> TopupRequestRow | None:
    if row is None:
        return None
    return TopupRequestRow(
        tenant_id=tenant, id=request, user_id=uuid_of(row[0]), method_code=row[1], asset=row[2], amount=row[3],
        package_id=uuid_of(row[4]) if row[4] is not None else None, receipt=row[5], status=row[6], reason=row[7],
        decided_by=row[8], transfer_id=uuid_of(row[9]) if row[9] is not None else None, created_at=time_of(row[10]),
        decided_at=time_of(row[11]) if row[11] is not None else None,
    )  # fmt: skip


async def store_decision(tx: RawTx, row: TopupRequestRow) -> None:
    await tx.execute(
        _DECIDE, row.tenant_id, row.id, row.status, row.reason, row.decided_by, row.transfer_id, row.decided_at
    )
