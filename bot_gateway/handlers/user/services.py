"""Service packages (promotion of posts): the user's active service orders, the platform of a
post, its URL, and the task it becomes.

A service order accepts up to `posts_per_day` inputs a day (the tenant's day) while it runs. The
order's screen says how many are left today (GetServiceQuota, which counts as the submit does, in
the tenant's day); when none are, it says when the next day's begin and offers no platform. The
user picks an order and a platform, then sends the post's URL: the bot checks it is an http(s)
link to that platform before SubmitServiceInput, which queues a task for the outside processor
and says how many inputs remain today. Order ids
in buttons are checked to be the presser's own: a forged one gets "not active" and submits nothing.
The order's screen lists the posts sent to it with their tasks' states (queued, in progress, done,
failed), read with ListOrderTasks naming the buyer: the core answers a gateway only about the
user's own order, never the staff-only GetTask/ListTasks.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from urllib.parse import urlsplit

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import MenuCallback, Screen, ServiceOrderCallback, ServicePlatformCallback
from bot_gateway.formatting import package_title, short_id
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.menu import back_button
from bot_gateway.packages import find_package
from bot_gateway.states import ServiceInputStates
from sdk.billinghub.v1 import (
    fulfillment_pb2,
    order_pb2,
    order_service_pb2,
    package_pb2,
    user_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound

router = Router(name="services")

# the platforms the core takes, with the hosts their posts live on (any subdomain of them)
PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    "telegram": ("t.me", "telegram.me"),
    "instagram": ("instagram.com",),
    "tiktok": ("tiktok.com",),
    "youtube": ("youtube.com", "youtu.be"),
    "vk": ("vk.com", "vk.ru"),
    "x": ("x.com", "twitter.com"),
}
PLATFORM_NAMES = {
    "telegram": "Telegram",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "vk": "VK",
    "x": "X",
}
MAX_URL = 500
SHOWN_TASKS = 10  # the newest posts the order's screen lists
ORDER_KEY, PLATFORM_KEY = "service_order", "service_platform"
GRANTS_SERVICE = (order_pb2.ORDER_STATUS_FULFILLED, order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED)


def is_post_url(url: str, platform: str) -> bool:
    """An http(s) URL up to 500 characters whose host is the platform's (or a subdomain of it)."""
    if len(url) > MAX_URL or " " in url:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    hosts = PLATFORM_HOSTS.get(platform, ())
    return parts.scheme in ("http", "https") and any(host == h or host.endswith("." + h) for h in hosts)


def _running(order: order_pb2.Order, user: user_pb2.User) -> bool:
    """The user's own service order that accepts inputs now."""
    now = dt.datetime.now(dt.UTC)
    return (
        order.user_id == user.id
        and order.package_kind == package_pb2.PACKAGE_KIND_SERVICE
        and order.status in GRANTS_SERVICE
        and order.HasField("active_until")
        and order.active_until.ToDatetime(dt.UTC) > now
    )


async def _own_order(hub: BillingHubClient, user: user_pb2.User, order_id: str) -> order_pb2.Order | None:
    try:
        response: order_service_pb2.GetOrderResponse = await hub.orders.GetOrder(
            order_service_pb2.GetOrderRequest(order_id=order_id, user_id=user.id)
        )
    except NotFound:
        return None
    return response.order if _running(response.order, user) else None


def back_to_services() -> InlineKeyboardMarkup:
    """Only the way back to the services screen."""
    return InlineKeyboardMarkup(inline_keyboard=[[back_button(Screen.SERVICES)]])


@router.message(Command("services"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.SERVICES))
async def open_services(
    event: Message | CallbackQuery, state: FSMContext, hub: BillingHubClient, user: user_pb2.User, locale: str
) -> None:
    """The user's running service orders, each a button."""
    await state.clear()
    response: order_service_pb2.ListOrdersResponse = await hub.orders.ListOrders(
        order_service_pb2.ListOrdersRequest(user_id=user.id, statuses=GRANTS_SERVICE, page_size=100)
    )
    running = [order for order in response.orders if _running(order, user)]
    builder = InlineKeyboardBuilder()
    for order in running:
        package = await find_package(hub, order.package_id)
        title = package_title(package, locale) if package else order.package_id[:8]
        until = order.active_until.ToDatetime().strftime("%Y-%m-%d")
        label = _("{title} · until {date}").format(title=title, date=until)
        builder.button(text=label, callback_data=ServiceOrderCallback(order_id=order.id))
    builder.adjust(1)
    if not running:
        builder.button(text=_("🛒 Buy"), callback_data=MenuCallback(screen=Screen.BUY))
    builder.row(back_button())
    text = _("Choose a service to send a post to:") if running else _("You have no active services.")
    await show(event, text, builder.as_markup())


@router.callback_query(ServiceOrderCallback.filter())
async def choose_platform(
    callback: CallbackQuery, callback_data: ServiceOrderCallback, hub: BillingHubClient, user: user_pb2.User
) -> None:
    """What is left of today's quota and, while posts are left, a button per platform; when none
    are, when the next day's posts begin (the tenant's midnight) and no way to send one."""
    quota = await _quota(hub, user, callback_data.order_id)
    if quota is None:
        await show(callback, _("This service is not active."), back_to_services())
        return
    builder = InlineKeyboardBuilder()
    left = ngettext(
        "Today: {remaining} of {count} post left.", "Today: {remaining} of {count} posts left.", quota.posts_per_day
    ).format(remaining=quota.remaining_today, count=quota.posts_per_day)
    if quota.remaining_today > 0:
        for platform, name in PLATFORM_NAMES.items():
            builder.button(text=name, callback_data=ServicePlatformCallback(order_id=quota.order_id, platform=platform))
        builder.adjust(3)
        lines = [left, _("Where is the post?")]
    else:
        resets = quota.reset_time.ToDatetime(dt.UTC).astimezone(zoneinfo.ZoneInfo(quota.time_zone))
        lines = [
            left,
            _("New posts can be sent from {time} ({zone}).").format(
                time=resets.strftime("%Y-%m-%d %H:%M"), zone=quota.time_zone
            ),
        ]
    builder.row(back_button(Screen.SERVICES))
    posts = await _posts(hub, user, quota.order_id)
    if posts:
        lines += ["", _("Your posts:"), *posts]
    await show(callback, "\n".join(lines), builder.as_markup())


