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


class CatalogStates(StatesGroup):
    """An admin's catalog edit waits for a price or a title, then for the confirm press."""

    price = State()
    title = State()
    confirm = State()
