"""Orders: the tenant's recent orders (all, or by status), an order's screen, refunds.

The section is for admins with REFUNDS, and so is reading the tenant's orders in the core: a
gateway key's ListOrders and GetOrder naming no user are made on the admin's behalf (`staff`), and
the core refuses them without REFUNDS (PERMISSION_DENIED); naming a user they stay user calls.
Refunds are the core's: RefundOrder (all that remains, or a part, to the buyer's wallet) and, for
an order paid with Telegram Stars, RefundTelegramPayment, which gives the whole charge back through
the Bot API's refundStarPayment (Telegram refunds whole charges, so no partial refund is offered
for those). Both ask for a reason, typed in an FSM state, and are
made on the admin's behalf; the request_id is the typed message's, so a redelivered message
refunds once.

The orders page leads admins who also hold QUEUES to the failed deliveries (failed_deliveries.py).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot_gateway.admin_access import QUEUES, REFUNDS, Permission
from bot_gateway.callbacks import (
    AdminCallback,
    AdminOrderCallback,
    AdminSection,
    OrderFilter,
    OrdersCallback,
    RefundCallback,
    RefundKind,
)
from bot_gateway.formatting import asset_scales, money, short_id
from bot_gateway.handlers.admin.people import actor_of, person
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG, refusal
from bot_gateway.handlers.admin.queues import REASON_LIMIT, typed_problem
from bot_gateway.handlers.admin.stats import order_status_text
from bot_gateway.handlers.user.screens import show
from bot_gateway.keyboards.admin_orders import (
    back_to_order,
    filter_label,
    order_keyboard,
    orders_keyboard,
)
from bot_gateway.states import AdminRefundStates
from sdk.billinghub.v1 import (
    common_pb2,
    order_pb2,
    order_service_pb2,
    package_pb2,
    payment_pb2,
    payment_service_pb2,
)
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.money import format_amount, parse_amount

router = Router(name="admin_orders")

NEEDS_REFUNDS = {PERMISSION_FLAG: REFUNDS}
PAGE_SIZE = 5
TOKENS_KEY = "admin_order_tokens"  # FSM data: "<filter>:<page>" -> the core's page token
REFUND_KEY = "admin_refund"  # FSM data while a refund is typed: order, kind, asset, remaining, amount
STARS_PAID_VIA = "provider:telegram_stars"
STARS_PROVIDER = "telegram_stars"
S = order_pb2
STATUSES: dict[OrderFilter, list[order_pb2.OrderStatus]] = {
    OrderFilter.ALL: [],
    OrderFilter.PAID: [S.ORDER_STATUS_PAID],
    OrderFilter.FULFILLED: [S.ORDER_STATUS_FULFILLED],
    OrderFilter.FAILED: [S.ORDER_STATUS_FAILED],
    OrderFilter.REFUNDED: [S.ORDER_STATUS_REFUNDED, S.ORDER_STATUS_PARTIALLY_REFUNDED],
    OrderFilter.PENDING: [S.ORDER_STATUS_PENDING],
}
REFUNDABLE = {S.ORDER_STATUS_PAID, S.ORDER_STATUS_FULFILLED, S.ORDER_STATUS_PARTIALLY_REFUNDED, S.ORDER_STATUS_FAILED}


def status_text(status: int) -> str:
    """An order status in the admin's words (those of the stats screen)."""
    return order_status_text(order_pb2.OrderStatus.Name(status).removeprefix("ORDER_STATUS_").lower())


def remaining(order: order_pb2.Order) -> int:
    """What is left to refund, in the total's minor units."""
    return max(order.total.amount_minor - order.refunded.amount_minor, 0)


def refunds_of(order: order_pb2.Order) -> list[RefundKind]:
    """The refunds an order allows: a Stars charge whole, anything else all or in part."""
    if order.status not in REFUNDABLE or remaining(order) <= 0:
        return []
    if order.paid_via == STARS_PAID_VIA:
        return [RefundKind.STARS] if order.refunded.amount_minor == 0 else []
    return [RefundKind.FULL, RefundKind.PART]


