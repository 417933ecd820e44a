"""± balance adjustments: asset -> amount (a preset or typed) -> reason -> a confirm screen -> posted.

`/adjust <user> <amount> [asset] <reason>` (user: core id, Telegram id or @username; amount signed,
"-50" or "+100.50") goes straight to the same confirm screen. Typed amounts are parsed with
`sdk.money.parse_amount` at the asset's scale, never through float.

The confirm screen names the adjustment it shows with a fresh token, kept with the adjustment in
the admin's FSM data and carried by the Confirm button; AdjustBalance is sent on the admin's
behalf with the request id `tg-adjust:<token>`, so a double tap, a press delivered twice or two
presses racing post once (the core replays the first answer for the same request id), while an
old confirm screen whose adjustment was replaced by a newer one is refused. The core's refusals
(insufficient funds for a debit, a balance limit, a bad amount) are told in the admin's words.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.types import User as TelegramUser
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import ADJUST
from bot_gateway.callbacks import AdjustAssetCallback, AdjustConfirmCallback, AdjustPresetCallback, AdjustUserCallback
from bot_gateway.formatting import asset_scales
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG, refusal
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin import back_to_admin
from bot_gateway.keyboards.admin_users import (
    adjust_assets_keyboard,
    adjust_confirm_keyboard,
    adjust_presets_keyboard,
    after_adjust_keyboard,
    back_to_profile,
)
from bot_gateway.states import AdminUserStates
from bot_gateway.user_lookup import by_core_id, display_name, resolve_user
from bot_gateway.webhook_reply import answer_later
from sdk.billinghub.v1 import common_pb2, user_pb2, wallet_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.money import format_amount, parse_amount

router = Router(name="admin_adjust")

NEEDS_ADJUST = {PERMISSION_FLAG: ADJUST}
NOT_A_COMMAND = ~F.text.startswith("/")
CREDIT, DEBIT = wallet_service_pb2.TRANSFER_DIRECTION_CREDIT, wallet_service_pb2.TRANSFER_DIRECTION_DEBIT
MAX_MINOR = 10**15  # the core's bound on one adjustment
MAX_REASON = 500  # the core's bound on the reason
DRAFT_KEY = "admin_adjust"  # FSM data: the adjustment being composed or confirmed


def signed(amount_minor: int, scale: int, asset: str) -> str:
    """+100.00 RUB / -50.00 RUB."""
    return ("+" if amount_minor > 0 else "") + format_amount(amount_minor, scale, asset)


def usage() -> str:
    return _(
        "Usage: /adjust <user> <amount> [asset] <reason>\n"
        "user: an id, a Telegram id or an @username; amount: signed, e.g. +100.50 or -50.\n"
        "Example: /adjust @ann +100 RUB contest prize"
    )


def amount_error(asset: str, scale: int) -> str:
    return _("That is not an amount of {asset}. Type a signed number like +{example} or -{example}.").format(
        asset=asset, example=format_amount(100 * 10**scale, scale)
    )


def bounds_error(asset: str, scale: int) -> str:
    return _("The amount must not be zero and at most {high} either way.").format(
        high=format_amount(MAX_MINOR, scale, asset)
    )


def parse_signed(text: str, asset: str, scale: int) -> tuple[int | None, str]:
    """Signed minor units of `text` at the asset's scale, or None and what is wrong with it."""
    try:
        amount = parse_amount(text, scale, asset)
    except ValueError:
        return None, amount_error(asset, scale)
    if not 0 < abs(amount.amount_minor) <= MAX_MINOR:
        return None, bounds_error(asset, scale)
    return amount.amount_minor, ""


async def _draft(state: FSMContext) -> dict[str, Any]:
    data = await state.get_data()
    draft = data.get(DRAFT_KEY)
    return dict(draft) if isinstance(draft, dict) else {}


async def _expired(event: Message | CallbackQuery) -> None:
    await show(event, _("This adjustment is no longer in progress. Open the user again."), back_to_admin())


