"""A broadcast as the domain sees it: its states and their one transition table, its content and
segment with the rules they obey (Telegram's limits), and the outcomes a recipient can have.

    draft ─┬─► running ◄──► paused
           │      │  ▲        │
           │      │  └── queued (another broadcast of the tenant holds the running place)
           │      ├─► finished (every recipient reported)
           └──────┴─► cancelled (from draft, queued, running or paused)

A running or paused broadcast holds the tenant's one running place (a unique index enforces it);
a queued one waits for it, the oldest first.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core_server.domain.bots.rules import MAX_CAPTION, MAX_TEXT, MAX_URL, check_image
from core_server.domain.errors import Violations
from core_server.domain.states import check_edge
from core_server.store.models import BroadcastRow

MAX_BUTTON_TEXT = 64
MAX_INACTIVE_DAYS = 3650
MAX_ERROR = 500
_LANGUAGE = re.compile(r"[a-z]{2,3}")


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class ParseMode(StrEnum):
    PLAIN = "plain"
    HTML = "html"


class SegmentKind(StrEnum):
    ALL = "all"
    PAID = "paid"
    ACTIVE_SUBSCRIPTION = "active_subscription"
    LANGUAGE = "language"
    INACTIVE = "inactive"


class Outcome(StrEnum):
    """A recipient's outcome; PENDING until the first report, which wins."""

    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


