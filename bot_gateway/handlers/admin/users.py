"""Users: find a user of the shop, read their profile, block or unblock them.

The section asks for a search text (FSM, validated) or takes it after `/users`; the result is the
profile itself when one user matches, else a button per user. The profile is read from the core
on the admin's behalf: the user (blocked, bot_blocked), balances, the newest orders, referral
stats and subscriptions. Blocking is UpdateUser with `blocked` in the mask through the staff path
(the core wants the USERS permission of the acting admin, UserService.update), after a confirm
screen; a blocked user can no longer order or pay (the core refuses with USER_BLOCKED).
"""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from google.protobuf import field_mask_pb2

from bot_gateway.admin_access import ADJUST, USERS, Permission
from bot_gateway.callbacks import AdminBlockCallback, AdminCallback, AdminSection, AdminUserCallback
from bot_gateway.formatting import asset_scales, money, short_id
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG
from bot_gateway.handlers.user.history import status_text
from bot_gateway.handlers.user.screens import show
from bot_gateway.handlers.user.subscription import line as subscription_line
from bot_gateway.keyboards.admin import back_to_admin
from bot_gateway.keyboards.admin_users import block_confirm_keyboard, profile_keyboard, search_results_keyboard
from bot_gateway.states import AdminUserStates
from bot_gateway.user_lookup import MAX_QUERY, by_core_id, display_name, search_users
from sdk.billinghub.v1 import (
    order_service_pb2,
    referral_service_pb2,
    subscription_service_pb2,
    user_pb2,
    user_service_pb2,
    wallet_service_pb2,
)
from sdk.client import BillingHubClient

router = Router(name="admin_users")

NEEDS_USERS = {PERMISSION_FLAG: USERS}
RECENT_ORDERS = 5
NOT_A_COMMAND = ~F.text.startswith("/")


def search_prompt() -> str:
    return _("👥 Users\n\nType a user id, a Telegram id, an @username or a name to find a user.")