def _when(order: order_pb2.Order) -> str:
    return order.create_time.ToDatetime().strftime("%Y-%m-%d %H:%M")


@router.callback_query(AdminCallback.filter(F.section == AdminSection.ORDERS), flags=NEEDS_REFUNDS)
async def open_orders(
    callback: CallbackQuery, staff: BillingHubClient, state: FSMContext, permissions: frozenset[Permission]
) -> None:
    """The newest orders of every status."""
    await _show_orders(callback, OrderFilter.ALL, 0, staff, state, permissions)


@router.callback_query(OrdersCallback.filter(), flags=NEEDS_REFUNDS)
async def turn_orders(
    callback: CallbackQuery,
    callback_data: OrdersCallback,
    staff: BillingHubClient,
    state: FSMContext,
    permissions: frozenset[Permission],
) -> None:
    """Another page, or another status."""
    await _show_orders(callback, callback_data.status, max(callback_data.page, 0), staff, state, permissions)


async def _show_orders(
    callback: CallbackQuery,
    status: OrderFilter,
    page: int,
    staff: BillingHubClient,
    state: FSMContext,
    permissions: frozenset[Permission],
) -> None:
    await state.set_state(None)
    tokens: dict[str, str] = dict((await state.get_data()).get(TOKENS_KEY, {}))
    token = tokens.get(f"{status}:{page}", "")
    if page and not token:  # a stale button: start over
        page = 0
    response: order_service_pb2.ListOrdersResponse = await staff.orders.ListOrders(
        order_service_pb2.ListOrdersRequest(statuses=STATUSES[status], page_size=PAGE_SIZE, page_token=token)
    )
    if response.next_page_token:
        tokens[f"{status}:{page + 1}"] = response.next_page_token
    await state.update_data({TOKENS_KEY: tokens})
    scales = await asset_scales(staff, *(order.total.asset for order in response.orders))
    lines = [_("🧾 Orders: {status} (page {page})").format(status=filter_label(status), page=page + 1), ""]
    buttons = []
    for order in response.orders:
        total = money(order.total, scales)
        lines.append(f"#{short_id(order.id)} · {_when(order)} · {total} · {status_text(order.status)}")
        buttons.append((order.id, f"#{short_id(order.id)} · {total}"))
    if not response.orders:
        lines.append(_("No orders here."))
    markup = orders_keyboard(
        buttons, status, page, has_next=bool(response.next_page_token), failed_deliveries=QUEUES in permissions
    )
    await show(callback, "\n".join(lines), markup)


async def order_text(staff: BillingHubClient, order: order_pb2.Order) -> str:
    scales = await asset_scales(staff, order.total.asset)
    lines = [_("🧾 Order #{id}").format(id=short_id(order.id)), ""]
    lines.append(_("Buyer: {user}").format(user=await person(staff, order.user_id)))
    kind = package_pb2.PackageKind.Name(order.package_kind).removeprefix("PACKAGE_KIND_").lower()
    lines.append(_("Package: {kind} ×{quantity}").format(kind=kind, quantity=order.quantity))
    lines.append(_("Status: {status}").format(status=status_text(order.status)))
    lines.append(_("Total: {amount}").format(amount=money(order.total, scales)))
    if order.refunded.amount_minor:
        lines.append(_("Refunded: {amount}").format(amount=money(order.refunded, scales)))
    if order.paid_via:
        lines.append(_("Paid via: {via}").format(via=order.paid_via))
    lines.append(_("Created: {time} UTC").format(time=_when(order)))
    if order.failure_reason:
        lines.append(_("Failure: {reason}").format(reason=order.failure_reason))
    return "\n".join(lines)


async def _get_order(staff: BillingHubClient, order_id: str) -> order_pb2.Order | None:
    try:
        response: order_service_pb2.GetOrderResponse = await staff.orders.GetOrder(
            order_service_pb2.GetOrderRequest(order_id=order_id)
        )
    except (NotFound, InvalidArgument):  # another shop's order, or a forged id
        return None
    return response.order


