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


class BroadcastStates(StatesGroup):
    """An admin's broadcast waits for the message, then an optional URL button, then (for those
    segments) the language or the number of inactive days."""

    content = State()
    button = State()
    language = State()
    inactive_days = State()