S = BroadcastStatus
TRANSITIONS: dict[BroadcastStatus, frozenset[BroadcastStatus]] = {
    S.DRAFT: frozenset({S.RUNNING, S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.PAUSED, S.FINISHED, S.CANCELLED}),
    S.PAUSED: frozenset({S.RUNNING, S.FINISHED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.FINISHED: frozenset(),
}
HOLDS_PLACE = (S.RUNNING, S.PAUSED)  # the tenant's one running place
ENDED = (S.CANCELLED, S.FINISHED)


def move(row: BroadcastRow, to: BroadcastStatus, now: dt.datetime) -> BroadcastStatus:
    """Change the broadcast's status along an allowed edge, stamping what the edge implies."""
    was = check_edge("broadcast", row.id, TRANSITIONS, BroadcastStatus, row.status, to)
    row.status, row.updated_at = to, now
    if to is S.QUEUED:
        row.queued_at = now
    if to is S.RUNNING and row.started_at is None:
        row.started_at = now
    if to in ENDED:
        row.ended_at = now
    return was


def check_move(row: BroadcastRow, to: BroadcastStatus) -> None:
    """Whether `row -> to` is an edge (IllegalTransition otherwise), for a change the repository
    makes itself (taking the running place, which the database may refuse)."""
    check_edge("broadcast", row.id, TRANSITIONS, BroadcastStatus, row.status, to)


def left(row: BroadcastRow) -> int:
    return row.audience - row.sent - row.blocked - row.failed


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Content:
    """The message; a parse mode the contract does not know comes in as None."""

    text: str
    photo: str = ""
    parse_mode: ParseMode | None = ParseMode.PLAIN
    button: Button | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """Who gets it; a kind the contract does not know (or none) comes in as None."""

    kind: SegmentKind | None
    language: str = ""
    inactive_days: int = 0


@dataclass(frozen=True, slots=True)
class ProgressMessage:
    """An admin's progress message of the broadcast (broadcast_progress.py keeps them)."""

    chat_id: int
    message_id: int
    locale: str
    attached_at: dt.datetime

    def stored(self) -> dict[str, object]:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "locale": self.locale,
            "attached_at": self.attached_at.isoformat(),
        }


def progress_messages(row: BroadcastRow) -> list[ProgressMessage]:
    """The row's progress messages, oldest first."""
    return [
        ProgressMessage(
            int(str(m["chat_id"])),
            int(str(m["message_id"])),
            str(m["locale"]),
            dt.datetime.fromisoformat(str(m["attached_at"])),
        )
        for m in row.progress_messages or []
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast:
    id: uuid.UUID
    status: BroadcastStatus
    content: Content
    segment: Segment
    audience: int
    sent: int
    blocked: int
    failed: int
    left: int
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    updated_at: dt.datetime
    progress_messages: tuple[ProgressMessage, ...] = ()
    report_claimed: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    seq: int
    user_id: uuid.UUID
    chat_id: int
    language: str


@dataclass(frozen=True, slots=True)
class Result:
    """One reported outcome; an outcome the contract does not know comes in as None."""

    recipient_id: int
    outcome: Outcome | None
    error: str = ""


def to_broadcast(row: BroadcastRow) -> Broadcast:
    button = Button(row.button_text, row.button_url) if row.button_url else None
    content = Content(text=row.body, photo=row.photo, parse_mode=ParseMode(row.parse_mode), button=button)
    segment = Segment(kind=SegmentKind(row.segment), language=row.segment_language, inactive_days=row.segment_days)
    return Broadcast(
        id=row.id,
        status=BroadcastStatus(row.status),
        content=content,
        segment=segment,
        audience=row.audience,
        sent=row.sent,
        blocked=row.blocked,
        failed=row.failed,
        left=left(row),
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        updated_at=row.updated_at,
        progress_messages=tuple(progress_messages(row)),
        report_claimed=row.report_claimed_at is not None,
    )


def event_data(row: BroadcastRow) -> dict[str, Any]:
    """What broadcast.* events (and audit entries) say of a broadcast."""
    return {
        "broadcast_id": str(row.id),
        "status": row.status,
        "audience": row.audience,
        "sent": row.sent,
        "blocked": row.blocked,
        "failed": row.failed,
        "left": left(row),
    }


def chat_id_of(external_id: str) -> int:
    """A Telegram user's external_id as the Bot API's chat_id; 0 when it is not a number."""
    return int(external_id) if external_id.isascii() and external_id.isdigit() and len(external_id) <= 18 else 0


def _check_url(url: str, field: str, v: Violations) -> str:
    url = url.strip()
    if not url:
        v.add(field, "is required")
    elif (
        not url.startswith("https://")
        or len(url) <= len("https://")
        or len(url) > MAX_URL
        or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url)
    ):
        v.add(field, f"must be an https:// URL of at most {MAX_URL} characters without spaces")
    return url


def check_content(content: Content | None, v: Violations, field: str = "content") -> Content:
    """The content as stored (trimmed); violations name `content.<field>`."""
    if content is None:
        v.add(field, "is required")
        return Content(text="")
    photo = check_image(content.photo, f"{field}.photo", v)
    limit = MAX_CAPTION if photo else MAX_TEXT
    text = v.check_text(f"{field}.text", content.text, max_length=limit, required=not photo, multiline=True)
    if content.parse_mode is None:
        v.add(f"{field}.parse_mode", "must be BROADCAST_PARSE_MODE_PLAIN or BROADCAST_PARSE_MODE_HTML")
    button = None
    if content.button is not None:
        label = v.check_text(f"{field}.button.text", content.button.text, max_length=MAX_BUTTON_TEXT, required=True)
        button = Button(label, _check_url(content.button.url, f"{field}.button.url", v))
    return Content(text=text, photo=photo, parse_mode=content.parse_mode, button=button)


def check_segment(segment: Segment | None, v: Violations, field: str = "segment") -> Segment:
    """The segment as stored: a language only for LANGUAGE, days only for INACTIVE."""
    if segment is None or segment.kind is None:
        v.add(f"{field}.kind" if segment is not None else field, "is required")
        return Segment(kind=None)
    language = segment.language.strip()
    if segment.kind is SegmentKind.LANGUAGE:
        if not _LANGUAGE.fullmatch(language):
            v.add(f"{field}.language", "must be a language code of 2 or 3 lower-case letters, such as en")
    elif language:
        v.add(f"{field}.language", "is only for the LANGUAGE segment")
    if segment.kind is SegmentKind.INACTIVE:
        if not 1 <= segment.inactive_days <= MAX_INACTIVE_DAYS:
            v.add(f"{field}.inactive_days", f"must be between 1 and {MAX_INACTIVE_DAYS}")
    elif segment.inactive_days:
        v.add(f"{field}.inactive_days", "is only for the INACTIVE segment")
    return Segment(kind=segment.kind, language=language, inactive_days=segment.inactive_days)
