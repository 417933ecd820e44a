"""Keeps aiogram's parsed-response types alive for the life of the process.

aiogram parses every Bot API answer with `Response[<the method's result type>]`, a pydantic generic
model built on first use. pydantic caches such models only weakly, so under load a garbage
collection drops them and the next call builds the model again: about a tenth of the gateway's
CPU went to rebuilding them in bench/bots.py. Holding one reference to each (41 types, about
2 MB, built in under 0.1 s) keeps them cached.
"""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

_PINNED: list[Any] = []


def pin_response_types() -> None:
    """Build `Response[T]` for every result type of the Bot API methods once, and keep them."""
    if _PINNED:
        return
    returning = {
        method.__returning__
        for method in vars(aiogram.methods).values()
        if isinstance(method, type) and issubclass(method, TelegramMethod) and method is not TelegramMethod
    }
    _PINNED.extend(Response[result] for result in returning)  # type: ignore[valid-type]
