"""Where a Telegram Stars charge goes, case by case: the first charge of the payer's own invoice
pays it, a renewal of the payer's subscription buys the plan again, and everything else is a
payment of its own credited to the payer's wallet (money Telegram took is never refused)."""

from __future__ import annotations

import uuid

import pytest

from core_server.domain.payments.stars_charges import Charge, Invoice, Route, route, why_own

PAYER, OTHER, PLAN = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _invoice(**fields: object) -> Invoice:
    base: dict[str, object] = {
        "id": uuid.uuid4(),
        "is_stars": True,
        "user_id": PAYER,
        "has_charge": False,
        "credited": False,
        "renews_package": None,
    }
    return Invoice(**{**base, **fields})  # type: ignore[arg-type]


def _charge(recurring: bool = False, first: bool = False) -> Charge:
    return Charge(
        user_id=str(PAYER), payload="p", currency="XTR", total=1, charge_id="c",
        is_recurring=recurring, is_first_recurring=first,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("invoice", "charge", "expected"),
    [
        (_invoice(), _charge(), Route.INVOICE),
        (_invoice(renews_package=PLAN), _charge(recurring=True, first=True), Route.INVOICE),
        (_invoice(renews_package=PLAN, has_charge=True, credited=True), _charge(recurring=True), Route.RENEWAL),
        (_invoice(renews_package=PLAN), _charge(recurring=True), Route.RENEWAL),  # the first update was lost
        (_invoice(has_charge=True, credited=True), _charge(), Route.OWN),  # paid twice
        (_invoice(has_charge=True, credited=True), _charge(recurring=True), Route.OWN),  # not a subscription
        (_invoice(user_id=OTHER), _charge(), Route.OWN),
        (_invoice(user_id=OTHER, renews_package=PLAN), _charge(recurring=True), Route.OWN),
        (_invoice(is_stars=False), _charge(), Route.OWN),
        (None, _charge(), Route.OWN),
    ],
)
def test_every_charge_has_one_route(invoice: Invoice | None, charge: Charge, expected: Route) -> None:
    assert route(invoice, PAYER, charge) is expected
    if expected is Route.OWN:
        assert why_own(invoice, PAYER, charge).endswith("credited to the wallet")


def test_only_a_recurring_charge_that_is_not_the_first_is_a_renewal() -> None:
    assert [_charge(r, f).is_renewal for r, f in ((False, False), (True, True), (True, False))] == [False, False, True]
