"""History: the user's orders, newest first, a page at a time.

The core pages with opaque tokens too long for a button (64 bytes), so the tokens of the pages
seen so far live in the user's FSM data and the buttons carry page numbers.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.callbacks import HistoryCallback, MenuCallback, Screen
from bot_gateway.formatting import asset_scales, money
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.pages import history_pager
from sdk.billinghub.v1 import order_pb2, order_service_pb2, user_pb2
from sdk.client import BillingHubClient

router = Router(name="history")

PAGE_SIZE = 5
TOKENS_KEY = "history_tokens"  # FSM data: page number (as text) -> the core's page token


def status_text(status: int) -> str:
    """An order status in the user's words."""
    texts: dict[int, str] = {
        order_pb2.ORDER_STATUS_PENDING: _("awaiting payment"),
        order_pb2.ORDER_STATUS_PAID: _("paid, being delivered"),
        order_pb2.ORDER_STATUS_FULFILLED: _("delivered"),
        order_pb2.ORDER_STATUS_EXPIRED: _("expired"),
        order_pb2.ORDER_STATUS_CANCELLED: _("cancelled"),
        order_pb2.ORDER_STATUS_FAILED: _("failed"),
        order_pb2.ORDER_STATUS_REFUNDED: _("refunded"),
        order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED: _("partially refunded"),
    }
    return texts.get(status, "?")


async def _show_page(
    event: Message | CallbackQuery, page: int, hub: BillingHubClient, user: user_pb2.User, state: FSMContext
) -> None:
    data = await state.get_data()
    tokens: dict[str, str] = dict(data.get(TOKENS_KEY, {})) if page else {}
    token = tokens.get(str(page), "")
    if page and not token:  # a stale button (the state was cleared): start over
        page = 0
    response: order_service_pb2.ListOrdersResponse = await hub.orders.ListOrders(
        order_service_pb2.ListOrdersRequest(user_id=user.id, page_size=PAGE_SIZE, page_token=token)
    )
    if response.next_page_token:
        tokens[str(page + 1)] = response.next_page_token
    await state.update_data({TOKENS_KEY: tokens})
    if not response.orders and page == 0:
        await show(event, _("You have no orders yet."), history_pager(0, has_next=False))
        return
    scales = await asset_scales(hub, *(order.total.asset for order in response.orders))
    lines = [_("Your orders (page {page}):").format(page=page + 1)]
    for order in response.orders:
        day = order.create_time.ToDatetime().strftime("%Y-%m-%d")
        lines.append(f"• {day} · {money(order.total, scales)} · {status_text(order.status)}")
    await show(event, "\n".join(lines), history_pager(page, has_next=bool(response.next_page_token)))


@router.message(Command("history"))
@router.callback_query(MenuCallback.filter(F.screen == Screen.HISTORY))
async def open_history(
    event: Message | CallbackQuery, hub: BillingHubClient, user: user_pb2.User, state: FSMContext
) -> None:
    """The newest orders."""
    await _show_page(event, 0, hub, user, state)


@router.callback_query(HistoryCallback.filter())
async def turn_page(
    callback: CallbackQuery,
    callback_data: HistoryCallback,
    hub: BillingHubClient,
    user: user_pb2.User,
    state: FSMContext,
) -> None:
    """Another page of orders."""
    await _show_page(callback, max(callback_data.page, 0), hub, user, state)
