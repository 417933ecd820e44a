"""Queues: pending top-up requests and payout requests, one at a time, decided in one tap.

A request is shown with what the admin checks: a top-up's receipt (a Telegram file id is sent as a
photo, or as a document when Telegram says it is not one; a URL is shown as text), a payout's
destination. Approving a top-up is one tap; rejecting either asks for the reason and marking a
payout paid asks for its payment reference (the core requires both), typed in an FSM state.

Every decision is the core's (ApproveTopupRequest, RejectTopupRequest, ApprovePayoutRequest,
RejectPayoutRequest on the admin's behalf; QUEUES permission). A tap's request_id is made of the
admin, the action and the request, so a double tap replays the first answer instead of deciding
twice; a typed decision's is its message's. Two admins racing on one request: the core's row
lock lets one decide, the other gets FAILED_PRECONDITION *_NOT_PENDING whose metadata names the
status and who decided, shown as "already approved by …". The user hears of the decision from the
notifier (topup_request.* and referral.payout_* events), not from here.

The queues page one request at a time (page_size 1, newest first, as the core lists them); the
page tokens are kept in the admin's FSM data, as the history keeps its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import QUEUES
from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    QueueAction,
    QueueCallback,
    QueueDecisionCallback,
    QueueKind,
)
from bot_gateway.formatting import asset_scales, money, short_id
from bot_gateway.handlers.admin.health import count_text, pending_payouts, pending_topups
from bot_gateway.handlers.admin.people import actor_of, person
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG, refusal
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin_queues import (
    after_decision,
    back_to_queues,
    cancel_typing,
    queues_keyboard,
    request_keyboard,
)
from bot_gateway.states import AdminQueueStates
from bot_gateway.webhook_reply import answer_later
from sdk.billinghub.v1 import (
    referral_pb2,
    referral_service_pb2,
    topup_pb2,
    topup_service_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

router = Router(name="admin_queues")

NEEDS_QUEUES = {PERMISSION_FLAG: QUEUES}
TOKENS_KEYS = {QueueKind.TOPUP: "admin_topup_tokens", QueueKind.PAYOUT: "admin_payout_tokens"}
DECIDING_KEY = "admin_deciding"  # FSM data while a reason or reference is typed: kind, action, id
REASON_LIMIT = 500  # the core's limits of a rejection's reason and a payout's reference
REFERENCE_LIMIT = 200
NOT_PENDING = {"TOPUP_REQUEST_NOT_PENDING", "PAYOUT_NOT_PENDING"}
Request = topup_pb2.TopupRequest | referral_pb2.PayoutRequest


def _day(request: Request) -> str:
    return request.create_time.ToDatetime().strftime("%Y-%m-%d %H:%M")


def is_file_id(receipt: str) -> bool:
    """A receipt is a Telegram file id or an http(s) URL (the core accepts nothing else)."""
    return bool(receipt) and not receipt.startswith(("http://", "https://"))


async def topup_text(staff: BillingHubClient, request: topup_pb2.TopupRequest) -> str:
    lines = [_("💳 Top-up request #{id}").format(id=short_id(request.id)), ""]
    lines.append(_("From: {user}").format(user=await person(staff, request.user_id)))
    lines.append(_("Method: {method}").format(method=request.method_code))
    if request.amount.asset:
        scales = await asset_scales(staff, request.amount.asset)
        lines.append(_("Amount paid: {amount}").format(amount=money(request.amount, scales)))
    if request.package_id:
        lines.append(_("For package #{id}").format(id=short_id(request.package_id)))
    lines.append(_("Sent: {time} UTC").format(time=_day(request)))
    if request.receipt and not is_file_id(request.receipt):
        lines.append(_("Receipt: {url}").format(url=request.receipt))
    return "\n".join(lines)


async def payout_text(staff: BillingHubClient, request: referral_pb2.PayoutRequest) -> str:
    scales = await asset_scales(staff, request.amount.asset)
    lines = [_("💸 Payout request #{id}").format(id=short_id(request.id)), ""]
    lines.append(_("From: {user}").format(user=await person(staff, request.user_id)))
    lines.append(_("Amount: {amount}").format(amount=money(request.amount, scales)))
    lines.append(_("Pay to: {destination}").format(destination=request.destination))
    lines.append(_("Sent: {time} UTC").format(time=_day(request)))
    return "\n".join(lines)


async def _answer(callback: CallbackQuery) -> None:
    spinner = callback.answer()
    if not answer_later(spinner):
        await spinner


async def send_receipt(bot: Bot, chat_id: int, request: topup_pb2.TopupRequest) -> None:
    """The receipt as a photo, or as a document when Telegram says the file id is not a photo's
    (a PDF or an uncompressed picture the user sent as a file)."""
    caption = _("Receipt of top-up request #{id}").format(id=short_id(request.id))
    try:
        await bot.send_photo(chat_id, request.receipt, caption=caption)
    except TelegramBadRequest:
        await bot.send_document(chat_id, request.receipt, caption=caption)


@router.callback_query(AdminCallback.filter(F.section == AdminSection.QUEUES), flags=NEEDS_QUEUES)
async def open_queues(callback: CallbackQuery, staff: BillingHubClient, state: FSMContext) -> None:
    """How many requests wait in each queue."""
    await state.set_state(None)
    counts = []
    for read in (pending_topups, pending_payouts):
        try:
            counts.append(count_text(*await read(staff)))
        except BillingHubError:
            counts.append("?")
    text = "\n".join(
        [
            _("📥 Queues"),
            "",
            _("Top-up requests waiting: {count}").format(count=counts[0]),
            _("Payout requests waiting: {count}").format(count=counts[1]),
        ]
    )
    await show(callback, text, queues_keyboard())


async def _pending(
    staff: BillingHubClient, kind: QueueKind, token: str
) -> tuple[topup_pb2.TopupRequest | referral_pb2.PayoutRequest | None, str]:
    """The pending request of one page (one request a page) and the next page's token."""
    if kind is QueueKind.TOPUP:
        topups: topup_service_pb2.ListTopupRequestsResponse = await staff.topups.ListTopupRequests(
            topup_service_pb2.ListTopupRequestsRequest(
                status=topup_pb2.TOPUP_REQUEST_STATUS_PENDING, page_size=1, page_token=token
            )
        )
        return (topups.topup_requests[0] if topups.topup_requests else None), topups.next_page_token
    payouts: referral_service_pb2.ListPayoutRequestsResponse = await staff.referrals.ListPayoutRequests(
        referral_service_pb2.ListPayoutRequestsRequest(
            status=referral_pb2.PAYOUT_STATUS_PENDING, page_size=1, page_token=token
        )
    )
    return (payouts.payout_requests[0] if payouts.payout_requests else None), payouts.next_page_token


