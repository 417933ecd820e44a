"""FSM states of the conversations that wait for the user to type something."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class PromoStates(StatesGroup):
    """The promo code screen waits for the code."""

    code = State()