def _day(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%d")


async def profile_text(staff: BillingHubClient, user: user_pb2.User) -> str:
    """Who the user is, their state, balances, newest orders, referrals and subscriptions."""
    balances: wallet_service_pb2.GetBalancesResponse = await staff.wallet.GetBalances(
        wallet_service_pb2.GetBalancesRequest(user_id=user.id)
    )
    orders: order_service_pb2.ListOrdersResponse = await staff.orders.ListOrders(
        order_service_pb2.ListOrdersRequest(user_id=user.id, page_size=RECENT_ORDERS)
    )
    referrals: referral_service_pb2.GetReferralStatsResponse = await staff.referrals.GetReferralStats(
        referral_service_pb2.GetReferralStatsRequest(user_id=user.id)
    )
    subscriptions: subscription_service_pb2.ListSubscriptionsResponse = await staff.subscriptions.ListSubscriptions(
        subscription_service_pb2.ListSubscriptionsRequest(user_id=user.id, page_size=5)
    )
    stats = referrals.stats
    assets = [balance.available.asset for balance in balances.balances] + [o.total.asset for o in orders.orders]
    scales = await asset_scales(staff, *assets, *(amount.asset for amount in stats.earned))
    lines = [
        f"👤 {display_name(user)}",
        _("ID: {user_id}").format(user_id=user.id),
        _("Telegram id: {telegram_id}").format(telegram_id=user.external_id),
        _("Joined: {date}").format(date=_day(user.create_time.ToDatetime())),
        _("Status: 🚫 blocked") if user.blocked else _("Status: ✅ active"),
    ]
    if user.bot_blocked:
        lines.append(_("⚠️ Blocked the bot on {date}").format(date=_day(user.bot_blocked_time.ToDatetime())))
    lines += ["", _("Balances:")]
    for balance in balances.balances:
        text = f"• {money(balance.available, scales)}"
        if balance.held.amount_minor:
            text += " " + _("(held: {amount})").format(amount=money(balance.held, scales))
        lines.append(text)
    if not balances.balances:
        lines.append("• " + _("none"))
    lines += ["", _("Recent orders:")]
    for order in orders.orders:
        day = _day(order.create_time.ToDatetime())
        lines.append(f"• {day} · {short_id(order.id)} · {money(order.total, scales)} · {status_text(order.status)}")
    if not orders.orders:
        lines.append("• " + _("none"))
    invited = sum(stats.invited_by_level)
    earned = ", ".join(money(amount, scales) for amount in stats.earned if amount.amount_minor) or "0"
    lines += [
        "",
        ngettext("Referrals: {count} user invited", "Referrals: {count} users invited", invited).format(count=invited)
        + ", "
        + _("earned {amounts}").format(amounts=earned),
        "",
        _("Subscription:"),
    ]
    lines += [f"• {subscription_line(item)}" for item in subscriptions.subscriptions] or ["• " + _("none")]
    return "\n".join(lines)


async def show_profile(
    event: Message | CallbackQuery,
    staff: BillingHubClient,
    user: user_pb2.User,
    permissions: frozenset[Permission],
    note: str = "",
) -> None:
    text = await profile_text(staff, user)
    await show(event, f"{note}\n\n{text}" if note else text, profile_keyboard(user, ADJUST in permissions))


@router.message(Command("users"), flags=NEEDS_USERS)
@router.callback_query(AdminCallback.filter(F.section == AdminSection.USERS), flags=NEEDS_USERS)
async def open_users(
    event: Message | CallbackQuery,
    state: FSMContext,
    staff: BillingHubClient,
    permissions: frozenset[Permission],
    command: CommandObject | None = None,
) -> None:
    """Ask for the search text (`/users <text>` searches at once)."""
    await state.clear()
    if command is not None and command.args and isinstance(event, Message):
        await _search(event, state, staff, permissions, command.args)
        return
    await state.set_state(AdminUserStates.query)
    await show(event, search_prompt(), back_to_admin())


@router.message(AdminUserStates.query, F.text, NOT_A_COMMAND, flags=NEEDS_USERS)
async def type_query(
    message: Message, state: FSMContext, staff: BillingHubClient, permissions: frozenset[Permission]
) -> None:
    """Search for what the admin typed."""
    await _search(message, state, staff, permissions, message.text or "")


async def _search(
    message: Message, state: FSMContext, staff: BillingHubClient, permissions: frozenset[Permission], text: str
) -> None:
    query = text.strip()
    if not query or len(query.lstrip("@")) == 0 or len(query) > MAX_QUERY:
        await state.set_state(AdminUserStates.query)
        await message.answer(
            _("Type from 1 to {limit} characters: an id, a Telegram id, an @username or a name.").format(
                limit=MAX_QUERY
            ),
            reply_markup=back_to_admin(),
        )
        return
    users, more = await search_users(staff, query)
    await state.set_state(AdminUserStates.query)  # another text searches again
    if len(users) == 1 and not more:
        await show_profile(message, staff, users[0], permissions)
        return
    if not users:
        text = _("No user matches “{query}”. Type another search.").format(query=query)
        await message.answer(text, reply_markup=back_to_admin())
        return
    text = _("Users matching “{query}”:").format(query=query)
    if more:
        text += "\n" + _("Only the newest {count} are shown; type more of the name to narrow it.").format(
            count=len(users)
        )
    await message.answer(text, reply_markup=search_results_keyboard(users))


async def _user_or_gone(callback: CallbackQuery, staff: BillingHubClient, user_id: str) -> user_pb2.User | None:
    """The user a button names, or None after saying they are not a user of this shop."""
    user = await by_core_id(staff, user_id)
    if user is None:
        await show(callback, _("No such user in this shop."), back_to_admin())
    return user


@router.callback_query(AdminUserCallback.filter(), flags=NEEDS_USERS)
async def open_profile(
    callback: CallbackQuery,
    callback_data: AdminUserCallback,
    state: FSMContext,
    staff: BillingHubClient,
    permissions: frozenset[Permission],
) -> None:
    """One user's profile (leaving any step of an adjustment)."""
    await state.set_state(None)
    user = await _user_or_gone(callback, staff, callback_data.user_id)
    if user is not None:
        await show_profile(callback, staff, user, permissions)


def _block_question(user: user_pb2.User, blocked: bool) -> str:
    if blocked:
        return _(
            "Block {user}?\nThey will not be able to order, pay, redeem promo codes or request top-ups and payouts."
        ).format(user=display_name(user))
    return _("Unblock {user}?\nThey will be able to order and pay again.").format(user=display_name(user))


@router.callback_query(AdminBlockCallback.filter(), flags=NEEDS_USERS)
async def block_or_unblock(
    callback: CallbackQuery,
    callback_data: AdminBlockCallback,
    staff: BillingHubClient,
    permissions: frozenset[Permission],
) -> None:
    """Ask first; on the confirm press set `blocked` through the staff path and show the profile."""
    user = await _user_or_gone(callback, staff, callback_data.user_id)
    if user is None:
        return
    if not callback_data.confirmed:
        markup: InlineKeyboardMarkup = block_confirm_keyboard(user.id, callback_data.blocked)
        await show(callback, _block_question(user, callback_data.blocked), markup)
        return
    response: user_service_pb2.UpdateUserResponse = await staff.users.UpdateUser(
        user_service_pb2.UpdateUserRequest(
            request_id=f"tg-callback:{callback.id}",
            user_id=user.id,
            blocked=callback_data.blocked,
            update_mask=field_mask_pb2.FieldMask(paths=["blocked"]),
        )
    )
    note = _("🚫 The user is blocked.") if response.user.blocked else _("✅ The user is unblocked.")
    await show_profile(callback, staff, response.user, permissions, note)
