"""A task's hand-off to a provider that must never get the same order twice (Fragment takes no
idempotency key: an order sent twice buys twice).

The hand-off is committed before the order leaves, and from then on the task is held: leased
without an end, so neither the lease-expiry logic nor another worker leases it again, and this
attempt's order is never sent again whatever happens to the process:

    none ─► sending ─┬─► none      the answer settled the task (completed, failed or queued again)
                     ├─► checking ─┬─► checking   the provider named its order, not finished yet
                     │             └─► none       it finished: completed, or failed (queued again)
                     └─► unknown ─► none          an admin completed or failed the task

`checking` asks the provider about its order on a schedule (`check_interval`); `unknown` means
the order may have been bought and nothing names it: an admin looks at the provider's account and
finishes the task with CompleteTask, or FailTask (retryable sends it again). A task found in
`sending` (the process stopped while the order was on its way) is `unknown` to an admin too.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from core_server.domain.states import check_edge
from core_server.store.models import TaskRow


class Handoff(StrEnum):
    NONE = "none"
    SENDING = "sending"
    CHECKING = "checking"
    UNKNOWN = "unknown"


H = Handoff
TRANSITIONS: dict[Handoff, frozenset[Handoff]] = {
    H.NONE: frozenset({H.SENDING}),
    H.SENDING: frozenset({H.NONE, H.CHECKING, H.UNKNOWN}),
    H.CHECKING: frozenset({H.NONE, H.CHECKING}),
    H.UNKNOWN: frozenset({H.NONE}),
}
# The order may have reached the provider: the task is held and its order never sent again.
HELD = frozenset({H.SENDING, H.CHECKING, H.UNKNOWN})

FIRST_CHECK = dt.timedelta(seconds=30)
MAX_CHECK = dt.timedelta(hours=1)


def move(row: TaskRow, to: Handoff, now: dt.datetime) -> None:
    check_edge("task hand-off", row.id, TRANSITIONS, Handoff, row.handoff, to)
    row.handoff, row.updated_at = to, now
    if to is H.NONE:
        row.checks = 0


def settle(row: TaskRow, now: dt.datetime) -> None:
    """The task's outcome ends whatever hand-off it had (an admin's CompleteTask or FailTask ends
    an unknown one; a retry starts its next attempt with none)."""
    if row.handoff != H.NONE:
        move(row, H.NONE, now)


def check_interval(checks: int) -> dt.timedelta:
    """30 s before the first status check, doubling per check, at most an hour."""
    interval: dt.timedelta = min(FIRST_CHECK * (2 ** min(checks, 16)), MAX_CHECK)
    return interval