@router.callback_query(QueueCallback.filter(), flags=NEEDS_QUEUES)
async def show_request(
    callback: CallbackQuery, callback_data: QueueCallback, staff: BillingHubClient, state: FSMContext
) -> None:
    """One pending request with its decision buttons; a top-up's receipt file is sent first."""
    await state.set_state(None)  # a reason or reference left untyped (Cancel) is dropped
    kind, page = callback_data.kind, max(callback_data.page, 0)
    key = TOKENS_KEYS[kind]
    tokens: dict[str, str] = dict((await state.get_data()).get(key, {})) if page else {}
    token = tokens.get(str(page), "")
    if page and not token:  # a stale button (the data was cleared): start over
        page = 0
    request, next_token = await _pending(staff, kind, token)
    if next_token:
        tokens[str(page + 1)] = next_token
    await state.update_data({key: tokens, DECIDING_KEY: None})
    if request is None:
        empty = (
            _("No top-up requests are waiting.") if kind is QueueKind.TOPUP else _("No payout requests are waiting.")
        )
        await show(callback, empty, back_to_queues())
        return
    markup = request_keyboard(kind, request.id, page, has_next=bool(next_token))
    if isinstance(request, topup_pb2.TopupRequest):
        text = await topup_text(staff, request)
        if is_file_id(request.receipt) and callback.bot is not None and callback.from_user is not None:
            # the receipt, then the request under it, so the buttons are where the admin looks
            await send_receipt(callback.bot, callback.from_user.id, request)
            await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
            await _answer(callback)
            return
    else:
        text = await payout_text(staff, request)
    await show(callback, text, markup)


def already_text(kind: QueueKind, request_id: str, metadata: Mapping[str, str]) -> str:
    """A decided request, in the words of the core's refusal (its status and who decided)."""
    who = metadata.get("decided_by") or _("another admin")
    status, ref = metadata.get("status", ""), short_id(request_id)
    if kind is QueueKind.TOPUP:
        if status == "approved":
            return _("Top-up request #{id} was already approved by {who}.").format(id=ref, who=who)
        return _("Top-up request #{id} was already rejected by {who}.").format(id=ref, who=who)
    if status == "paid":
        return _("Payout request #{id} was already marked paid by {who}.").format(id=ref, who=who)
    return _("Payout request #{id} was already rejected by {who}.").format(id=ref, who=who)