@router.callback_query(AdjustUserCallback.filter(), flags=NEEDS_ADJUST)
async def start_adjust(
    callback: CallbackQuery, callback_data: AdjustUserCallback, state: FSMContext, staff: BillingHubClient
) -> None:
    """Choose the asset (with one asset, ask the amount at once)."""
    user = await by_core_id(staff, callback_data.user_id)
    if user is None:
        await show(callback, _("No such user in this shop."), back_to_admin())
        return
    scales = await asset_scales(staff)
    await state.update_data({DRAFT_KEY: {"user_id": user.id}})
    if len(scales) == 1:
        (asset, scale), *_rest = scales.items()
        await _ask_amount(callback, state, user, asset, scale)
        return
    await state.set_state(AdminUserStates.amount)
    text = _("± Adjust the balance of {user}. Choose the asset:").format(user=display_name(user))
    await show(callback, text, adjust_assets_keyboard(user.id, scales))


async def _ask_amount(
    event: Message | CallbackQuery, state: FSMContext, user: user_pb2.User, asset: str, scale: int
) -> None:
    await state.set_state(AdminUserStates.amount)
    await state.update_data({DRAFT_KEY: {"user_id": user.id, "asset": asset}})
    text = _(
        "± Adjust the {asset} balance of {user}. Choose an amount or type one: +{example} adds, -{example} takes away."
    ).format(asset=asset, user=display_name(user), example=format_amount(100 * 10**scale, scale))
    await show(event, text, adjust_presets_keyboard(user.id, asset, scale))


@router.callback_query(AdjustAssetCallback.filter(), flags=NEEDS_ADJUST)
async def choose_asset(
    callback: CallbackQuery, callback_data: AdjustAssetCallback, state: FSMContext, staff: BillingHubClient
) -> None:
    draft = await _draft(state)
    scales = await asset_scales(staff, callback_data.asset)
    user = await by_core_id(staff, draft["user_id"]) if draft.get("user_id") else None
    if user is None or callback_data.asset not in scales:
        await _expired(callback)
        return
    await _ask_amount(callback, state, user, callback_data.asset, scales[callback_data.asset])


async def _ask_reason(event: Message | CallbackQuery, state: FSMContext, staff: BillingHubClient, minor: int) -> None:
    draft = await _draft(state)
    user = await by_core_id(staff, draft["user_id"])
    if user is None:
        await _expired(event)
        return
    scales = await asset_scales(staff, draft["asset"])
    draft["amount_minor"] = minor
    await state.update_data({DRAFT_KEY: draft})
    await state.set_state(AdminUserStates.reason)
    text = _("{amount} for {user}. Now type the reason (up to {limit} characters); it goes to the audit log.").format(
        amount=signed(minor, scales.get(draft["asset"], 0), draft["asset"]), user=display_name(user), limit=MAX_REASON
    )
    await show(event, text, back_to_profile(user.id))


@router.callback_query(AdjustPresetCallback.filter(), flags=NEEDS_ADJUST)
async def choose_preset(
    callback: CallbackQuery, callback_data: AdjustPresetCallback, state: FSMContext, staff: BillingHubClient
) -> None:
    draft = await _draft(state)
    if "asset" not in draft:
        await _expired(callback)
        return
    scale = (await asset_scales(staff, draft["asset"])).get(draft["asset"], 0)
    if not 0 < abs(callback_data.amount_minor) <= MAX_MINOR:
        await show(callback, bounds_error(draft["asset"], scale), back_to_profile(draft["user_id"]))
        return
    await _ask_reason(callback, state, staff, callback_data.amount_minor)


