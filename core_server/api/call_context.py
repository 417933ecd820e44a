"""Per-call data in contextvars: each grpc.aio call runs in its own task, so these never leak
between calls. The interceptor sets them; servicers read the actor."""

from __future__ import annotations

import contextvars

from core_server.domain.actor import Actor

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("actor")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_actor() -> Actor:
    """The authenticated caller of the current call."""
    return _actor.get()


def current_request_id() -> str:
    return _request_id.get()


def set_call(actor: Actor) -> None:
    _actor.set(actor)


def set_request_id(request_id: str) -> None:
    _request_id.set(request_id)
