"""Streamed exports (orders, users): the rows of a period in batches, oldest first, for CSV files.

An export may cover a tenant's whole history, so it never holds more than one batch: each batch is
its own short read (keyset-paged on the primary key after the last id of the batch before, never
an OFFSET that rereads what it skips), turned into domain objects and handed on before the next is
read. Ids are UUIDv7, so id order is creation order. Periods are [start, end) on the creation time,
as in ExportTransfers (money/wallets.py) and the reports.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.store.unit_of_work import UnitOfWork

EXPORT_BATCH = 500  # rows per streamed message: ~100 KB of orders, well under gRPC's 4 MB


class Keyed(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=Keyed)
T = TypeVar("T")
ReadBatch = Callable[[UnitOfWork, uuid.UUID | None, int], Awaitable[Sequence[R]]]


def check_period(v: Violations, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """An empty or reversed period is a mistake of the caller, not an empty file."""
    if start is not None and end is not None and start >= end:
        v.add("end_time", "must be after start_time")


async def batches(
    deps: Deps, read: ReadBatch[R], convert: Callable[[R], T], size: int | None = None
) -> AsyncIterator[list[T]]:
    """`read` (rows after an id, at most n) batch after batch until a short one, converted."""
    size = size or EXPORT_BATCH
    after: uuid.UUID | None = None
    while True:
        async with deps.read_uow() as uow:
            rows = await read(uow, after, size)
            batch = [convert(row) for row in rows]
        if not rows:
            return
        yield batch
        after = rows[-1].id
        if len(rows) < size:
            return
