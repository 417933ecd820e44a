"""The shared token buckets of the rate limits (PostgreSQL): one statement leases a batch of tokens.

The rule (domain/rate_limits.py) is a token bucket: `tokens` refill at `rate` a second up
to `burst`. `lease` refills the key's bucket to the caller's `now`, grants up to `want` whole
tokens and keeps the rest, in one statement: the row lock of its `FOR UPDATE` makes concurrent
leases of several replicas queue on the row, and each sees the tokens the previous one left. A
replica whose clock lags another's never moves `updated_at` back (the refill of a negative time is
nothing), so clock skew between replicas can only slow a refill, never add tokens.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from core_server.store.unit_of_work import UnitOfWork

_LEASE = text(
    """
    WITH bucket AS (
        SELECT key_id,
               LEAST(CAST(:burst AS double precision),
                     tokens + CAST(:rate AS double precision)
                              * GREATEST(0.0, EXTRACT(EPOCH FROM (CAST(:now AS timestamptz) - updated_at)))::float8
               ) AS available
        FROM rate_buckets WHERE key_id = :key_id
        FOR UPDATE
    ), lease AS (
        SELECT key_id, available, LEAST(CAST(:want AS integer), FLOOR(available)::integer) AS granted FROM bucket
    )
    UPDATE rate_buckets AS b
    SET tokens = lease.available - lease.granted, updated_at = GREATEST(b.updated_at, CAST(:now AS timestamptz))
    FROM lease WHERE b.key_id = lease.key_id
    RETURNING lease.granted, b.tokens
    """
)

_CREATE = text(
    """
    INSERT INTO rate_buckets (key_id, tokens, updated_at)
    VALUES (:key_id, CAST(:burst AS double precision), CAST(:now AS timestamptz))
    ON CONFLICT (key_id) DO NOTHING
    """
)


async def lease(
    uow: UnitOfWork, key_id: uuid.UUID, *, rate: float, burst: int, want: int, now: dt.datetime
) -> tuple[int, float]:
    """Take up to `want` tokens of the key's bucket: (tokens granted, tokens left after the lease).

    A key's first lease creates its bucket full (`burst` tokens). PostgreSQL only."""
    params = {"key_id": key_id, "rate": rate, "burst": burst, "want": want, "now": now}
    row = (await uow.session.execute(_LEASE, params)).first()
    if row is None:
        await uow.session.execute(_CREATE, params)
        row = (await uow.session.execute(_LEASE, params)).first()
        assert row is not None  # created above, or by a concurrent lease; buckets are never deleted
    return int(row[0]), float(row[1])
