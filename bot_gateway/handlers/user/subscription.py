"""Subscription: the user's plans (until when, renewal on or off), renewal and cancelling it.

A plan renews from the wallet at its end unless renewal was switched off (CancelSubscription:
the plan stays until its end, then expires). "Renew now" opens the plan's package, whose purchase
extends the plan from its current end; paying is the buy screen's. A subscription id in a button
is checked to be the presser's own before it is cancelled.

A plan bought as a Telegram Stars subscription (renewed_by "telegram_stars") is renewed by
Telegram charging the subscriber, not from the wallet. Turning its renewal off is the same
CancelSubscription: the core tells Telegram first (editUserStarSubscription) and changes nothing
when Telegram cannot be reached, so the user is told to try again; the user can also stop it in
Telegram's own settings, which the screen says.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import MenuCallback, PackageCallback, Screen, SubscriptionCancelCallback
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_button
from sdk.billinghub.v1 import subscription_pb2, subscription_service_pb2, user_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, NotFound, Unavailable

router = Router(name="subscription")

ACTIVE = subscription_pb2.SUBSCRIPTION_STATUS_ACTIVE
CANCELLED = subscription_pb2.SUBSCRIPTION_STATUS_CANCELLED
STARS_PROVIDER = "telegram_stars"


def line(subscription: subscription_pb2.Subscription) -> str:
    """One plan: its code, until when, and whether it renews."""
    until = subscription.end_time.ToDatetime().strftime("%Y-%m-%d")
    if subscription.status == ACTIVE and subscription.renewed_by == STARS_PROVIDER:
        text = _("{plan}: active until {date}, renews with Telegram Stars")
    elif subscription.status == ACTIVE:
        text = _("{plan}: active until {date}, renewal on")
    elif subscription.status == CANCELLED:
        text = _("{plan}: active until {date}, renewal off")
    else:
        text = _("{plan}: ended on {date}")
    return text.format(plan=subscription.plan_code, date=until)


async def subscriptions_of(hub: BillingHubClient, user: user_pb2.User) -> list[subscription_pb2.Subscription]:
    response: subscription_service_pb2.ListSubscriptionsResponse = await hub.subscriptions.ListSubscriptions(
        subscription_service_pb2.ListSubscriptionsRequest(user_id=user.id, page_size=20)
    )
    return list(response.subscriptions)


def subscription_keyboard(items: list[subscription_pb2.Subscription]) -> InlineKeyboardMarkup:
    """Per plan: switch renewal off (while it renews) and renew now; then back to the menu."""
    builder = InlineKeyboardBuilder()
    for subscription in items:
        if subscription.status == ACTIVE:
            builder.button(
                text=_("Turn off renewal of {plan}").format(plan=subscription.plan_code),
                callback_data=SubscriptionCancelCallback(subscription_id=subscription.id),
            )
        if subscription.package_id:
            builder.button(
                text=_("Renew {plan}").format(plan=subscription.plan_code),
                callback_data=PackageCallback(package_id=subscription.package_id),
            )
    builder.adjust(1)
    builder.row(back_button())
    return builder.as_markup()


def telegram_settings_hint() -> str:
    """Where else a plan Telegram renews can be stopped."""
    return _(
        "Telegram renews a plan paid with Stars every 30 days. To stop it, turn off its renewal here "
        "or cancel it in Telegram: Settings \u2192 My Stars \u2192 Subscriptions."
    )


async def render(event: Message | CallbackQuery, hub: BillingHubClient, user: user_pb2.User, note: str = "") -> None:
    items = await subscriptions_of(hub, user)
    if not items:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("🛒 Buy"), callback_data=MenuCallback(screen=Screen.BUY))
        builder.row(back_button())
        await show(event, _("You have no subscription."), builder.as_markup())
        return
    lines = ([note, ""] if note else []) + [_("Your subscriptions:")] + [line(item) for item in items]
    if any(item.status == ACTIVE and item.renewed_by == STARS_PROVIDER for item in items):
        lines += ["", telegram_settings_hint()]
    await show(event, "\n".join(lines), subscription_keyboard(items))


@router.message(Command("subscription"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.SUBSCRIPTION))
async def open_subscription(event: Message | CallbackQuery, hub: BillingHubClient, user: user_pb2.User) -> None:
    """The user's plans with their renewal."""
    await render(event, hub, user)


@router.callback_query(SubscriptionCancelCallback.filter())
async def cancel_renewal(
    callback: CallbackQuery, callback_data: SubscriptionCancelCallback, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """Switch renewal off for the user's own plan; the plan stays until its end."""
    try:
        found: subscription_service_pb2.GetSubscriptionResponse = await hub.subscriptions.GetSubscription(
            subscription_service_pb2.GetSubscriptionRequest(
                subscription_id=callback_data.subscription_id, user_id=user.id
            )
        )
    except NotFound:
        found = subscription_service_pb2.GetSubscriptionResponse()
    if found.subscription.user_id != user.id:  # another user's subscription id: leave it alone
        await render(callback, hub, user, _("This subscription was not found."))
        return
    try:
        await hub.subscriptions.CancelSubscription(
            subscription_service_pb2.CancelSubscriptionRequest(
                request_id=f"tg-callback:{callback.id}", subscription_id=found.subscription.id, user_id=user.id
            )
        )
    except NotFound:  # the core checks the subscriber again, under the plan's lock
        await render(callback, hub, user, _("This subscription was not found."))
        return
    except FailedPrecondition:
        await render(callback, hub, user, _("Renewal is already off."))
        return
    except Unavailable:  # Telegram was not told, so nothing changed
        text = _("Telegram can't be reached now, so the plan still renews. Please try again in a minute.")
        await render(callback, hub, user, text)
        return
    if found.subscription.renewed_by == STARS_PROVIDER:
        text = _("Renewal is off: Telegram will not charge you for this plan again. The plan stays until its end.")
    else:
        text = _("Renewal is off. The plan stays until its end.")
    await render(callback, hub, user, text)
