"""The admin queues of a tenant bot: pending top-up and payout requests shown with their receipt or
destination, approved or rejected (with a typed reason or reference) on the admin's behalf.

Each decision is the core's, made once: a double tap replays the first answer, and two admins
deciding one request at once get one decision, the other reading who made it. The user hears of it
from the running notifier, once. Two shops side by side never see each other's requests; an admin
without QUEUES is refused by the bot and by the core.
"""

from __future__ import annotations

import asyncio

import pytest

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    QueueAction,
    QueueCallback,
    QueueDecisionCallback,
    QueueKind,
)
from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import (
    bot_settings_pb2,
    order_service_pb2,
    referral_pb2,
    referral_service_pb2,
    topup_pb2,
    topup_service_pb2,
)
from sdk.errors import FailedPrecondition, PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import customer, token_shop
from tests.bots.test_notifications import notifier, sent
from tests.bots.test_topup import rub_shop
from tests.commerce.referrals import set_program
from tests.money import assert_ledger_ok, balance, fund, money
from tests.waiting import until

P = bot_settings_pb2
QUEUES_DATA = AdminCallback(section=AdminSection.QUEUES).pack()
TOPUPS = QueueCallback(kind=QueueKind.TOPUP, page=0).pack()
PAYOUTS = QueueCallback(kind=QueueKind.PAYOUT, page=0).pack()
RECEIPT = "AgACAgIAAx-receipt"


def decision(kind: QueueKind, action: QueueAction, request_id: str) -> str:
    return QueueDecisionCallback(kind=kind, action=action, request_id=request_id).pack()


async def topup_request(shop: TenantBot, user_id: str, amount: int = 50000, receipt: str = RECEIPT) -> str:
    """A pending manual top-up of `amount` RUB minor units, as the user's bot records it."""
    response: topup_service_pb2.CreateTopupRequestResponse = await shop.hub.topups.CreateTopupRequest(
        topup_service_pb2.CreateTopupRequestRequest(
            user_id=user_id, method_code="card_ru", amount=money(amount, "RUB"), receipt=receipt
        )
    )
    return response.topup_request.id


async def topup_status(shop: TenantBot, request_id: str) -> topup_pb2.TopupRequest:
    response = await shop.tenant.admin.topups.GetTopupRequest(
        topup_service_pb2.GetTopupRequestRequest(topup_request_id=request_id)
    )
    return response.topup_request


async def earner(shop: TenantBot) -> tuple[TgUser, str]:
    """A user whose invitee bought a 199.00 RUB pack: 19.90 RUB of commission to withdraw."""
    pack = await token_shop(shop)
    await set_program(shop.tenant, level_rates_bps=[1000])
    inviter, inviter_id = await customer(shop, "en")
    friend = new_user()
    await shop.send(friend, f"/start ref_{(await shop.core_user(inviter)).referral_code}")
    friend_id = (await shop.core_user(friend)).id
    await fund(shop.tenant, friend_id, 19900, "RUB")
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(user_id=friend_id, package_id=pack.id, pay_asset="RUB")
    )
    return inviter, inviter_id


async def payout_request(shop: TenantBot, user_id: str, amount: int, destination: str = "TRC20 TXyz123") -> str:
    response: referral_service_pb2.CreatePayoutRequestResponse = await shop.hub.referrals.CreatePayoutRequest(
        referral_service_pb2.CreatePayoutRequestRequest(user_id=user_id, amount_minor=amount, destination=destination)
    )
    return response.payout_request.id


async def payouts(shop: TenantBot) -> dict[str, referral_pb2.PayoutRequest]:
    listed = await shop.tenant.admin.referrals.ListPayoutRequests(referral_service_pb2.ListPayoutRequestsRequest())
    return {payout.id: payout for payout in listed.payout_requests}


def said(shop: TenantBot, since: int, method: str, *chats: int) -> list[str]:
    """The texts of `method` calls the bot made to `chats` since request number `since`, sorted
    (presses fed concurrently each see the other's calls, so they are read from the server)."""
    made = shop.api.requests[since:]
    return sorted(r.text for r in made if r.token == shop.token and r.method == method and r.chat_id in chats)


def mine(requests: list[BotRequest], admin: TgUser) -> list[BotRequest]:
    """What a press or message made for the admin (the running notifier may talk to others meanwhile)."""
    return [r for r in requests if r.chat_id == admin.id or r.method == "answercallbackquery"]