async def _quota(hub: BillingHubClient, user: user_pb2.User, order_id: str) -> order_pb2.ServiceQuota | None:
    """Today's quota of the user's own running service order; None for any other order (another
    user's is NOT_FOUND to the core, a forged id INVALID_ARGUMENT, an ended one FAILED_PRECONDITION)."""
    try:
        response: order_service_pb2.GetServiceQuotaResponse = await hub.orders.GetServiceQuota(
            order_service_pb2.GetServiceQuotaRequest(order_id=order_id, user_id=user.id)
        )
    except (NotFound, InvalidArgument, FailedPrecondition):
        return None
    return response.quota


async def _posts(hub: BillingHubClient, user: user_pb2.User, order_id: str) -> list[str]:
    """The newest posts of the user's order, one line each with its task's state."""
    response: order_service_pb2.ListOrderTasksResponse = await hub.orders.ListOrderTasks(
        order_service_pb2.ListOrderTasksRequest(order_id=order_id, user_id=user.id, page_size=SHOWN_TASKS)
    )
    return [f"• {_post_url(task)} — {task_status_text(task.status)}" for task in response.tasks]


def _post_url(task: fulfillment_pb2.Task) -> str:
    """The post a task works on (its payload's url), or the task's short id when it has none."""
    try:
        payload = json.loads(task.payload or "{}")
    except ValueError:
        payload = {}
    url = payload.get("url") if isinstance(payload, dict) else None
    return url if isinstance(url, str) and url else short_id(task.id)


@router.callback_query(ServicePlatformCallback.filter())
async def ask_url(
    callback: CallbackQuery,
    callback_data: ServicePlatformCallback,
    state: FSMContext,
    hub: BillingHubClient,
    user: user_pb2.User,
) -> None:
    """Wait for the post's URL."""
    order = await _own_order(hub, user, callback_data.order_id)
    if order is None or callback_data.platform not in PLATFORM_NAMES:
        await show(callback, _("This service is not active."), back_to_services())
        return
    await state.set_state(ServiceInputStates.url)
    await state.set_data({ORDER_KEY: order.id, PLATFORM_KEY: callback_data.platform})
    text = _("Send the link to the post on {platform}.").format(platform=PLATFORM_NAMES[callback_data.platform])
    await show(callback, text, back_to_services())


@router.message(ServiceInputStates.url, F.text)
async def submit_url(message: Message, state: FSMContext, hub: BillingHubClient, user: user_pb2.User) -> None:
    """Check the link, submit it, and say how many remain today."""
    data = await state.get_data()
    platform = data.get(PLATFORM_KEY, "")
    url = (message.text or "").strip()
    if not is_post_url(url, platform):
        text = _("That is not a link to a post on {platform}. Send a link like {example}.").format(
            platform=PLATFORM_NAMES.get(platform, platform), example=f"https://{PLATFORM_HOSTS[platform][0]}/…"
        )
        await message.answer(text, reply_markup=back_to_services())
        return
    await state.clear()
    order = await _own_order(hub, user, data.get(ORDER_KEY, ""))
    if order is None:
        await message.answer(_("This service is not active."), reply_markup=back_to_services())
        return
    request = order_service_pb2.SubmitServiceInputRequest(
        request_id=f"tg-message:{message.chat.id}:{message.message_id}",
        order_id=order.id,
        url=url,
        platform=platform,
        user_id=user.id,
    )
    try:
        response: order_service_pb2.SubmitServiceInputResponse = await hub.orders.SubmitServiceInput(request)
    except FailedPrecondition as error:
        text = (
            _("Today's posts are used up. Come back tomorrow.")
            if error.reason == "QUOTA_EXCEEDED"
            else _("This service is not active.")
        )
        await message.answer(text, reply_markup=back_to_services())
        return
    except NotFound:  # the core checks the buyer again, under the order's lock
        await message.answer(_("This service is not active."), reply_markup=back_to_services())
        return
    except InvalidArgument:
        await message.answer(_("That link can't be accepted."), reply_markup=back_to_services())
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Another post"), callback_data=ServiceOrderCallback(order_id=order.id))
    builder.row(back_button())
    lines = [
        _("The post is accepted. Posts left today: {count}.").format(count=response.remaining_today),
        _("Task {task}: {status}.").format(
            task=short_id(response.task.id), status=task_status_text(response.task.status)
        ),
    ]
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


def task_status_text(status: int) -> str:
    """Where a task is, in the user's words."""
    texts: dict[int, str] = {
        fulfillment_pb2.TASK_STATUS_QUEUED: _("waiting in the queue"),
        fulfillment_pb2.TASK_STATUS_LEASED: _("in progress"),
        fulfillment_pb2.TASK_STATUS_COMPLETED: _("done"),
        fulfillment_pb2.TASK_STATUS_FAILED: _("failed"),
    }
    return texts.get(status, _("unknown"))
