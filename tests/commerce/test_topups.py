"""Manual top-ups: the tenant lists how it accepts payments, a user asks to be credited for what
they paid, and an admin approves (the wallet is credited, once) or rejects the request."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import (
    audit_pb2,
    audit_service_pb2,
    catalog_service_pb2,
    package_pb2,
    tenant_pb2,
    topup_pb2,
    wallet_pb2,
    wallet_service_pb2,
)
from sdk.billinghub.v1 import topup_service_pb2 as pb
from tests.commerce.catalog import create_package, ensure_rub, price, token_pack
from tests.commerce.promos import settled_event_types
from tests.hub import Hub, TenantHandle
from tests.money import assert_ledger_ok, balance, money, new_user

PENDING = topup_pb2.TOPUP_REQUEST_STATUS_PENDING
APPROVED = topup_pb2.TOPUP_REQUEST_STATUS_APPROVED
REJECTED = topup_pb2.TOPUP_REQUEST_STATUS_REJECTED
CARD = topup_pb2.TopupMethod(
    code="card_ru",
    title={"ru": "Карта РФ", "en": "Russian card"},
    instructions={"ru": "Переведите на 2200 0000 0000 0000", "en": "Send to 2200 0000 0000 0000"},
    active=True,
)
CRYPTO = topup_pb2.TopupMethod(code="usdt-trc20", title={"en": "USDT"}, instructions={"en": "T..."}, active=False)
FILE_ID = "AgACAgIAAxkBAAIBQ2Z_receipt-photo_1"


async def _shop(hub: Hub, name: str) -> tuple[TenantHandle, str]:
    shop = await hub.new_tenant(name)
    await ensure_rub(shop)
    await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[CARD, CRYPTO]))
    return shop, await new_user(shop)


async def _ask(shop: TenantHandle, user: str, **fields: object) -> topup_pb2.TopupRequest:
    fields.setdefault("method_code", "card_ru")
    request = pb.CreateTopupRequestRequest(user_id=user, **fields)  # type: ignore[arg-type]
    created: pb.CreateTopupRequestResponse = await shop.admin.topups.CreateTopupRequest(request)
    return created.topup_request


async def _approve(shop: TenantHandle, request_id: str, **fields: object) -> pb.ApproveTopupRequestResponse:
    fields.setdefault("actor", "admin:42")
    request = pb.ApproveTopupRequestRequest(topup_request_id=request_id, **fields)  # type: ignore[arg-type]
    approved: pb.ApproveTopupRequestResponse = await shop.admin.topups.ApproveTopupRequest(request)
    return approved


async def _reject(
    shop: TenantHandle, request_id: str, reason: str = "no payment found"
) -> pb.RejectTopupRequestResponse:
    request = pb.RejectTopupRequestRequest(topup_request_id=request_id, reason=reason, actor="admin:42")
    rejected: pb.RejectTopupRequestResponse = await shop.admin.topups.RejectTopupRequest(request)
    return rejected


async def _all(shop: TenantHandle) -> list[topup_pb2.TopupRequest]:
    listed = await shop.admin.topups.ListTopupRequests(pb.ListTopupRequestsRequest(page_size=500))
    return list(listed.topup_requests)


async def _events(shop: TenantHandle) -> list[str]:
    return await settled_event_types(shop, "topup_request.")


async def _audit(shop: TenantHandle, action: str) -> list[audit_pb2.AuditEntry]:
    request = audit_service_pb2.ListAuditEntriesRequest(action=action)
    return list((await shop.admin.audit.ListAuditEntries(request)).audit_entries)


# --- methods ------------------------------------------------------------------------------------


async def test_methods_are_replaced_and_listed(hub: Hub) -> None:
    shop = await hub.new_tenant("Topup methods")
    assert list((await shop.admin.topups.ListTopupMethods(pb.ListTopupMethodsRequest())).methods) == []
    spaced = topup_pb2.TopupMethod(code=" card_ru ", title={"ru": " Карта РФ "}, active=True)
    stored = await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[spaced, CRYPTO]))
    assert [(m.code, dict(m.title)) for m in stored.methods] == [
        ("card_ru", {"ru": "Карта РФ"}),
        ("usdt-trc20", {"en": "USDT"}),
    ]
    every = await shop.admin.topups.ListTopupMethods(pb.ListTopupMethodsRequest())
    assert list(every.methods) == list(stored.methods)
    active = await shop.admin.topups.ListTopupMethods(pb.ListTopupMethodsRequest(active_only=True))
    assert [m.code for m in active.methods] == ["card_ru"]
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    assert len((await partner.topups.ListTopupMethods(pb.ListTopupMethodsRequest())).methods) == 2
    with pytest.raises(PermissionDenied):
        await partner.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[]))
    await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[]))
    assert list((await shop.admin.topups.ListTopupMethods(pb.ListTopupMethodsRequest())).methods) == []
    entries = await _audit(shop, "topup_methods.set")
    assert [len(json.loads(e.after)["methods"]) for e in entries] == [0, 2]
    assert [m["code"] for m in json.loads(entries[0].before)["methods"]] == ["card_ru", "usdt-trc20"]


def _method(code: str = "card", **fields: object) -> topup_pb2.TopupMethod:
    fields.setdefault("title", {"en": "Card"})
    return topup_pb2.TopupMethod(code=code, active=True, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("methods", "bad"),
    [
        ([_method(f"m{n}") for n in range(21)], "methods"),
        ([_method("x")], "methods[0].code"),
        ([_method("c" * 33)], "methods[0].code"),
        ([_method("with space")], "methods[0].code"),
        ([_method("card"), _method("card")], "methods[1].code"),
        ([_method(title={})], "methods[0].title"),
        ([_method(title={"de": "Karte"})], "methods[0].title[de]"),
        ([_method(title={"en": "t" * 101})], "methods[0].title[en]"),
        ([_method(instructions={"uk": "i" * 2001})], "methods[0].instructions[uk]"),
        ([_method(instructions={"fr": "carte"})], "methods[0].instructions[fr]"),
    ],
)
async def test_invalid_methods_change_nothing(hub: Hub, methods: list[topup_pb2.TopupMethod], bad: str) -> None:
    shop = await hub.new_tenant("Bad methods")
    await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=[CARD]))
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.topups.SetTopupMethods(pb.SetTopupMethodsRequest(methods=methods))
    assert bad in {v.field for v in caught.value.field_violations}
    assert list((await shop.admin.topups.ListTopupMethods(pb.ListTopupMethodsRequest())).methods) == [CARD]
    assert len(await _audit(shop, "topup_methods.set")) == 1


# --- requests -----------------------------------------------------------------------------------


async def test_approved_request_credits_the_amount_once(hub: Hub) -> None:
    shop, user = await _shop(hub, "Manual topups")
    asked = await _ask(shop, user, amount=money(50_000, "rub"), receipt=FILE_ID)
    assert (asked.status, asked.amount.asset, asked.amount.amount_minor, asked.receipt) == (
        PENDING,
        "RUB",
        50_000,
        FILE_ID,
    )
    assert (asked.method_code, asked.transfer_id, asked.decided_by, asked.HasField("decide_time")) == (
        "card_ru",
        "",
        "",
        False,
    )
    got = await shop.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=asked.id))
    assert got.topup_request == asked
    approval = pb.ApproveTopupRequestRequest(topup_request_id=asked.id, actor=" admin:42 ", request_id="approve-1")
    approved = (await shop.admin.topups.ApproveTopupRequest(approval)).topup_request
    assert (approved.status, approved.decided_by, approved.HasField("decide_time")) == (APPROVED, "admin:42", True)
    assert (await shop.admin.topups.ApproveTopupRequest(approval)).topup_request == approved
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 50_000
    transfers = await shop.admin.wallet.ListTransfers(wallet_service_pb2.ListTransfersRequest(user_id=user))
    [transfer] = transfers.transfers
    assert (transfer.id, transfer.kind, transfer.debit.system, transfer.actor) == (
        approved.transfer_id,
        wallet_pb2.TRANSFER_KIND_TOPUP,
        "provider:manual",
        "admin:42",
    )
    for again in (_approve(shop, asked.id), _reject(shop, asked.id)):
        with pytest.raises(FailedPrecondition) as caught:
            await again
        assert (caught.value.reason, caught.value.metadata["status"]) == ("TOPUP_REQUEST_NOT_PENDING", "approved")
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 50_000
    assert await _events(shop) == ["topup_request.created", "topup_request.approved"]
    [entry] = await _audit(shop, "topup_request.approved")
    assert (entry.target_id, json.loads(entry.after)["credited_minor"]) == (asked.id, 50_000)
    assert entry.actor.startswith("admin:42 via tenant_admin:")
    await assert_ledger_ok(shop)


async def test_package_requests_credit_the_delivery_or_the_override(hub: Hub) -> None:
    shop, user = await _shop(hub, "Package topups")
    pack = await token_pack(shop, stars=100, tokens=1000)
    plain = await _ask(shop, user, package_id=pack.id, receipt="https://example.com/receipts/1.jpg?x=1")
    paid = await _ask(shop, user, package_id=pack.id, amount=money(18_000, "RUB"))
    assert (plain.package_id, plain.HasField("amount"), paid.amount.amount_minor) == (pack.id, False, 18_000)
    await _approve(shop, plain.id)
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 1000
    await _approve(shop, paid.id, credit=money(1500, "token"))
    assert (await balance(shop.admin, user, "TOKEN")).posted.amount_minor == 2500
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    await assert_ledger_ok(shop)


async def test_rejected_request_moves_no_money(hub: Hub) -> None:
    shop, user = await _shop(hub, "Rejections")
    asked = await _ask(shop, user, amount=money(10_000, "RUB"))
    rejected = (await _reject(shop, asked.id, " receipt is unreadable ")).topup_request
    assert (rejected.status, rejected.reason, rejected.decided_by, rejected.transfer_id) == (
        REJECTED,
        "receipt is unreadable",
        "admin:42",
        "",
    )
    with pytest.raises(FailedPrecondition) as caught:
        await _approve(shop, asked.id)
    assert caught.value.reason == "TOPUP_REQUEST_NOT_PENDING"
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    assert await _events(shop) == ["topup_request.created", "topup_request.rejected"]
    [entry] = await _audit(shop, "topup_request.rejected")
    assert (entry.reason, json.loads(entry.after)["status"]) == ("receipt is unreadable", "rejected")
    await assert_ledger_ok(shop)


async def test_bad_requests_are_refused_and_nothing_is_recorded(hub: Hub) -> None:
    shop, user = await _shop(hub, "Bad topups")
    pack = await token_pack(shop)
    stars = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TELEGRAM_STARS, price=price(100, "RUB"), stars_quantity=50
    )
    hidden = await create_package(
        shop, kind=package_pb2.PACKAGE_KIND_TOPUP, price=price(100, "RUB"), delivers=price(100, "TOKEN"), active=False
    )
    archived = await token_pack(shop)
    await shop.admin.catalog.ArchivePackage(catalog_service_pb2.ArchivePackageRequest(package_id=archived.id))
    rub = money(100, "RUB")
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"method_code": "card_ru"}, InvalidArgument, "amount"),
        ({"amount": money(0, "RUB")}, InvalidArgument, "amount.amount_minor"),
        ({"amount": rub, "method_code": ""}, InvalidArgument, "method_code"),
        ({"amount": rub, "receipt": "short"}, InvalidArgument, "receipt"),
        ({"amount": rub, "receipt": "ftp://example.com/r.jpg"}, InvalidArgument, "receipt"),
        ({"amount": rub, "receipt": "https://example.com/a b.jpg"}, InvalidArgument, "receipt"),
        ({"amount": rub, "receipt": "https://example.com/" + "r" * 490}, InvalidArgument, "receipt"),
        ({"amount": rub, "package_id": "nope"}, InvalidArgument, "package_id"),
        ({"package_id": stars.id}, InvalidArgument, "package_id"),
        ({"amount": rub, "user_id": "nope"}, InvalidArgument, "user_id"),
        ({"amount": rub, "user_id": str(uuid.uuid4())}, NotFound, "USER_NOT_FOUND"),
        ({"amount": rub, "method_code": "paypal"}, NotFound, "TOPUP_METHOD_NOT_FOUND"),
        ({"amount": money(100, "USD")}, NotFound, "ASSET_NOT_FOUND"),
        ({"package_id": str(uuid.uuid4())}, NotFound, "PACKAGE_NOT_FOUND"),
        ({"amount": rub, "method_code": "usdt-trc20"}, FailedPrecondition, "METHOD_INACTIVE"),
        ({"package_id": hidden.id}, FailedPrecondition, "PACKAGE_INACTIVE"),
        ({"package_id": archived.id}, FailedPrecondition, "PACKAGE_INACTIVE"),
    ]
    for fields, error, expected in cases:
        fields = {"user_id": user, "method_code": "card_ru", **fields}
        request = pb.CreateTopupRequestRequest(**fields)  # type: ignore[arg-type]
        with pytest.raises(error) as caught:
            await shop.admin.topups.CreateTopupRequest(request)
        if isinstance(caught.value, InvalidArgument):
            assert expected in {v.field for v in caught.value.field_violations}, fields
        else:
            assert getattr(caught.value, "reason", "") == expected, fields
    assert await _all(shop) == []
    assert await _events(shop) == []
    assert (await _ask(shop, user, package_id=pack.id)).status == PENDING


async def test_bad_decisions_change_nothing(hub: Hub) -> None:
    shop, user = await _shop(hub, "Bad decisions")
    asked = await _ask(shop, user, amount=money(100, "RUB"))
    for request, error in [
        (pb.ApproveTopupRequestRequest(topup_request_id=asked.id, actor=""), InvalidArgument),
        (pb.ApproveTopupRequestRequest(topup_request_id=asked.id, actor="a" * 101), InvalidArgument),
        (pb.ApproveTopupRequestRequest(topup_request_id=asked.id, actor="a", credit=money(-5, "RUB")), InvalidArgument),
        (pb.ApproveTopupRequestRequest(topup_request_id=asked.id, actor="a", credit=money(5, "USD")), NotFound),
        (pb.ApproveTopupRequestRequest(topup_request_id="nope", actor="a"), InvalidArgument),
        (pb.ApproveTopupRequestRequest(topup_request_id=str(uuid.uuid4()), actor="a"), NotFound),
    ]:
        with pytest.raises(error):
            await shop.admin.topups.ApproveTopupRequest(request)
    for rejection, error in [
        (pb.RejectTopupRequestRequest(topup_request_id=asked.id, reason="", actor="a"), InvalidArgument),
        (pb.RejectTopupRequestRequest(topup_request_id=asked.id, reason="r" * 501, actor="a"), InvalidArgument),
        (pb.RejectTopupRequestRequest(topup_request_id=asked.id, reason="r", actor=""), InvalidArgument),
        (pb.RejectTopupRequestRequest(topup_request_id=str(uuid.uuid4()), reason="r", actor="a"), NotFound),
    ]:
        with pytest.raises(error):
            await shop.admin.topups.RejectTopupRequest(rejection)
    with pytest.raises(NotFound):
        await shop.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=str(uuid.uuid4())))
    with pytest.raises(InvalidArgument):
        await shop.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=""))
    got = await shop.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=asked.id))
    assert got.topup_request == asked
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
    assert await _events(shop) == ["topup_request.created"]
    await assert_ledger_ok(shop)


async def test_listing_filters_pages_and_roles(hub: Hub) -> None:
    shop, alice = await _shop(hub, "Topup lists")
    bob = await new_user(shop, "bob")
    ids = [(await _ask(shop, alice, amount=money(100 * n, "RUB"))).id for n in range(1, 4)]
    bobs = (await _ask(shop, bob, amount=money(500, "RUB"))).id
    await _approve(shop, ids[0])
    await _reject(shop, bobs)
    first = await shop.admin.topups.ListTopupRequests(pb.ListTopupRequestsRequest(user_id=alice, page_size=2))
    rest = await shop.admin.topups.ListTopupRequests(
        pb.ListTopupRequestsRequest(user_id=alice, page_size=2, page_token=first.next_page_token)
    )
    assert [r.id for r in [*first.topup_requests, *rest.topup_requests]] == ids[::-1]
    assert rest.next_page_token == ""
    pending = await shop.admin.topups.ListTopupRequests(pb.ListTopupRequestsRequest(status=PENDING))
    assert [r.id for r in pending.topup_requests] == ids[:0:-1]
    rejected = await shop.admin.topups.ListTopupRequests(pb.ListTopupRequestsRequest(status=REJECTED))
    assert [r.id for r in rejected.topup_requests] == [bobs]
    for bad in (
        pb.ListTopupRequestsRequest(page_size=501),
        pb.ListTopupRequestsRequest(user_id="nope"),
        pb.ListTopupRequestsRequest(status=99),  # type: ignore[arg-type]
        pb.ListTopupRequestsRequest(user_id=bob, page_token=first.next_page_token),
    ):
        with pytest.raises(InvalidArgument):
            await shop.admin.topups.ListTopupRequests(bad)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    with pytest.raises(InvalidArgument):
        await partner.topups.ListTopupRequests(pb.ListTopupRequestsRequest())
    own = await partner.topups.ListTopupRequests(pb.ListTopupRequestsRequest(user_id=bob))
    assert [r.id for r in own.topup_requests] == [bobs]
    made = await partner.topups.CreateTopupRequest(
        pb.CreateTopupRequestRequest(user_id=bob, method_code="card_ru", amount=money(1, "RUB"))
    )
    with pytest.raises(PermissionDenied):
        await partner.topups.ApproveTopupRequest(
            pb.ApproveTopupRequestRequest(topup_request_id=made.topup_request.id, actor="me")
        )
    with pytest.raises(PermissionDenied):
        await partner.topups.RejectTopupRequest(
            pb.RejectTopupRequestRequest(topup_request_id=made.topup_request.id, reason="r", actor="me")
        )
    other = await hub.new_tenant("Topup stranger")
    with pytest.raises(NotFound):
        await other.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=ids[1]))
    with pytest.raises(NotFound):
        await other.admin.topups.ApproveTopupRequest(pb.ApproveTopupRequestRequest(topup_request_id=ids[1], actor="a"))
    assert (await balance(shop.admin, alice, "RUB")).posted.amount_minor == 100
    await assert_ledger_ok(shop)


# --- races --------------------------------------------------------------------------------------


async def test_ten_concurrent_approvals_credit_once(hub: Hub) -> None:
    shop, user = await _shop(hub, "Approval rush")
    asked = await _ask(shop, user, amount=money(7_500, "RUB"))
    results = await asyncio.gather(*(_approve(shop, asked.id) for _ in range(10)), return_exceptions=True)
    won = [r for r in results if isinstance(r, pb.ApproveTopupRequestResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "TOPUP_REQUEST_NOT_PENDING"]
    assert (len(won), len(refused)) == (1, 9)
    assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 7_500
    assert (await _events(shop)).count("topup_request.approved") == 1
    await assert_ledger_ok(shop)


async def test_approval_and_rejection_racing_have_one_winner(hub: Hub) -> None:
    shop, user = await _shop(hub, "Decision race")
    asked = await _ask(shop, user, amount=money(2_000, "RUB"))
    calls = [_approve(shop, asked.id) if n % 2 else _reject(shop, asked.id) for n in range(10)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in results if isinstance(r, pb.ApproveTopupRequestResponse | pb.RejectTopupRequestResponse)]
    refused = [r for r in results if isinstance(r, FailedPrecondition) and r.reason == "TOPUP_REQUEST_NOT_PENDING"]
    assert (len(won), len(refused)) == (1, 9)
    final = (
        await shop.admin.topups.GetTopupRequest(pb.GetTopupRequestRequest(topup_request_id=asked.id))
    ).topup_request
    credited = (await balance(shop.admin, user, "RUB")).posted.amount_minor
    assert (final.status, credited) in {(APPROVED, 2_000), (REJECTED, 0)}
    assert final == won[0].topup_request
    await assert_ledger_ok(shop)