@router.message(AdminUserStates.amount, F.text, NOT_A_COMMAND, flags=NEEDS_ADJUST)
async def type_amount(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    """A typed signed amount of the chosen asset."""
    draft = await _draft(state)
    if "asset" not in draft:
        await message.answer(_("Choose the asset first."))
        return
    asset = draft["asset"]
    scale = (await asset_scales(staff, asset)).get(asset, 0)
    minor, error = parse_signed(message.text or "", asset, scale)
    if minor is None:
        await message.answer(error, reply_markup=back_to_profile(draft["user_id"]))
        return
    await _ask_reason(message, state, staff, minor)


def clean_reason(text: str) -> str | None:
    reason = " ".join(text.split())
    return reason if 0 < len(reason) <= MAX_REASON else None


@router.message(AdminUserStates.reason, F.text, NOT_A_COMMAND, flags=NEEDS_ADJUST)
async def type_reason(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    """The reason: then the confirm screen."""
    draft = await _draft(state)
    reason = clean_reason(message.text or "")
    if reason is None:
        text = _("The reason must be from 1 to {limit} characters. Type it again.").format(limit=MAX_REASON)
        await message.answer(text, reply_markup=back_to_profile(draft.get("user_id", "")))
        return
    user = await by_core_id(staff, draft.get("user_id", ""))
    if user is None or "amount_minor" not in draft:
        await _expired(message)
        return
    await _confirm(message, state, staff, user, draft["asset"], draft["amount_minor"], reason)


async def _balance(staff: BillingHubClient, user_id: str, asset: str) -> common_pb2.Money:
    response: wallet_service_pb2.GetBalancesResponse = await staff.wallet.GetBalances(
        wallet_service_pb2.GetBalancesRequest(user_id=user_id)
    )
    found = [b.available for b in response.balances if b.available.asset == asset]
    return found[0] if found else common_pb2.Money(asset=asset, amount_minor=0)


async def _confirm(
    event: Message | CallbackQuery,
    state: FSMContext,
    staff: BillingHubClient,
    user: user_pb2.User,
    asset: str,
    minor: int,
    reason: str,
) -> None:
    """Show exactly what Confirm will do; a new token names this adjustment."""
    token = uuid.uuid4().hex
    draft = {"user_id": user.id, "asset": asset, "amount_minor": minor, "reason": reason, "token": token}
    await state.update_data({DRAFT_KEY: draft})
    await state.set_state(AdminUserStates.confirm)
    scale = (await asset_scales(staff, asset)).get(asset, 0)
    now = await _balance(staff, user.id, asset)
    action = _("Credit") if minor > 0 else _("Debit")
    lines = [
        _("Confirm the adjustment:"),
        _("User: {user}, Telegram id {telegram_id}").format(user=display_name(user), telegram_id=user.external_id),
        f"{action}: {signed(minor, scale, asset)}",
        _("Balance: {now} → {after}").format(
            now=format_amount(now.amount_minor, scale, asset),
            after=format_amount(now.amount_minor + minor, scale, asset),
        ),
        _("Reason: {reason}").format(reason=reason),
    ]
    if now.amount_minor + minor < 0:
        lines.append(_("⚠️ The balance is too low for this debit: the core will refuse it."))
    await show(event, "\n".join(lines), adjust_confirm_keyboard(user.id, token))


def actor_of(admin: TelegramUser) -> str:
    """Who decided the adjustment, as the ledger and the audit log name them."""
    return f"tg:{admin.id}"


async def _alert(callback: CallbackQuery, text: str) -> None:
    alert = callback.answer(text, show_alert=True)
    if not answer_later(alert):
        await alert


@router.callback_query(AdjustConfirmCallback.filter(), flags=NEEDS_ADJUST)
async def confirm_adjust(
    callback: CallbackQuery, callback_data: AdjustConfirmCallback, state: FSMContext, staff: BillingHubClient
) -> None:
    """Post the adjustment once, on the admin's behalf; its token is the request id."""
    draft = await _draft(state)
    if draft.get("token") != callback_data.token:
        await _alert(callback, _("This confirmation is out of date: nothing was changed."))
        return
    asset, minor, user_id = draft["asset"], int(draft["amount_minor"]), draft["user_id"]
    scale = (await asset_scales(staff, asset)).get(asset, 0)
    direction = CREDIT if minor > 0 else DEBIT
    request = wallet_service_pb2.AdjustBalanceRequest(
        request_id=f"tg-adjust:{callback_data.token}",
        user_id=user_id,
        amount=common_pb2.Money(asset=asset, amount_minor=abs(minor)),
        direction=direction,
        reason=draft["reason"],
        actor=actor_of(callback.from_user),
    )
    await state.set_state(None)  # the draft stays: a second press of this screen replays the same request
    try:
        response: wallet_service_pb2.AdjustBalanceResponse = await staff.wallet.AdjustBalance(request)
    except FailedPrecondition as error:
        await show(callback, await _refusal_text(staff, error, user_id, asset, minor, scale), back_to_profile(user_id))
        return
    except InvalidArgument:
        await show(callback, bounds_error(asset, scale), back_to_profile(user_id))
        return
    except NotFound:
        await show(callback, _("No such user or asset in this shop: nothing was changed."), back_to_admin())
        return
    except PermissionDenied:
        await show(callback, refusal(), back_to_admin())
        return
    user = await by_core_id(staff, user_id)
    text = _("✅ Done: {amount} for {user}.\nBalance: {balance}\nReason: {reason}").format(
        amount=signed(minor, scale, asset),
        user=display_name(user) if user else user_id,
        balance=format_amount(response.balance.available.amount_minor, scale, asset),
        reason=draft["reason"],
    )
    await show(callback, text, after_adjust_keyboard(user_id))


async def _refusal_text(
    staff: BillingHubClient, error: FailedPrecondition, user_id: str, asset: str, minor: int, scale: int
) -> str:
    if error.reason == "INSUFFICIENT_FUNDS":
        now = await _balance(staff, user_id, asset)
        return _(
            "Not enough funds: the balance is {balance}, a debit of {amount} would take it below zero. "
            "Nothing was changed."
        ).format(balance=format_amount(now.amount_minor, scale, asset), amount=format_amount(-minor, scale, asset))
    if error.reason == "BALANCE_LIMIT":
        return _("This credit would carry the balance past its limit. Nothing was changed.")
    return _("The core refused the adjustment ({reason}). Nothing was changed.").format(reason=error.reason or "?")


@router.message(Command("adjust"), flags=NEEDS_ADJUST)
async def adjust_command(message: Message, command: CommandObject, state: FSMContext, staff: BillingHubClient) -> None:
    """`/adjust <user> <amount> [asset] <reason>`: the same confirm screen as the buttons'."""
    parts = (command.args or "").split(maxsplit=3)
    if len(parts) < 3:
        await message.answer(usage())
        return
    key, amount_text, *rest = parts
    scales = await asset_scales(staff)
    if rest[0].upper() in scales:
        asset, reason_text = rest[0].upper(), " ".join(rest[1:])
    elif len(scales) == 1:
        asset, reason_text = next(iter(scales)), " ".join(rest)
    else:
        text = _("Name the asset after the amount: one of {assets}.").format(assets=", ".join(sorted(scales)))
        await message.answer(text + "\n\n" + usage())
        return
    minor, error = parse_signed(amount_text, asset, scales[asset])
    if minor is None:
        await message.answer(error)
        return
    reason = clean_reason(reason_text)
    if reason is None:
        await message.answer(
            _("The reason must be from 1 to {limit} characters.").format(limit=MAX_REASON) + "\n\n" + usage()
        )
        return
    try:
        user = await resolve_user(staff, key)
    except PermissionDenied:  # an @username is found with ListUsers, which wants the USERS permission
        await message.answer(_("Finding a user by @username needs the Users permission: give an id or a Telegram id."))
        return
    if user is None:
        text = _("No user {key} in this shop: give an id, a Telegram id or an @username.").format(key=key)
        await message.answer(text)
        return
    await _confirm(message, state, staff, user, asset, minor, reason)
