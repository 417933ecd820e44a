"""Broadcast messages ⇄ the domain's broadcast types."""

from __future__ import annotations

from core_server.api.convert import timestamp
from core_server.domain.bots.broadcast_model import (
    Broadcast,
    BroadcastStatus,
    Button,
    Content,
    Outcome,
    ParseMode,
    Recipient,
    Result,
    Segment,
    SegmentKind,
)
from sdk.billinghub.v1 import broadcast_pb2 as b

STATUSES = {
    b.BROADCAST_STATUS_DRAFT: BroadcastStatus.DRAFT,
    b.BROADCAST_STATUS_QUEUED: BroadcastStatus.QUEUED,
    b.BROADCAST_STATUS_RUNNING: BroadcastStatus.RUNNING,
    b.BROADCAST_STATUS_PAUSED: BroadcastStatus.PAUSED,
    b.BROADCAST_STATUS_CANCELLED: BroadcastStatus.CANCELLED,
    b.BROADCAST_STATUS_FINISHED: BroadcastStatus.FINISHED,
}
STATUSES_OUT = {value: key for key, value in STATUSES.items()}
PARSE_MODES = {
    b.BROADCAST_PARSE_MODE_UNSPECIFIED: ParseMode.PLAIN,
    b.BROADCAST_PARSE_MODE_PLAIN: ParseMode.PLAIN,
    b.BROADCAST_PARSE_MODE_HTML: ParseMode.HTML,
}
PARSE_MODES_OUT = {ParseMode.PLAIN: b.BROADCAST_PARSE_MODE_PLAIN, ParseMode.HTML: b.BROADCAST_PARSE_MODE_HTML}
KINDS = {
    b.BROADCAST_SEGMENT_KIND_ALL: SegmentKind.ALL,
    b.BROADCAST_SEGMENT_KIND_PAID: SegmentKind.PAID,
    b.BROADCAST_SEGMENT_KIND_ACTIVE_SUBSCRIPTION: SegmentKind.ACTIVE_SUBSCRIPTION,
    b.BROADCAST_SEGMENT_KIND_LANGUAGE: SegmentKind.LANGUAGE,
    b.BROADCAST_SEGMENT_KIND_INACTIVE: SegmentKind.INACTIVE,
}
KINDS_OUT = {value: key for key, value in KINDS.items()}
OUTCOMES = {
    b.BROADCAST_OUTCOME_SENT: Outcome.SENT,
    b.BROADCAST_OUTCOME_BLOCKED: Outcome.BLOCKED,
    b.BROADCAST_OUTCOME_FAILED: Outcome.FAILED,
}


def content_in(message: b.BroadcastContent, present: bool) -> Content | None:
    if not present:
        return None
    button = Button(message.button.text, message.button.url) if message.HasField("button") else None
    return Content(
        text=message.text, photo=message.photo, parse_mode=PARSE_MODES.get(message.parse_mode), button=button
    )


def segment_in(message: b.BroadcastSegment, present: bool) -> Segment | None:
    if not present:
        return None
    return Segment(kind=KINDS.get(message.kind), language=message.language, inactive_days=message.inactive_days)


def results_in(messages: list[b.BroadcastResult]) -> list[Result]:
    return [Result(m.recipient_id, OUTCOMES.get(m.outcome), m.error) for m in messages]


def broadcast_message(broadcast: Broadcast) -> b.Broadcast:
    content = broadcast.content
    segment = broadcast.segment
    assert content.parse_mode is not None
    assert segment.kind is not None
    return b.Broadcast(
        id=str(broadcast.id),
        status=STATUSES_OUT[broadcast.status],
        content=b.BroadcastContent(
            text=content.text,
            photo=content.photo,
            parse_mode=PARSE_MODES_OUT[content.parse_mode],
            button=b.BroadcastButton(text=content.button.text, url=content.button.url) if content.button else None,
        ),
        segment=b.BroadcastSegment(
            kind=KINDS_OUT[segment.kind], language=segment.language, inactive_days=segment.inactive_days
        ),
        audience=broadcast.audience,
        sent=broadcast.sent,
        blocked=broadcast.blocked,
        failed=broadcast.failed,
        left=broadcast.left,
        created_by=broadcast.created_by,
        create_time=timestamp(broadcast.created_at),
        start_time=timestamp(broadcast.started_at),
        end_time=timestamp(broadcast.ended_at),
        update_time=timestamp(broadcast.updated_at),
        progress_messages=[
            b.BroadcastProgressMessage(
                chat_id=m.chat_id, message_id=m.message_id, locale=m.locale, attach_time=timestamp(m.attached_at)
            )
            for m in broadcast.progress_messages
        ],
        report_claimed=broadcast.report_claimed,
    )


def recipient_message(recipient: Recipient) -> b.BroadcastRecipient:
    return b.BroadcastRecipient(
        recipient_id=recipient.seq,
        user_id=str(recipient.user_id),
        chat_id=recipient.chat_id,
        language=recipient.language,
    )
