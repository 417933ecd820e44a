"""Which path a purchase or a provider credit takes: a test runs its story once on the ORM path
(the fast path switched off) and once on the fast path (warmed up, then no ORM call allowed),
with the same assertions, so the fast path is pinned to what the ORM path does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from core_server.api import order_servicer
from core_server.domain.fast_unit import TakeOrmPath
from core_server.domain.orders.payment import OrderPayments
from core_server.domain.payments import fast_credit
from core_server.domain.payments.service import PaymentService

PATHS = pytest.mark.parametrize("fast", [False, True], ids=["orm", "fast"])


@dataclass
class OrmCalls:
    """The ORM path's calls since `count()` started counting (the fast path's warm-up before it)."""

    counting: bool = False
    calls: list[str] = field(default_factory=list)

    def count(self) -> None:
        self.counting, self.calls[:] = True, []


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise TakeOrmPath("this test runs the ORM path")


def _counted(calls: OrmCalls, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if calls.counting:
            calls.calls.append(name)
        return await original(*args, **kwargs)

    return wrapper


def choose_path(monkeypatch: pytest.MonkeyPatch, fast: bool) -> OrmCalls:
    """Switch the fast paths of the purchases (one call or two) and of provider credits off (`fast` False), or
    count the ORM path's calls (a fast test asserts none after its warm-up)."""
    calls = OrmCalls()
    if not fast:
        monkeypatch.setattr(OrderPayments, "purchase_fast", _refuse)
        monkeypatch.setattr(OrderPayments, "pay_fast", _refuse)
        monkeypatch.setattr(order_servicer, "create_fast", _refuse)
        monkeypatch.setattr(fast_credit, "credit_payment", _refuse)
        return calls
    original_purchase = OrderPayments.purchase_from_wallet
    monkeypatch.setattr(
        OrderPayments, "purchase_from_wallet", _counted(calls, "purchase_from_wallet", original_purchase)
    )
    monkeypatch.setattr(PaymentService, "_apply", _counted(calls, "PaymentService._apply", PaymentService._apply))
    return calls
