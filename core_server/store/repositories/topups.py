"""Manual top-up request queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from core_server.store.models import TopupRequestRow
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
