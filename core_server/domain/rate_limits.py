"""Per-key rate limits: a token bucket per API key, checked by the core on every call.

The core checks them, not the gateways, so a partner's gRPC calls and the REST calls the HTTP
gateway makes for it spend one budget. A key's role sets its limit (core settings); a role without
one is not limited: the bot gateway serves thousands of users through one key, and the platform
owner is trusted.

The bucket holds up to `burst` tokens and refills at `per_second`; a call takes one token, and a
call that finds none is refused with RATE_LIMITED (RESOURCE_EXHAUSTED) and the time until the next
token is due. The check runs right after authentication, before idempotency and the use case: a
refused call changes nothing and records nothing.

Where the bucket lives depends on the database, because that says how many cores there are:
- SQLite (the embedded default) has exactly one core process, so its buckets live in memory
  (`MemoryBuckets`) and a call costs a dictionary lookup and some arithmetic, no I/O.
- PostgreSQL may have several replicas behind a load balancer. The bucket is then a row of
  `rate_buckets` (store/repositories/rate_buckets.py) and each replica *leases* a batch of its
  tokens (a tenth of a second's worth, at least 1, at most `burst`) with one statement, spending
  them in memory: one round trip per batch, not per call. A lease unspent after `LEASE_SECONDS` is
  dropped, never returned (that errs toward refusing). Together the replicas admit at most what
  the shared bucket handed out: over any window, rate x window + burst, plus the unspent leases
  they carried into the window (at most one per replica).
A refused lease remembers when the next token is due; until then the replica refuses that key's
calls in memory, so a flood of refused calls costs the database nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from core_server.domain.actor import Actor, Role
from core_server.domain.clock import Clock
from core_server.domain.reasons import RateLimited
from core_server.store.repositories import rate_buckets
from core_server.store.unit_of_work import UnitOfWork

LEASE_FRACTION = 10  # a replica leases a tenth of a second's tokens at a time
LEASE_SECONDS = 1.0  # how long a replica may spend a lease's tokens


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket's shape: `per_second` tokens a second, at most `burst` saved up."""

    per_second: float
    burst: int

    @property
    def lease_size(self) -> int:
        """Tokens a replica leases at once from the shared bucket."""
        return max(1, min(self.burst, int(self.per_second // LEASE_FRACTION)))

    def refill(self, tokens: float, elapsed: float) -> float:
        """The tokens of a bucket that held `tokens` `elapsed` seconds ago (a negative time, from a
        clock that stepped back, refills nothing)."""
        return min(float(self.burst), tokens + self.per_second * max(0.0, elapsed))

    def wait_for_token(self, tokens: float) -> float:
        """Seconds until a bucket holding `tokens` holds a whole one."""
        return max(0.0, (1.0 - tokens) / self.per_second)


def limits_by_role(settings: Mapping[str, tuple[float, int]]) -> dict[Role, RateLimit]:
    """The limits of the roles named in settings ({role: (per second, burst)}): a rate of 0 means
    unlimited, a burst of 0 one second's worth of calls."""
    limits: dict[Role, RateLimit] = {}
    for role, (per_second, burst) in settings.items():
        if per_second < 0 or burst < 0:
            raise ValueError(f"rate limit of {role}: rate and burst must not be negative")
        if per_second > 0:
            limits[Role(role)] = RateLimit(per_second, burst or max(1, int(per_second)))
    return limits


class BucketStore(Protocol):
    async def lease(self, key_id: uuid.UUID, limit: RateLimit, want: int, now: dt.datetime) -> tuple[int, float]:
        """Take up to `want` tokens of the key's bucket: (tokens granted, tokens left)."""
        ...


class MemoryBuckets:
    """The buckets of the one core of an embedded (SQLite) deployment, in memory. Times are kept as
    datetimes: their differences are exact to the microsecond, where two epoch floats near 1.8e9
    differ by up to a quarter microsecond of rounding."""

    def __init__(self) -> None:
        self._buckets: dict[uuid.UUID, tuple[float, dt.datetime]] = {}  # key -> (tokens, at)

    def take(self, key_id: uuid.UUID, limit: RateLimit, now: dt.datetime) -> float:
        """Take one token: 0.0 when taken, else the seconds until the next one is due."""
        tokens, then = self._buckets.get(key_id, (float(limit.burst), now))
        tokens = limit.refill(tokens, (now - then).total_seconds())
        latest = max(now, then)
        if tokens >= 1.0:
            self._buckets[key_id] = (tokens - 1.0, latest)
            return 0.0
        self._buckets[key_id] = (tokens, latest)
        return limit.wait_for_token(tokens) or 1e-6


class SharedBuckets:
    """The buckets of PostgreSQL, shared by every replica (leases: see the module docstring)."""

    def __init__(self, open_unit: Callable[[], UnitOfWork]) -> None:
        self._open_unit = open_unit

    async def lease(self, key_id: uuid.UUID, limit: RateLimit, want: int, now: dt.datetime) -> tuple[int, float]:
        async with self._open_unit() as uow:
            granted = await rate_buckets.lease(
                uow, key_id, rate=limit.per_second, burst=limit.burst, want=want, now=now
            )
            await uow.commit()
        return granted


class _Lease:
    """What one replica holds of a key's shared bucket."""

    __slots__ = ("expires", "lock", "refused_until", "tokens")

    def __init__(self) -> None:
        self.tokens = 0
        self.expires = 0.0
        self.refused_until = 0.0
        self.lock = asyncio.Lock()


class RateLimiter:
    """Admits or refuses the calls of this core (one per server, built by the interceptor)."""

    def __init__(self, limits: Mapping[Role, RateLimit], clock: Clock, shared: BucketStore | None = None) -> None:
        """`shared`: the buckets of several replicas (PostgreSQL); None keeps them in memory."""
        self._limits = dict(limits)
        self._clock = clock
        self._shared = shared
        self._memory = MemoryBuckets()
        self._leases: dict[uuid.UUID, _Lease] = {}

    def limit_of(self, role: Role) -> RateLimit | None:
        return self._limits.get(role)

    async def admit(self, actor: Actor) -> None:
        """Return when the call may run; raise RateLimited when the key's budget is spent."""
        limit = self._limits.get(actor.role)
        if limit is None:
            return
        now = self._clock.now()
        if self._shared is None:
            wait = self._memory.take(actor.key_id, limit, now)
            if wait:
                raise _refusal(limit, wait)
            return
        at = now.timestamp()
        lease = self._leases.get(actor.key_id)
        if lease is None:
            lease = self._leases[actor.key_id] = _Lease()
        if lease.tokens > 0 and at < lease.expires:
            lease.tokens -= 1
            return
        if at < lease.refused_until:
            raise _refusal(limit, lease.refused_until - at)
        async with lease.lock:  # one lease in flight per key and replica; the others wait for it
            await self._renew(lease, actor.key_id, limit, now)

    async def _renew(self, lease: _Lease, key_id: uuid.UUID, limit: RateLimit, now: dt.datetime) -> None:
        at = now.timestamp()
        if lease.tokens > 0 and at < lease.expires:  # leased by the call this one waited for
            lease.tokens -= 1
            return
        if at < lease.refused_until:
            raise _refusal(limit, lease.refused_until - at)
        assert self._shared is not None
        granted, left = await self._shared.lease(key_id, limit, limit.lease_size, now)
        if granted == 0:
            wait = limit.wait_for_token(left) or 1e-6
            lease.tokens, lease.refused_until = 0, at + wait
            raise _refusal(limit, wait)
        lease.tokens, lease.expires = granted - 1, at + LEASE_SECONDS


def _refusal(limit: RateLimit, wait: float) -> RateLimited:
    return RateLimited(
        f"rate limit of this API key reached ({limit.per_second:g} calls/s, burst {limit.burst});"
        f" retry in {wait:.3f} s",
        retry_after=wait,
        metadata={"limit_per_second": f"{limit.per_second:g}", "burst": str(limit.burst)},
    )
