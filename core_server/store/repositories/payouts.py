"""Payout request queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from core_server.store.models import PayoutRow
from core_server.store.repositories.keyset import requests_page
from core_server.store.unit_of_work import UnitOfWork


async def add_payout(uow: UnitOfWork, row: PayoutRow) -> None:
    uow.session.add(row)
    await uow.session.flush()


async def get_payout(
    uow: UnitOfWork, tenant: uuid.UUID, payout: uuid.UUID, *, for_update: bool = False
) -> PayoutRow | None:
    """The request; with for_update, its row lock (step 1 of the lock order, before its hold)."""
    return await uow.session.get(PayoutRow, (tenant, payout), with_for_update=for_update)


async def list_payouts(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    *,
    user: uuid.UUID | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[PayoutRow]:
    """Up to `limit` requests, newest first, older than `before`, of one user or status if given."""
    return await requests_page(uow, PayoutRow, tenant, user=user, status=status, before=before, limit=limit)
