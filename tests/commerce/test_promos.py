"""Promo codes: admins create, list and disable them; users redeem credit codes into their wallets
and get discount codes taken off an order's price at CreateOrder, within the code's limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

import pytest

from core_server.domain.clock import FrozenClock
from core_server.domain.orders.service import OrderService
from sdk import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import audit_pb2, audit_service_pb2, order_pb2, package_pb2, tenant_pb2, wallet_pb2
from sdk.billinghub.v1 import order_service_pb2 as orders_pb
from sdk.billinghub.v1 import promo_service_pb2 as pb
from tests.commerce.catalog import create_package, price, token_pack
from tests.commerce.orders import create_order, pay
from tests.commerce.promos import (
    CREDIT,
    DISCOUNT,
    all_codes,
    create_code,
    credit_code,
    discount_code,
    redeem,
    settled_event_types,
    used_count,
)
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, fund, money, new_user

LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


async def _event_types(shop: TenantHandle) -> list[str]:
    return await settled_event_types(shop, "promo.")


async def _audit(shop: TenantHandle, action: str) -> list[audit_pb2.AuditEntry]:
    request = audit_service_pb2.ListAuditEntriesRequest(action=action)
    return list((await shop.admin.audit.ListAuditEntries(request)).audit_entries)


# --- credit codes -------------------------------------------------------------------------------


async def test_credit_code_is_redeemed_once_per_user(hub: Hub) -> None:
    shop = await hub.new_tenant("Promo credits")
    user = await new_user(shop)
    created = await credit_code(shop, "welcome-50", 500)
    assert (created.code, created.kind, created.per_user_limit, created.used_count) == ("WELCOME-50", CREDIT, 1, 0)
    assert (created.credit.asset, created.credit.amount_minor, created.disabled) == ("TOKEN", 500, False)
    first = await redeem(shop, user, "welcome-50")
    transfer = first.transfer
    assert (transfer.kind, transfer.amount.asset, transfer.amount.amount_minor) == (
        wallet_pb2.TRANSFER_KIND_PROMO,
        "TOKEN",
        500,
    )
    assert (transfer.debit.system, transfer.credit.user_id) == ("promo_expense", user)
    assert first.promo_code.used_count == 1
    again = await redeem(shop, user, " Welcome-50 ")
    assert (again.transfer.id, again.promo_code.used_count) == (transfer.id, 1)
    assert (await balance(shop.admin, user)).posted.amount_minor == 500
    assert await _event_types(shop) == ["promo.created", "promo.redeemed"]
    [entry] = await _audit(shop, "promo.created")
    assert (entry.target_type, entry.target_id, json.loads(entry.after)["credit_minor"]) == (
        "promo_code",
        "WELCOME-50",
        500,
    )
    await assert_ledger_ok(shop)


async def test_per_user_limit_allows_more_uses_then_repeats_the_latest(hub: Hub) -> None:
    shop = await hub.new_tenant("Promo twice")
    alice, bob = await new_user(shop, "a"), await new_user(shop, "b")
    await credit_code(shop, "TWICE", 300, per_user_limit=2)
    first, second = await redeem(shop, alice, "TWICE"), await redeem(shop, alice, "TWICE")
    assert first.transfer.id != second.transfer.id
    third = await redeem(shop, alice, "TWICE")
    assert (third.transfer.id, third.promo_code.used_count) == (second.transfer.id, 2)
    assert (await redeem(shop, bob, "TWICE")).promo_code.used_count == 3
    assert (await balance(shop.admin, alice)).posted.amount_minor == 600
    assert (await balance(shop.admin, bob)).posted.amount_minor == 300
    await assert_ledger_ok(shop)


async def test_redeem_refusals_credit_nothing(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Promo refusals")
    alice, bob = await new_user(shop, "a"), await new_user(shop, "b")
    await discount_code(shop, "SALE")
    await credit_code(shop, "OFF")
    await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="OFF"))
    await credit_code(
        shop, "SOON", start_time=clock.now() + dt.timedelta(days=1), end_time=clock.now() + dt.timedelta(days=2)
    )
    await credit_code(shop, "ONE", total_limit=1)
    await redeem(shop, alice, "ONE")
    for user, code, error, reason in [
        (bob, "NOPE", NotFound, "PROMO_CODE_NOT_FOUND"),
        (str(uuid.uuid4()), "ONE", NotFound, "USER_NOT_FOUND"),
        ("not-an-id", "ONE", InvalidArgument, "INVALID_ARGUMENT"),
        (bob, " ", InvalidArgument, "INVALID_ARGUMENT"),
        (bob, "SALE", FailedPrecondition, "PROMO_NOT_APPLICABLE"),
        (bob, "OFF", FailedPrecondition, "PROMO_INVALID"),
        (bob, "SOON", FailedPrecondition, "PROMO_INVALID"),
        (bob, "ONE", FailedPrecondition, "PROMO_EXHAUSTED"),
    ]:
        with pytest.raises(error) as caught:
            await redeem(shop, user, code)
        assert caught.value.reason == reason, code
    assert (await balance(shop.admin, bob)).posted.amount_minor == 0
    clock.advance(dt.timedelta(days=1))
    assert (await redeem(shop, bob, "SOON")).transfer.amount.amount_minor == 500
    clock.advance(dt.timedelta(days=1))
    with pytest.raises(FailedPrecondition) as late:
        await redeem(shop, alice, "SOON")
    assert late.value.reason == "PROMO_INVALID"
    # A redemption already made is answered again even once the code is disabled: nothing new moves.
    await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="ONE"))
    assert (await redeem(shop, alice, "ONE")).promo_code.disabled
    assert (await balance(shop.admin, alice)).posted.amount_minor == 500
    assert (await all_codes(shop))["ONE"].used_count == 1
    await assert_ledger_ok(shop)


# --- creating, listing, disabling ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"code": "ab", "kind": CREDIT, "credit": money(1)}, "promo_code.code"),
        ({"code": "no spaces", "kind": CREDIT, "credit": money(1)}, "promo_code.code"),
        ({"code": "X" * 33, "kind": CREDIT, "credit": money(1)}, "promo_code.code"),
        ({"code": "NOKIND"}, "promo_code.kind"),
        ({"code": "NOCREDIT", "kind": CREDIT}, "promo_code.credit"),
        ({"code": "ZERO", "kind": CREDIT, "credit": money(0)}, "promo_code.credit.amount_minor"),
        ({"code": "BOTH", "kind": CREDIT, "credit": money(1), "percent_bps": 10}, "promo_code.percent_bps"),
        ({"code": "AIMED", "kind": CREDIT, "credit": money(1), "categories": ["x"]}, "promo_code.package_ids"),
        ({"code": "NOBPS", "kind": DISCOUNT}, "promo_code.percent_bps"),
        ({"code": "TOOMUCH", "kind": DISCOUNT, "percent_bps": 10_001}, "promo_code.percent_bps"),
        ({"code": "PAYS", "kind": DISCOUNT, "percent_bps": 10, "credit": money(1)}, "promo_code.credit"),
        ({"code": "NEGUSER", "kind": DISCOUNT, "percent_bps": 10, "per_user_limit": -1}, "promo_code.per_user_limit"),
        ({"code": "NEGTOTAL", "kind": DISCOUNT, "percent_bps": 10, "total_limit": -1}, "promo_code.total_limit"),
        (
            {"code": "BACKWARD", "kind": DISCOUNT, "percent_bps": 10, "start_time": LATER, "end_time": LATER},
            "promo_code.end_time",
        ),
        ({"code": "BADPKG", "kind": DISCOUNT, "percent_bps": 10, "package_ids": ["nope"]}, "promo_code.package_ids[0]"),
        (
            {"code": "NOPKG", "kind": DISCOUNT, "percent_bps": 10, "package_ids": [str(uuid.uuid4())]},
            "promo_code.package_ids[0]",
        ),
        ({"code": "NOCAT", "kind": DISCOUNT, "percent_bps": 10, "categories": [" "]}, "promo_code.categories[0]"),
        (
            {"code": "LONGCAT", "kind": DISCOUNT, "percent_bps": 10, "categories": ["c" * 51]},
            "promo_code.categories[0]",
        ),
    ],
)
async def test_invalid_codes_are_refused(hub: Hub, fields: dict[str, object], bad: str) -> None:
    shop = await hub.new_tenant("Promo validation")
    rest = {name: value for name, value in fields.items() if name != "code"}
    with pytest.raises(InvalidArgument) as caught:
        await create_code(shop, str(fields["code"]), **rest)
    assert bad in {v.field for v in caught.value.field_violations}
    assert await all_codes(shop) == {}
    assert await _event_types(shop) == []


async def test_duplicates_unknown_assets_and_foreign_packages_are_refused(hub: Hub) -> None:
    shop, other = await hub.new_tenant("Promo dups"), await hub.new_tenant("Promo other")
    pack = await token_pack(shop)
    created = await discount_code(shop, "Dup", package_ids=[pack.id.upper()], categories=["tokens", "tokens"])
    assert (list(created.package_ids), list(created.categories)) == ([pack.id], ["tokens"])
    with pytest.raises(AlreadyExists) as caught:
        await credit_code(shop, "DUP")
    assert caught.value.reason == "PROMO_EXISTS"
    with pytest.raises(NotFound) as asset:
        await create_code(shop, "DOLLARS", kind=CREDIT, credit=money(100, "USD"))
    assert asset.value.reason == "ASSET_NOT_FOUND"
    with pytest.raises(InvalidArgument) as foreign:
        await discount_code(other, "THEIRS", package_ids=[pack.id])
    assert [v.field for v in foreign.value.field_violations] == ["promo_code.package_ids[0]"]
    assert list(await all_codes(shop)) == ["DUP"]
    assert await all_codes(other) == {}


async def test_list_pages_by_code_and_disable_hides_a_code(hub: Hub) -> None:
    shop = await hub.new_tenant("Promo list")
    for code in ("EEE", "CCC", "AAA", "DDD", "BBB"):
        await credit_code(shop, code)
    seen, token = [], ""
    while True:
        page = await shop.admin.promos.ListPromoCodes(pb.ListPromoCodesRequest(page_size=2, page_token=token))
        seen += [p.code for p in page.promo_codes]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["AAA", "BBB", "CCC", "DDD", "EEE"]
    request = pb.DisablePromoCodeRequest(code="bbb", request_id="disable-bbb")
    disabled = await shop.admin.promos.DisablePromoCode(request)
    assert (disabled.promo_code.code, disabled.promo_code.disabled) == ("BBB", True)
    assert await shop.admin.promos.DisablePromoCode(request) == disabled
    again = await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="BBB"))
    assert again.promo_code.disabled
    assert (await _event_types(shop)).count("promo.disabled") == 1
    [entry] = await _audit(shop, "promo.disabled")
    assert (json.loads(entry.before)["disabled"], json.loads(entry.after)["disabled"]) == (False, True)
    active = await shop.admin.promos.ListPromoCodes(pb.ListPromoCodesRequest())
    assert [p.code for p in active.promo_codes] == ["AAA", "CCC", "DDD", "EEE"]
    assert "BBB" in await all_codes(shop)
    with pytest.raises(NotFound):
        await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="ZZZ"))
    with pytest.raises(InvalidArgument):
        await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code=""))
    first = await shop.admin.promos.ListPromoCodes(pb.ListPromoCodesRequest(page_size=1))
    for bad in (
        pb.ListPromoCodesRequest(page_size=501),
        pb.ListPromoCodesRequest(include_disabled=True, page_token=first.next_page_token),
        pb.ListPromoCodesRequest(page_token="garbage"),
    ):
        with pytest.raises(InvalidArgument):
            await shop.admin.promos.ListPromoCodes(bad)


async def test_partners_redeem_but_do_not_manage_and_tenants_stay_apart(hub: Hub) -> None:
    shop, other = await hub.new_tenant("Promo roles"), await hub.new_tenant("Promo stranger")
    user = await new_user(shop)
    await credit_code(shop, "PARTNER")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    message = pb.CreatePromoCodeRequest(promo_code={"code": "MINE", "kind": CREDIT, "credit": money(1)})
    for call in (
        partner.promos.CreatePromoCode(message),
        partner.promos.ListPromoCodes(pb.ListPromoCodesRequest()),
        partner.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="PARTNER")),
    ):
        with pytest.raises(PermissionDenied):
            await call
    redeemed = await partner.promos.RedeemPromoCode(pb.RedeemPromoCodeRequest(user_id=user, code="partner"))
    assert redeemed.transfer.amount.amount_minor == 500
    with pytest.raises(NotFound):
        await redeem(other, await new_user(other), "PARTNER")
    assert (await all_codes(shop))["PARTNER"].used_count == 1
    await assert_ledger_ok(shop)


# --- discount codes at CreateOrder --------------------------------------------------------------


async def test_percent_discount_is_taken_off_the_order_total(hub: Hub) -> None:
    shop = await hub.new_tenant("Discounts")
    user = await new_user(shop)
    pack = await token_pack(shop, stars=100, tokens=1000)
    await discount_code(shop, "SALE25", 2500)
    order = await create_order(shop, user, pack.id, promo_code="sale25")
    assert (order.subtotal.amount_minor, order.discount.amount_minor, order.total.amount_minor) == (100, 25, 75)
    assert (order.promo_code, order.total.asset) == ("SALE25", "XTR")
    await fund(shop, user, 75, "XTR")
    paid = await pay(shop, order.id)
    assert paid.order.status == order_pb2.ORDER_STATUS_FULFILLED
    assert (await balance(shop.admin, user, "XTR")).posted.amount_minor == 0
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    assert await used_count(shop, "SALE25") == 1
    await assert_ledger_ok(shop)


async def test_discounts_restricted_to_packages_or_categories(hub: Hub) -> None:
    shop = await hub.new_tenant("Aimed discounts")
    user = await new_user(shop)
    pack = await token_pack(shop)
    other = await create_package(
        shop,
        kind=package_pb2.PACKAGE_KIND_TOPUP,
        price=price(100, "XTR"),
        delivers=price(100, "TOKEN"),
        category="extras",
    )
    await discount_code(shop, "ONLYPACK", per_user_limit=5, package_ids=[pack.id])
    await discount_code(shop, "ONLYTOKENS", per_user_limit=5, categories=["tokens"])
    for code in ("ONLYPACK", "ONLYTOKENS"):
        with pytest.raises(FailedPrecondition) as caught:
            await create_order(shop, user, other.id, promo_code=code)
        assert caught.value.reason == "PROMO_NOT_APPLICABLE"
        assert (await create_order(shop, user, pack.id, promo_code=code)).discount.amount_minor == 25
        assert await used_count(shop, code) == 1
    orders = await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest(user_id=user))
    assert [o.package_id for o in orders.orders] == [pack.id, pack.id]


async def test_discount_window_and_disabled_codes(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Discount window")
    user = await new_user(shop)
    pack = await token_pack(shop)
    start = clock.now() + dt.timedelta(hours=1)
    await discount_code(shop, "HAPPYHOUR", per_user_limit=5, start_time=start, end_time=start + dt.timedelta(hours=1))
    await discount_code(shop, "GONE")
    await shop.admin.promos.DisablePromoCode(pb.DisablePromoCodeRequest(code="GONE"))
    for code in ("HAPPYHOUR", "GONE"):
        with pytest.raises(FailedPrecondition) as caught:
            await create_order(shop, user, pack.id, promo_code=code)
        assert caught.value.reason == "PROMO_INVALID"
    clock.advance(dt.timedelta(hours=1))
    assert (await create_order(shop, user, pack.id, promo_code="HAPPYHOUR")).discount.amount_minor == 25
    clock.advance(dt.timedelta(hours=1))
    with pytest.raises(FailedPrecondition) as late:
        await create_order(shop, user, pack.id, promo_code="HAPPYHOUR")
    assert late.value.reason == "PROMO_INVALID"
    assert len((await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest())).orders) == 1


async def test_discount_limits_and_uses_given_back(clocked_hub: Hub, clock: FrozenClock) -> None:
    shop = await clocked_hub.new_tenant("Discount limits")
    alice, bob, carol = [await new_user(shop, name) for name in "abc"]
    pack = await token_pack(shop)
    await discount_code(shop, "TWO", total_limit=2)
    await credit_code(shop, "CASH")
    first = await create_order(shop, alice, pack.id, promo_code="TWO")
    with pytest.raises(FailedPrecondition) as per_user:
        await create_order(shop, alice, pack.id, promo_code="TWO")
    assert per_user.value.reason == "PROMO_EXHAUSTED"
    expiring = await create_order(shop, bob, pack.id, promo_code="TWO")
    with pytest.raises(FailedPrecondition) as total:
        await create_order(shop, carol, pack.id, promo_code="TWO")
    assert total.value.reason == "PROMO_EXHAUSTED"
    assert await used_count(shop, "TWO") == 2
    await shop.admin.orders.CancelOrder(orders_pb.CancelOrderRequest(order_id=first.id))
    assert await used_count(shop, "TWO") == 1
    kept = await create_order(shop, alice, pack.id, promo_code="TWO")
    await fund(shop, alice, 75, "XTR")
    assert (await pay(shop, kept.id)).order.total.amount_minor == 75
    clock.advance(dt.timedelta(hours=1, seconds=1))
    assert await OrderService(clocked_hub.deps).expire_due() >= 1
    got = await shop.admin.orders.GetOrder(orders_pb.GetOrderRequest(order_id=expiring.id))
    assert got.order.status == order_pb2.ORDER_STATUS_EXPIRED
    assert await used_count(shop, "TWO") == 1
    assert (await create_order(shop, carol, pack.id, promo_code="TWO")).discount.amount_minor == 25
    assert await used_count(shop, "TWO") == 2
    with pytest.raises(FailedPrecondition) as credit:
        await create_order(shop, carol, pack.id, promo_code="CASH")
    assert credit.value.reason == "PROMO_INVALID"
    with pytest.raises(NotFound):
        await create_order(shop, carol, pack.id, promo_code="UNKNOWN")
    assert await used_count(shop, "CASH") == 0
    await assert_ledger_ok(shop)


# --- races --------------------------------------------------------------------------------------


async def test_twenty_users_racing_for_five_credits_get_exactly_five(hub: Hub) -> None:
    shop = await hub.new_tenant("Promo rush")
    users = [await new_user(shop, f"u{n}") for n in range(20)]
    await credit_code(shop, "FIVE", 100, total_limit=5)
    results = await asyncio.gather(*(redeem(shop, user, "FIVE") for user in users), return_exceptions=True)
    won = [r for r in results if isinstance(r, pb.RedeemPromoCodeResponse)]
    lost = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "PROMO_EXHAUSTED"]
    assert (len(won), len(lost)) == (5, 15), [r for r in results if r not in won and r not in lost]
    assert len({r.transfer.id for r in won}) == 5
    assert await used_count(shop, "FIVE") == 5
    balances = [(await balance(shop.admin, user)).posted.amount_minor for user in users]
    assert sorted(balances) == [0] * 15 + [100] * 5
    await assert_ledger_ok(shop)


async def test_one_user_redeeming_ten_times_at_once_is_credited_once(hub: Hub) -> None:
    shop = await hub.new_tenant("Promo double tap")
    user = await new_user(shop)
    await credit_code(shop, "ONCE", 500)
    results = await asyncio.gather(*(redeem(shop, user, "ONCE") for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, pb.RedeemPromoCodeResponse) for r in results), results
    assert len({r.transfer.id for r in results if isinstance(r, pb.RedeemPromoCodeResponse)}) == 1
    assert (await balance(shop.admin, user)).posted.amount_minor == 500
    assert await used_count(shop, "ONCE") == 1
    await assert_ledger_ok(shop)


async def test_concurrent_orders_never_pass_the_discount_limit(hub: Hub) -> None:
    shop = await hub.new_tenant("Discount rush")
    users = [await new_user(shop, f"u{n}") for n in range(10)]
    pack = await token_pack(shop)
    await discount_code(shop, "THREE", total_limit=3)
    results = await asyncio.gather(
        *(create_order(shop, user, pack.id, promo_code="THREE") for user in users), return_exceptions=True
    )
    orders = [r for r in results if isinstance(r, order_pb2.Order)]
    lost = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "PROMO_EXHAUSTED"]
    assert (len(orders), len(lost)) == (3, 7)
    assert all(o.discount.amount_minor == 25 for o in orders)
    assert await used_count(shop, "THREE") == 3
    assert len((await shop.admin.orders.ListOrders(orders_pb.ListOrdersRequest())).orders) == 3