async def test_an_admin_approves_a_top_up_once_and_the_user_hears_of_it(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    await rub_shop(other, manual=True)
    ann, ann_id = await customer(shop, "en")
    request_id = await topup_request(shop, ann_id)
    _ivan, ivan_id = await customer(other, "en")
    await topup_request(other, ivan_id, 70000)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    bob = await make_admin(other, P.ADMIN_PERMISSION_QUEUES)

    async with notifier(shop):
        (menu,) = mine(await shop.send(olga, "/admin"), olga)
        (queues, _) = mine(await shop.press(olga, menu.button("Queues")), olga)
        (receipt, item, spinner) = mine(await shop.press(olga, queues.button("Top-up requests")), olga)
        (approved, _) = mine(await shop.press(olga, item.button("Approve")), olga)
        (again, _) = mine(await shop.press(olga, item.button("Approve")), olga)  # a double tap
        (forged, _) = await other.press(bob, decision(QueueKind.TOPUP, QueueAction.APPROVE, request_id))
        (empty, _) = mine(await shop.press(olga, approved.button("Next request")), olga)
        await until(lambda: len(sent(shop, ann.id)) >= 1)
        await asyncio.sleep(0.2)  # time for a second notice, were one sent

    ref = short_id(request_id)
    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "📥 Queues", "⬅️ Menu"]
    assert queues.text == "📥 Queues\n\nTop-up requests waiting: 1\nPayout requests waiting: 0"
    assert receipt.method == "sendphoto" and receipt.chat_id == olga.id
    assert receipt.params["photo"] == RECEIPT and receipt.params["caption"] == f"Receipt of top-up request #{ref}"
    assert item.method == "sendmessage" and spinner.method == "answercallbackquery"
    assert item.text.startswith(f"💳 Top-up request #{ref}\n\nFrom: Ann (@{ann.username}, {ann.id})\n")
    assert "Method: card_ru\nAmount paid: 500.00 RUB\nSent: " in item.text
    assert [label for label, _ in item.buttons()] == ["✅ Approve", "❌ Reject", "⬅️ Queues"]
    assert approved.text == again.text == f"✅ Top-up request #{ref} approved: the wallet is credited."
    assert [label for label, _ in approved.buttons()] == ["⏭ Next request", "⬅️ Queues"]
    assert forged.text == "This request was not found."  # shop A's request is nobody's in shop B
    assert empty.text == "No top-up requests are waiting."
    decided = await topup_status(shop, request_id)
    assert decided.status == topup_pb2.TOPUP_REQUEST_STATUS_APPROVED
    assert decided.decided_by == f"Ada (telegram:{olga.id})"
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 50000  # credited once
    assert (await balance(other.tenant.admin, ivan_id, "RUB")).posted.amount_minor == 0
    assert [notice.text for notice in sent(shop, ann.id)] == ["Your top-up request for 500.00 RUB was approved."]
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_a_rejection_takes_a_typed_reason_and_the_user_reads_it(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    ann, ann_id = await customer(shop, "en")
    request_id = await topup_request(shop, ann_id, receipt="BQACAgIAAx-pdf")
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    shop.api.refused.add("sendphoto")  # the file id is a document's: Telegram refuses it as a photo

    async with notifier(shop):
        (_, document, item, _) = mine(await shop.press(olga, TOPUPS), olga)
        (asked, _) = mine(await shop.press(olga, item.button("Reject")), olga)
        (blank,) = mine(await shop.send(olga, "   "), olga)
        (too_long,) = mine(await shop.send(olga, "x" * 501), olga)
        (rejected,) = mine(await shop.send(olga, "The receipt is unreadable"), olga)
        (after,) = mine(await shop.send(olga, "one more word"), olga)  # the conversation is over
        await until(lambda: len(sent(shop, ann.id)) >= 1)

    ref = short_id(request_id)
    assert document.method == "senddocument" and document.params["document"] == "BQACAgIAAx-pdf"
    assert asked.text == f"Type why request #{ref} is rejected (up to 500 characters); the user will read it."
    assert [label for label, _ in asked.buttons()] == ["✖️ Cancel"]
    assert blank.text == too_long.text == "The reason must be 1 to 500 characters."
    assert rejected.text == f"❌ Top-up request #{ref} rejected: The receipt is unreadable"
    assert "rejected" not in after.text
    decided = await topup_status(shop, request_id)
    assert decided.status == topup_pb2.TOPUP_REQUEST_STATUS_REJECTED
    assert decided.reason == "The receipt is unreadable"
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0
    assert [notice.text for notice in sent(shop, ann.id)] == [
        "Your top-up request for 500.00 RUB was rejected. The receipt is unreadable"
    ]
    await assert_ledger_ok(shop.tenant)


async def test_skip_walks_the_queue_newest_first(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    _ann, ann_id = await customer(shop, "en")
    older = await topup_request(shop, ann_id, 10000, receipt="https://example.com/older.jpg")
    newer = await topup_request(shop, ann_id, 20000, receipt="https://example.com/newer.jpg")
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)

    (first, _) = await shop.press(olga, TOPUPS)
    (second, _) = await shop.press(olga, first.button("Skip"))
    (stale, _) = await shop.press(olga, QueueCallback(kind=QueueKind.TOPUP, page=7).pack())  # no token kept

    assert first.method == "editmessagetext"  # a URL receipt is shown as text, no file is sent
    assert first.text.startswith(f"💳 Top-up request #{short_id(newer)}\n")
    assert first.text.endswith("Receipt: https://example.com/newer.jpg")
    assert [label for label, _ in first.buttons()] == ["✅ Approve", "❌ Reject", "⏭ Skip", "⬅️ Queues"]
    assert second.text.startswith(f"💳 Top-up request #{short_id(older)}\n")
    assert "Amount paid: 100.00 RUB" in second.text
    assert [label for label, _ in second.buttons()] == ["✅ Approve", "❌ Reject", "⬅️ Queues"]
    assert stale.text.startswith(f"💳 Top-up request #{short_id(newer)}\n")  # back to the newest


async def test_two_admins_deciding_one_request_at_once_decide_it_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    _ann, ann_id = await customer(shop, "en")
    request_id = await topup_request(shop, ann_id)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    petro = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    approve = decision(QueueKind.TOPUP, QueueAction.APPROVE, request_id)
    await shop.press(olga, TOPUPS)
    await shop.press(petro, TOPUPS)

    since = len(shop.api.requests)
    await asyncio.gather(shop.press(olga, approve), shop.press(petro, approve))
    texts = said(shop, since, "editmessagetext", olga.id, petro.id)
    (later, _) = await shop.press(petro, decision(QueueKind.TOPUP, QueueAction.REJECT, request_id))
    (too_late,) = await shop.send(petro, "no receipt")

    assert len(texts) == 2
    winner = (await topup_status(shop, request_id)).decided_by
    assert winner in (f"Ada (telegram:{olga.id})", f"Ada (telegram:{petro.id})")
    ref = short_id(request_id)
    assert texts == sorted(
        [f"✅ Top-up request #{ref} approved: the wallet is credited.",
         f"Top-up request #{ref} was already approved by {winner}."]
    )  # fmt: skip
    assert later.text.startswith(f"Type why request #{ref} is rejected")
    assert too_late.text == f"Top-up request #{ref} was already approved by {winner}."
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 50000
    with pytest.raises(FailedPrecondition) as refused:  # the core's refusal names the status and who decided
        await shop.hub.on_behalf_of(petro.id).topups.ApproveTopupRequest(
            topup_service_pb2.ApproveTopupRequestRequest(topup_request_id=request_id, actor="Petro")
        )
    assert refused.value.reason == "TOPUP_REQUEST_NOT_PENDING"
    assert refused.value.metadata == {"status": "approved", "decided_by": winner}
    await assert_ledger_ok(shop.tenant)


async def test_payouts_are_marked_paid_with_a_reference_or_rejected(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    inviter, inviter_id = await earner(shop)
    first = await payout_request(shop, inviter_id, 1550)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    petro = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    bob = await make_admin(other, P.ADMIN_PERMISSION_QUEUES)

    async with notifier(shop):
        (queues, _) = mine(await shop.press(olga, QUEUES_DATA), olga)
        (item, _) = mine(await shop.press(olga, queues.button("Payout requests")), olga)
        (asked, _) = mine(await shop.press(olga, item.button("Mark paid")), olga)
        await shop.press(petro, PAYOUTS)
        await shop.press(petro, item.button("Mark paid"))
        (two_lines,) = mine(await shop.send(olga, "0xabc\n0xdef"), olga)
        since = len(shop.api.requests)
        await asyncio.gather(shop.send(olga, "0xabc"), shop.send(petro, "0xdef"))
        answers = said(shop, since, "sendmessage", olga.id, petro.id)
        second = await payout_request(shop, inviter_id, 100)
        (item2, _) = mine(await shop.press(olga, PAYOUTS), olga)
        await shop.press(olga, item2.button("Reject"))
        (rejected,) = mine(await shop.send(olga, "Wrong network"), olga)
        (bobs, _) = await other.press(bob, PAYOUTS)
        await until(lambda: len(sent(shop, inviter.id)) >= 3)

    ref = short_id(first)
    assert queues.text == "📥 Queues\n\nTop-up requests waiting: 0\nPayout requests waiting: 1"
    assert item.text.startswith(f"💸 Payout request #{ref}\n\nFrom: Ann (@{inviter.username}, {inviter.id})\n")
    assert "Amount: 15.50 RUB\nPay to: TRC20 TXyz123\nSent: " in item.text
    assert [label for label, _ in item.buttons()] == ["✅ Mark paid", "❌ Reject", "⬅️ Queues"]
    assert asked.text.startswith(f"Type the payment reference of payout request #{ref}")
    assert two_lines.text == "The reference must be one line of 1 to 200 characters."
    decided = (await payouts(shop))[first]
    assert decided.status == referral_pb2.PAYOUT_STATUS_PAID
    assert answers == sorted(
        [f"✅ Payout request #{ref} marked paid ({decided.payment_reference}).",
         f"Payout request #{ref} was already marked paid by {decided.decided_by}."]
    )  # fmt: skip
    assert rejected.text == f"❌ Payout request #{short_id(second)} rejected: Wrong network"
    assert (await payouts(shop))[second].status == referral_pb2.PAYOUT_STATUS_REJECTED
    assert bobs.text == "No payout requests are waiting."
    assert [notice.text for notice in sent(shop, inviter.id)] == [
        "You earned a referral commission: 19.90 RUB.",
        "Your payout of 15.50 RUB was sent.",
        "Your payout request for 1.00 RUB was rejected. Wrong network",
    ]
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_only_admins_with_queues_decide(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await rub_shop(shop, manual=True)
    ann, ann_id = await customer(shop, "en")
    request_id = await topup_request(shop, ann_id)
    stan = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # an admin without QUEUES
    approve = decision(QueueKind.TOPUP, QueueAction.APPROVE, request_id)

    (menu,) = await shop.send(stan, "/admin")
    presses = [await shop.press(stan, data) for data in (QUEUES_DATA, TOPUPS, approve)]
    ann_press = await shop.press(ann, approve)

    assert all("Queues" not in label for label, _ in menu.buttons())
    for press in presses:
        assert [request.method for request in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
    assert all("approved" not in request.text for request in ann_press)
    for who in (stan, ann):
        with pytest.raises(PermissionDenied):
            await shop.hub.on_behalf_of(who.id).topups.ApproveTopupRequest(
                topup_service_pb2.ApproveTopupRequestRequest(topup_request_id=request_id, actor="forged")
            )
        with pytest.raises(PermissionDenied):
            await shop.hub.on_behalf_of(who.id).referrals.RejectPayoutRequest(
                referral_service_pb2.RejectPayoutRequestRequest(payout_request_id=request_id, reason="x", actor="x")
            )
    assert (await topup_status(shop, request_id)).status == topup_pb2.TOPUP_REQUEST_STATUS_PENDING
    assert (await balance(shop.tenant.admin, ann_id, "RUB")).posted.amount_minor == 0


LANGUAGES = {
    "ru": (
        "📥 Очереди\n\nЗаявок на пополнение ждут: 1\nЗаявок на выплату ждут: 0",
        ["✅ Одобрить", "❌ Отклонить", "⬅️ Очереди"],
        "✅ Заявка на пополнение #{ref} одобрена: кошелёк пополнен.",
        "Заявку на пополнение #{ref} уже одобрил {who}.",
    ),
    "uk": (
        "📥 Черги\n\nЗаявок на поповнення чекають: 1\nЗаявок на виплату чекають: 0",
        ["✅ Схвалити", "❌ Відхилити", "⬅️ Черги"],
        "✅ Заявку на поповнення #{ref} схвалено: гаманець поповнено.",
        "Заявку на поповнення #{ref} вже схвалив {who}.",
    ),
}


@pytest.mark.parametrize("language", ["ru", "uk"])
async def test_the_queues_speak_the_admins_language(tenant_bot: NewBot, language: str) -> None:
    shop = await tenant_bot("Shop A", default_locale=language)
    await rub_shop(shop, manual=True)
    _ann, ann_id = await customer(shop, language)
    request_id = await topup_request(shop, ann_id)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES, language=language)
    petro = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES, language=language)

    (queues, _) = await shop.press(olga, QUEUES_DATA)
    (_, item, _) = await shop.press(olga, TOPUPS)
    (done, _) = await shop.press(olga, item.button("✅"))
    (already, _) = await shop.press(petro, decision(QueueKind.TOPUP, QueueAction.APPROVE, request_id))

    title, buttons, approved, decided = LANGUAGES[language]
    ref = short_id(request_id)
    assert queues.text == title
    assert [label for label, _ in item.buttons()] == buttons
    assert done.text == approved.format(ref=ref)
    assert already.text == decided.format(ref=ref, who=f"Ada (telegram:{olga.id})")