def _left(order: order_pb2.Order, scales: dict[str, int]) -> str:
    return money(common_pb2.Money(asset=order.total.asset, amount_minor=remaining(order)), scales)


@router.callback_query(AdminOrderCallback.filter(), flags=NEEDS_REFUNDS)
async def open_order(
    callback: CallbackQuery, callback_data: AdminOrderCallback, staff: BillingHubClient, state: FSMContext
) -> None:
    """One order and the refunds it allows."""
    await state.set_state(None)
    order = await _get_order(staff, callback_data.order_id)
    if order is None:
        await show(callback, _("This order was not found."), back_to_order(callback_data.order_id))
        return
    scales = await asset_scales(staff, order.total.asset)
    markup = order_keyboard(order.id, refunds_of(order), _left(order, scales))
    await show(callback, await order_text(staff, order), markup)


@router.callback_query(RefundCallback.filter(), flags=NEEDS_REFUNDS)
async def start_refund(
    callback: CallbackQuery, callback_data: RefundCallback, staff: BillingHubClient, state: FSMContext
) -> None:
    """Ask the amount of a partial refund, or the reason of a whole one."""
    order = await _get_order(staff, callback_data.order_id)
    if order is None:
        await show(callback, _("This order was not found."), back_to_order(callback_data.order_id))
        return
    kind = callback_data.kind
    if kind not in refunds_of(order):
        await show(
            callback,
            _("Order #{id} cannot be refunded this way.").format(id=short_id(order.id)),
            back_to_order(order.id),
        )
        return
    scales = await asset_scales(staff, order.total.asset)
    refund = {
        "order_id": order.id,
        "kind": str(kind),
        "asset": order.total.asset,
        "scale": scales.get(order.total.asset, 0),
        "remaining": remaining(order),
    }
    await state.update_data({REFUND_KEY: refund})
    if kind is RefundKind.PART:
        await state.set_state(AdminRefundStates.amount)
        prompt = _("Type the amount to refund from order #{id}, up to {amount}.")
        await show(callback, prompt.format(id=short_id(order.id), amount=_left(order, scales)), back_to_order(order.id))
        return
    await state.set_state(AdminRefundStates.reason)
    await show(callback, _reason_prompt(order.id, _left(order, scales)), back_to_order(order.id))


def _reason_prompt(order_id: str, amount: str) -> str:
    return _("Type the reason for refunding {amount} of order #{id} (up to {limit} characters).").format(
        amount=amount, id=short_id(order_id), limit=REASON_LIMIT
    )


@router.message(AdminRefundStates.amount, flags=NEEDS_REFUNDS)
async def typed_amount(message: Message, state: FSMContext) -> None:
    """A partial refund's amount: more than zero, at most what is left, in the order's asset."""
    refund: dict[str, Any] = dict((await state.get_data()).get(REFUND_KEY) or {})
    if not refund:
        await state.set_state(None)
        return
    asset, scale, left = refund["asset"], int(refund["scale"]), int(refund["remaining"])
    try:
        amount = parse_amount(message.text or "", scale, asset).amount_minor
    except ValueError:
        amount = 0
    if not 0 < amount <= left:
        text = _("Type an amount from {low} to {high}.").format(
            low=format_amount(1, scale, asset), high=format_amount(left, scale, asset)
        )
        await message.answer(text, reply_markup=back_to_order(refund["order_id"]))
        return
    refund["amount_minor"] = amount
    await state.update_data({REFUND_KEY: refund})
    await state.set_state(AdminRefundStates.reason)
    shown = format_amount(amount, scale, asset)
    await message.answer(_reason_prompt(refund["order_id"], shown), reply_markup=back_to_order(refund["order_id"]))


