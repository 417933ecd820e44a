"""Which path a purchase, an order's creation or its payment took: the fast path (raw statements)
or the ORM path (tests/commerce/paths.py does the same for purchases and provider credits).

A test runs twice, `orm` (every fast path declines, as on a cold core) and `fast`
(after a warm-up that teaches the core the tenant's system accounts), asserting the same
outcomes; the probe counts the ORM path's use cases, so a `fast` test can say that none ran.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from core_server.api import order_servicer
from core_server.domain.fast_unit import TakeOrmPath
from core_server.domain.orders.payment import OrderPayments
from core_server.domain.orders.service import OrderService

PATHS = pytest.mark.parametrize("path", ["orm", "fast"])
_ORM = {"purchase": (OrderPayments, "purchase_from_wallet"), "pay": (OrderPayments, "pay_from_wallet")}
_FAST: list[tuple[object, str]] = [
    (OrderPayments, "purchase_fast"),
    (OrderPayments, "pay_fast"),
    (order_servicer, "create_fast"),
]


class PathProbe:
    """Counts the ORM path's purchases, payments and order creations (by name) since `reset`."""

    def __init__(self) -> None:
        self.orm_calls: Counter[str] = Counter()

    def reset(self) -> None:
        self.orm_calls.clear()


def take_path(monkeypatch: pytest.MonkeyPatch, path: str) -> PathProbe:
    """Count the ORM path's use cases; with path "orm", make every fast path decline."""
    probe = PathProbe()
    targets = {**_ORM, "create": (OrderService, "create")}
    for name, (owner, attribute) in targets.items():
        monkeypatch.setattr(owner, attribute, _counted(probe, name, getattr(owner, attribute)))
    if path == "orm":
        for owner, attribute in _FAST:
            monkeypatch.setattr(owner, attribute, _decline)
    return probe


def _counted(probe: PathProbe, name: str, original: Any) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        probe.orm_calls[name] += 1
        return await original(*args, **kwargs)

    return counted


async def _decline(*args: Any, **kwargs: Any) -> Any:
    raise TakeOrmPath("this test takes the ORM path")
