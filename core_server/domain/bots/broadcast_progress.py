"""The admins' progress messages of a broadcast, kept in the core so that they outlive the gateway
that posted them: every gateway reads them on the broadcast (its leases and reports answer with
it) and edits them, and after a restart, or on another replica, the sender picks them up again.

A broadcast keeps one message a chat (the newest: an admin who opens the progress again moves it)
and at most MAX_MESSAGES chats, the one attached longest ago giving way, so a tenant's admins can
never grow the list, and each read of it, without bound. The final report is claimed once
(`claim_report`), whichever gateways see the end: only the claimer edits the messages into the
end and sends the report.
"""

from __future__ import annotations

import uuid

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.bots.broadcast_model import (
    ENDED,
    Broadcast,
    BroadcastStatus,
    ProgressMessage,
    progress_messages,
    to_broadcast,
)
from core_server.domain.bots.broadcast_runs import find_broadcast
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.reasons import BroadcastEnded, BroadcastNotEnded, BroadcastNotStarted
from core_server.domain.tenancy.tenants import LOCALES
from core_server.store.repositories import broadcasts as repo

S = BroadcastStatus
MAX_MESSAGES = 10
MAX_CHAT_ID = 2**52  # Telegram's chat ids fit 52 bits
MAX_MESSAGE_ID = 2**31 - 1
TELEGRAM_ACTOR = "telegram:"


def _check(actor: Actor, broadcast_id: str, chat_id: int, message_id: int, locale: str) -> uuid.UUID:
    v = Violations()
    parsed = v.id("broadcast_id", broadcast_id)
    if not 1 <= chat_id <= MAX_CHAT_ID:
        v.add("chat_id", f"must be a Telegram chat id between 1 and {MAX_CHAT_ID}")
    elif actor.acting_for.startswith(TELEGRAM_ACTOR) and str(chat_id) != actor.acting_for[len(TELEGRAM_ACTOR) :]:
        # a gateway acts for one admin: it may post that admin's progress, in nobody else's chat
        v.add("chat_id", f"must be the acting admin's own chat ({actor.acting_for})")
    if not 1 <= message_id <= MAX_MESSAGE_ID:
        v.add("message_id", f"must be a Telegram message id between 1 and {MAX_MESSAGE_ID}")
    if locale not in LOCALES:
        v.add("locale", f"must be one of {', '.join(LOCALES)}")
    v.raise_if_any()
    assert parsed is not None
    return parsed


def attached(messages: list[ProgressMessage], new: ProgressMessage) -> list[ProgressMessage]:
    """The list with `new` in it: the same message keeps its place (its locale updated), a chat's
    new message replaces its old one, and past MAX_MESSAGES the oldest gives way."""
    same = [m for m in messages if (m.chat_id, m.message_id) == (new.chat_id, new.message_id)]
    if same:
        return [new if m is same[0] else m for m in messages]
    kept = [m for m in messages if m.chat_id != new.chat_id] + [new]
    return kept[-MAX_MESSAGES:]


class BroadcastProgress:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def attach(self, actor: Actor, broadcast_id: str, chat_id: int, message_id: int, locale: str) -> Broadcast:
        """Record a progress message of a started, not ended broadcast."""
        parsed = _check(actor, broadcast_id, chat_id, message_id, locale)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id, lock=True)
            if row.status == S.DRAFT:
                raise BroadcastNotStarted("a draft broadcast has no progress", metadata={"status": row.status})
            if row.status in ENDED:
                raise BroadcastEnded(f"broadcast is {row.status}", metadata={"status": row.status})
            before = [m.stored() for m in progress_messages(row)]
            messages = attached(progress_messages(row), ProgressMessage(chat_id, message_id, locale, now))
            row.progress_messages = [m.stored() for m in messages]
            await uow.session.flush()
            audit.record(
                uow,
                actor,
                "",
                "broadcast.progress_attached",
                ("broadcast", str(row.id)),
                "",
                {"progress_messages": before},
                {"progress_messages": row.progress_messages},
                now,
            )
            broadcast = to_broadcast(row)
            await uow.commit()
        return broadcast

    async def claim_report(self, actor: Actor, broadcast_id: str) -> tuple[Broadcast, bool]:
        """The ended broadcast, and whether this caller is the one to send its final report."""
        v = Violations()
        parsed = v.id("broadcast_id", broadcast_id)
        v.raise_if_any()
        assert parsed is not None
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id)
            if row.status not in ENDED:
                raise BroadcastNotEnded(f"broadcast is {row.status}", metadata={"status": row.status})
            claimed = await repo.claim_report(uow, actor.tenant, parsed, [str(s) for s in ENDED], now)
            row = await find_broadcast(uow, actor.tenant, parsed, broadcast_id)
            broadcast = to_broadcast(row)
            await uow.commit()
        return broadcast, claimed