async def decide(
    staff: BillingHubClient,
    admin: TelegramUser,
    kind: QueueKind,
    action: QueueAction,
    request_id: str,
    call_id: str,
    text: str = "",
) -> str:
    """Make the decision in the core and say how it went; `text` is the reason or the reference."""
    actor, ref = actor_of(admin), short_id(request_id)
    try:
        if kind is QueueKind.TOPUP and action is QueueAction.APPROVE:
            await staff.topups.ApproveTopupRequest(
                topup_service_pb2.ApproveTopupRequestRequest(
                    request_id=call_id, topup_request_id=request_id, actor=actor
                )
            )
            return _("✅ Top-up request #{id} approved: the wallet is credited.").format(id=ref)
        if kind is QueueKind.TOPUP:
            await staff.topups.RejectTopupRequest(
                topup_service_pb2.RejectTopupRequestRequest(
                    request_id=call_id, topup_request_id=request_id, reason=text, actor=actor
                )
            )
            return _("❌ Top-up request #{id} rejected: {reason}").format(id=ref, reason=text)
        if action is QueueAction.APPROVE:
            await staff.referrals.ApprovePayoutRequest(
                referral_service_pb2.ApprovePayoutRequestRequest(
                    request_id=call_id, payout_request_id=request_id, payment_reference=text, actor=actor
                )
            )
            return _("✅ Payout request #{id} marked paid ({reference}).").format(id=ref, reference=text)
        await staff.referrals.RejectPayoutRequest(
            referral_service_pb2.RejectPayoutRequestRequest(
                request_id=call_id, payout_request_id=request_id, reason=text, actor=actor
            )
        )
        return _("❌ Payout request #{id} rejected: {reason}").format(id=ref, reason=text)
    except FailedPrecondition as error:
        if error.reason in NOT_PENDING:
            return already_text(kind, request_id, error.metadata)
        raise
    except (NotFound, InvalidArgument):  # another shop's id, or a forged one
        return _("This request was not found.")
    except PermissionDenied:
        return refusal()


@router.callback_query(QueueDecisionCallback.filter(), flags=NEEDS_QUEUES)
async def press_decision(
    callback: CallbackQuery, callback_data: QueueDecisionCallback, staff: BillingHubClient, state: FSMContext
) -> None:
    """Approve a top-up now; for the rest ask what the core needs typed (a reason, a reference)."""
    kind, action, request_id = callback_data.kind, callback_data.action, callback_data.request_id
    if kind is QueueKind.TOPUP and action is QueueAction.APPROVE:
        call_id = f"tg-admin:{callback.from_user.id}:{kind}:{action}:{request_id}"  # a double tap replays
        await show(
            callback, await decide(staff, callback.from_user, kind, action, request_id, call_id), after_decision(kind)
        )
        return
    deciding = {"kind": str(kind), "action": str(action), "id": request_id}
    await state.update_data({DECIDING_KEY: deciding})
    ref = short_id(request_id)
    if action is QueueAction.APPROVE:
        await state.set_state(AdminQueueStates.reference)
        prompt = _(
            "Type the payment reference of payout request #{id} (a transaction hash or a note, one line, "
            "up to {limit} characters)."
        ).format(id=ref, limit=REFERENCE_LIMIT)
    else:
        await state.set_state(AdminQueueStates.reason)
        prompt = _("Type why request #{id} is rejected (up to {limit} characters); the user will read it.").format(
            id=ref, limit=REASON_LIMIT
        )
    await show(callback, prompt, cancel_typing(kind))


def typed_problem(text: str, *, reference: bool) -> str | None:
    """Why a typed reason or reference is refused, None when it is fine (the core's rules)."""
    limit = REFERENCE_LIMIT if reference else REASON_LIMIT
    allowed_controls = "" if reference else "\n\t"
    if not text.strip() or len(text) > limit or any(not ch.isprintable() and ch not in allowed_controls for ch in text):
        if reference:
            return _("The reference must be one line of 1 to {limit} characters.").format(limit=limit)
        return _("The reason must be 1 to {limit} characters.").format(limit=limit)
    return None


@router.message(AdminQueueStates.reason, flags=NEEDS_QUEUES)
@router.message(AdminQueueStates.reference, flags=NEEDS_QUEUES)
async def typed_decision(message: Message, staff: BillingHubClient, state: FSMContext) -> None:
    """The reason of a rejection or the reference of a paid payout: checked, then the decision."""
    data: dict[str, Any] = await state.get_data()
    deciding = data.get(DECIDING_KEY) or {}
    if not deciding or message.from_user is None:
        await state.set_state(None)
        return
    kind, action = QueueKind(deciding["kind"]), QueueAction(deciding["action"])
    text = message.text or ""
    problem = typed_problem(text, reference=await state.get_state() == AdminQueueStates.reference.state)
    if problem is not None:
        await message.answer(problem, reply_markup=cancel_typing(kind))
        return
    await state.set_state(None)
    await state.update_data({DECIDING_KEY: None})
    call_id = f"tg-message:{message.chat.id}:{message.message_id}"
    result = await decide(staff, message.from_user, kind, action, deciding["id"], call_id, text.strip())
    await message.answer(result, reply_markup=after_decision(kind))
