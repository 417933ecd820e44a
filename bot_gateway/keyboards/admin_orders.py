"""Keyboards of the admin orders: a page of orders with its filters, an order's refunds, failed
deliveries with their retry."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot_gateway.callbacks import (
    AdminCallback,
    AdminOrderCallback,
    AdminSection,
    FailedTasksCallback,
    OrderFilter,
    OrdersCallback,
    RefundCallback,
    RefundKind,
    RetryTaskCallback,
)
from bot_gateway.formatting import short_id


def filter_label(status: OrderFilter) -> str:
    return {
        OrderFilter.ALL: _("All"),
        OrderFilter.PAID: _("Paid"),
        OrderFilter.FULFILLED: _("Fulfilled"),
        OrderFilter.FAILED: _("Failed"),
        OrderFilter.REFUNDED: _("Refunded"),
        OrderFilter.PENDING: _("Pending"),
    }[status]


def _back_to_orders(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("⬅️ Orders"), callback_data=OrdersCallback(status=OrderFilter.ALL, page=0))


def orders_keyboard(
    orders: Sequence[tuple[str, str]], current: OrderFilter, page: int, *, has_next: bool, failed_deliveries: bool
) -> InlineKeyboardMarkup:
    """One button per order (`orders`: id and label), newer/older, the filters, failed deliveries, back."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for order_id, label in orders:
        builder.button(text=label, callback_data=AdminOrderCallback(order_id=order_id))
        sizes.append(1)
    pager = 0
    if page > 0:
        builder.button(text=_("⬅️ Newer"), callback_data=OrdersCallback(status=current, page=page - 1))
        pager += 1
    if has_next:
        builder.button(text=_("Older ➡️"), callback_data=OrdersCallback(status=current, page=page + 1))
        pager += 1
    if pager:
        sizes.append(pager)
    for status in OrderFilter:
        mark = "✅ " if status is current else ""
        builder.button(text=f"{mark}{filter_label(status)}", callback_data=OrdersCallback(status=status, page=0))
    sizes += [3, 3]
    if failed_deliveries:
        builder.button(text=_("⚠️ Failed deliveries"), callback_data=FailedTasksCallback(page=0))
        sizes.append(1)
    builder.button(text=_("⬅️ Admin menu"), callback_data=AdminCallback(section=AdminSection.MENU))
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()


def order_keyboard(order_id: str, refunds: Sequence[RefundKind], remaining: str) -> InlineKeyboardMarkup:
    """The refunds an order allows (`remaining`: what is left to refund, as shown), then back."""
    labels = {
        RefundKind.FULL: _("↩️ Refund all ({amount})").format(amount=remaining),
        RefundKind.PART: _("✂️ Refund a part"),
        RefundKind.STARS: _("↩️ Refund the Stars payment ({amount})").format(amount=remaining),
    }
    builder = InlineKeyboardBuilder()
    for kind in refunds:
        builder.button(text=labels[kind], callback_data=RefundCallback(kind=kind, order_id=order_id))
    _back_to_orders(builder)
    builder.adjust(1)
    return builder.as_markup()


def back_to_order(order_id: str) -> InlineKeyboardMarkup:
    """Back to the order (after a refund, or to leave one untyped)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back to the order"), callback_data=AdminOrderCallback(order_id=order_id))
    _back_to_orders(builder)
    builder.adjust(1)
    return builder.as_markup()


def failed_keyboard(tasks: Sequence[tuple[str, str, bool]], page: int, *, has_next: bool) -> InlineKeyboardMarkup:
    """Per failed task shown (`tasks`: its id, its order's and whether the core would retry it), its
    order and, when retryable, Retry; newer/older; back to the orders."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    for task_id, order_id, retryable in tasks:
        builder.button(
            text=_("Order #{id}").format(id=short_id(order_id)), callback_data=AdminOrderCallback(order_id=order_id)
        )
        if retryable:
            builder.button(
                text=_("🔁 Retry #{id}").format(id=short_id(order_id)), callback_data=RetryTaskCallback(task_id=task_id)
            )
        sizes.append(2 if retryable else 1)
    pager = 0
    if page > 0:
        builder.button(text=_("⬅️ Newer"), callback_data=FailedTasksCallback(page=page - 1))
        pager += 1
    if has_next:
        builder.button(text=_("Older ➡️"), callback_data=FailedTasksCallback(page=page + 1))
        pager += 1
    if pager:
        sizes.append(pager)
    _back_to_orders(builder)
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()


def after_retry() -> InlineKeyboardMarkup:
    """Back to the failed deliveries (read afresh) or to the orders, after a retry."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Failed deliveries"), callback_data=FailedTasksCallback(page=0))
    _back_to_orders(builder)
    builder.adjust(1)
    return builder.as_markup()
