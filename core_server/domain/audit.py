"""The audit log: every admin mutation with actor, reason and the state before and after."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import encode
from core_server.domain.paging import before_id, next_page_token, page_request
from core_server.store.ids import new_id
from core_server.store.models import AuditRow
from core_server.store.repositories import audit as audit_repo
from core_server.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: uuid.UUID
    actor: str
    action: str
    target_type: str
    target_id: str
    reason: str
    before: str
    after: str
    created_at: dt.datetime


def entry(
    actor: Actor,
    who: str,
    action: str,
    target: tuple[str, str],
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: dt.datetime,
) -> AuditRow:
    """An entry's row. `who` is the person as the caller named them; the key that made the call
    is recorded beside it."""
    label = f"{who} via {actor.label}" if who else actor.label
    return AuditRow(
        tenant_id=actor.tenant,
        id=new_id(),
        actor=label,
        action=action,
        target_type=target[0],
        target_id=target[1],
        reason=reason,
        before=encode(before),
        after=encode(after),
        created_at=now,
    )


def record(
    uow: UnitOfWork,
    actor: Actor,
    who: str,
    action: str,
    target: tuple[str, str],
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Add an entry (see `entry`) to the caller's transaction."""
    audit_repo.add(uow, entry(actor, who, action, target, reason, before, after, now))


class AuditLog:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def list_entries(
        self, actor: Actor, action: str, target_id: str, page_size: int, page_token: str
    ) -> tuple[list[AuditEntry], str]:
        violations = Violations()
        violations.check_text("action", action, max_length=64)
        violations.check_text("target_id", target_id, max_length=64)
        page = page_request(page_size, page_token, {"a": action, "t": target_id}, violations=violations)
        violations.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            rows = await audit_repo.list_entries(
                uow, actor.tenant, action=action, target_id=target_id, before=before, limit=page.size + 1
            )
            entries = [
                AuditEntry(
                    r.id, r.actor, r.action, r.target_type, r.target_id, r.reason, r.before, r.after, r.created_at
                )
                for r in rows[: page.size]
            ]
        return entries, next_page_token(page, entries[-1].id.hex if entries else None, len(rows) > page.size)
