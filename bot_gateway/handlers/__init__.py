"""Handlers, one router per feature; `create_routers()` lists them in the order they match.

Each feature module offers `create_router()` rather than a module-level router: an aiogram router
can be attached to one parent only, and a process (or a test session) may build more than one
dispatcher.
"""

from __future__ import annotations

from aiogram import Router

from bot_gateway.handlers import errors, start


def create_routers() -> list[Router]:
    """Fresh routers of every feature, errors last."""
    return [start.create_router(), errors.create_router()]
