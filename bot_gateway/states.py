"""FSM states of the conversations that wait for the user to type something."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class PromoStates(StatesGroup):
    """The promo code screen waits for the code."""

    code = State()


class TopupStates(StatesGroup):
    """The top-up waits for an amount, then (manual methods) for the receipt photo."""

    amount = State()
    receipt = State()


class RecipientStates(StatesGroup):
    """A Stars or Premium purchase waits for the quantity of Stars, then the recipient."""

    quantity = State()
    username = State()


class PayoutStates(StatesGroup):
    """A referral payout request waits for the amount, then the destination."""

    amount = State()
    destination = State()


class ServiceInputStates(StatesGroup):
    """A service order waits for the URL of the post to process."""

    url = State()


class AdminUserStates(StatesGroup):
    """The admin's Users section waits for a search text; an adjustment for its amount, its reason,
    then the confirm press."""

    query = State()
    amount = State()
    reason = State()
    confirm = State()


class ExportStates(StatesGroup):
    """The admin export waits for a period typed as YYYY-MM-DD..YYYY-MM-DD."""

    dates = State()


class AdminQueueStates(StatesGroup):
    """An admin deciding a queued request: the reason of a rejection, the reference of a paid payout."""

    reason = State()
    reference = State()


class AdminRefundStates(StatesGroup):
    """An admin refunding an order: the amount of a partial refund, then the reason."""

    amount = State()
    reason = State()


class CatalogStates(StatesGroup):
    """An admin's catalog edit waits for a price or a title, then for the confirm press."""

    price = State()
    title = State()
    confirm = State()


class BroadcastStates(StatesGroup):
    """An admin's broadcast waits for the message, then an optional URL button, then (for those
    segments) the language or the number of inactive days."""

    content = State()
    button = State()
    language = State()
    inactive_days = State()