@router.message(AdminRefundStates.reason, flags=NEEDS_REFUNDS)
async def typed_reason(message: Message, state: FSMContext, staff: BillingHubClient) -> None:
    """The reason: checked, then the refund in the core."""
    refund: dict[str, Any] = dict((await state.get_data()).get(REFUND_KEY) or {})
    if not refund or message.from_user is None:
        await state.set_state(None)
        return
    problem = typed_problem(message.text or "", reference=False)
    if problem is not None:
        await message.answer(problem, reply_markup=back_to_order(refund["order_id"]))
        return
    await state.set_state(None)
    await state.update_data({REFUND_KEY: None})
    call_id = f"tg-message:{message.chat.id}:{message.message_id}"
    text = await _refund(staff, refund, (message.text or "").strip(), actor_of(message.from_user), call_id)
    await message.answer(text, reply_markup=back_to_order(refund["order_id"]))


REFUSALS = {
    "ORDER_NOT_REFUNDABLE": lambda: _("Nothing of this order is left to refund."),
    "PAYMENT_NOT_REFUNDABLE": lambda: _("This payment cannot be refunded through Telegram."),
    "INSUFFICIENT_FUNDS": lambda: _("The buyer's wallet no longer holds what the refund takes back."),
    "PROVIDER_REJECTED": lambda: _("Telegram refused the refund."),
}


async def _refund(staff: BillingHubClient, refund: dict[str, Any], reason: str, actor: str, call_id: str) -> str:
    order_id, ref = refund["order_id"], short_id(refund["order_id"])
    asset, scale = refund["asset"], int(refund["scale"])
    try:
        if refund["kind"] == RefundKind.STARS:
            return await _refund_stars(staff, order_id, reason, actor, call_id)
        amount = refund.get("amount_minor")
        request = order_service_pb2.RefundOrderRequest(
            request_id=call_id, order_id=order_id, reason=reason, actor=actor
        )
        if amount is not None:  # a part; all that remains when unset
            request.amount_minor = amount
        response: order_service_pb2.RefundOrderResponse = await staff.orders.RefundOrder(request)
    except FailedPrecondition as error:
        explain = REFUSALS.get(error.reason)
        return _("The refund was refused: {why}").format(why=explain() if explain else error.reason or error.message)
    except (NotFound, InvalidArgument):
        return _("This order was not found.")
    except PermissionDenied:
        return refusal()
    refunded = format_amount(amount if amount is not None else int(refund["remaining"]), scale, asset)
    return _("↩️ {amount} of order #{id} refunded to the buyer's wallet. Status: {status}.").format(
        amount=refunded, id=ref, status=status_text(response.order.status)
    )


async def _refund_stars(staff: BillingHubClient, order_id: str, reason: str, actor: str, call_id: str) -> str:
    """The order's Stars charge given back whole (the core refunds the order first, then asks Telegram)."""
    listed: payment_service_pb2.ListPaymentsResponse = await staff.payments.ListPayments(
        payment_service_pb2.ListPaymentsRequest(order_id=order_id, provider=STARS_PROVIDER)
    )
    charged = [
        p
        for p in listed.payments
        if p.status in (payment_pb2.PAYMENT_STATUS_SUCCEEDED, payment_pb2.PAYMENT_STATUS_UNDERPAID)
    ]
    if not charged:
        return _("The refund was refused: {why}").format(why=REFUSALS["PAYMENT_NOT_REFUNDABLE"]())
    response: payment_service_pb2.RefundTelegramPaymentResponse = await staff.payments.RefundTelegramPayment(
        payment_service_pb2.RefundTelegramPaymentRequest(
            request_id=call_id, payment_id=charged[0].id, reason=reason, actor=actor
        )
    )
    ref = short_id(order_id)
    if response.payment.status == payment_pb2.PAYMENT_STATUS_REFUNDED:
        return _("↩️ The Stars payment of order #{id} was given back to the buyer through Telegram.").format(id=ref)
    return _(
        "⏳ The Stars refund of order #{id} is asked; Telegram has not confirmed it yet, the core asks again."
    ).format(id=ref)
