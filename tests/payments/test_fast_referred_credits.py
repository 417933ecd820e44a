"""A referred buyer's order paid at a provider, on the ORM path and on the fast path with the same
assertions (tests/commerce/paths.py): the credit, the settlement and the referral commission in
one transaction, the commission's row and event as a wallet purchase writes them."""

from __future__ import annotations

import json

import pytest

from sdk.billinghub.v1 import order_pb2, order_service_pb2, package_pb2, wallet_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, price
from tests.commerce.orders import create_order
from tests.commerce.paths import PATHS, choose_path
from tests.commerce.promos import settled_events
from tests.commerce.referrals import amounts, join, set_program, stats
from tests.hub import Hub
from tests.money import assert_ledger_ok, balance
from tests.payments.shop import deliver, invoice_of, open_for_order, shop_with_testpay
from tests.payments.testpay import PROVIDER


@PATHS
async def test_a_referred_buyers_order_paid_at_a_provider_pays_the_commission(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    calls = choose_path(monkeypatch, fast)
    shop, _ = await shop_with_testpay(hub, "Referred orders at testpay")
    await set_program(shop, level_rates_bps=[1000])
    pack = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TOKEN_PACK, price=price(50_000, "RUB"), delivers=price(1000, "TOKEN")
    )
    for name in ("warm", "real"):  # the first teaches the core the accounts it moves (the ORM path takes it)
        affiliate, code = await join(shop, f"{name}-affiliate")
        buyer, _ = await join(shop, f"{name}-buyer", code)
        order = await create_order(shop, buyer, pack.id)
        payment = await open_for_order(shop, buyer, order.id)
        PROVIDER.pay(payment.provider_ref)
        assert (await deliver(hub, shop, invoice_of(payment))).outcome == pb.WEBHOOK_OUTCOME_APPLIED
        if name == "warm":
            calls.count()
    assert calls.calls == []
    got = (await shop.admin.orders.GetOrder(order_service_pb2.GetOrderRequest(order_id=order.id))).order
    assert (got.status, got.paid_via) == (order_pb2.ORDER_STATUS_FULFILLED, "provider:testpay")
    assert (await balance(shop.admin, affiliate, "RUB")).posted.amount_minor == 5_000
    assert (await balance(shop.admin, buyer, "RUB")).posted.amount_minor == 0
    assert (await balance(shop.admin, buyer, "TOKEN")).posted.amount_minor == 1000
    assert amounts((await stats(shop, affiliate)).earned) == {"RUB": 5_000}
    events = [(e.type, json.loads(e.data)) for e in await settled_events(shop, "referral.", "order.paid")]
    mine = [(kind, data.get("referrer_id")) for kind, data in events if data.get("order_id") == order.id]
    assert mine == [("referral.commission", affiliate), ("order.paid", None)]
    transfers = await shop.admin.wallet.ListTransfers(wallet_pb.ListTransfersRequest(user_id=affiliate))
    assert [t.kind for t in transfers.transfers] == [wallet_pb2.TRANSFER_KIND_REFERRAL_COMMISSION]
    await assert_ledger_ok(shop)
