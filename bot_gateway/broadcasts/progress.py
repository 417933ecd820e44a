"""The admin's progress message of a broadcast: one message edited in place, and the final report.

The admin who starts a broadcast (or opens its progress) gets one message that the gateway edits as
the sender reports batches: sent / blocked / failed / left and an ETA from the pace of the reports.
Telegram lets a bot edit a message about once every few seconds, so a message is edited at most
every `EDIT_SECONDS` whatever the pace. When the broadcast finishes (a report says so, or the
notifier's broadcast.finished event, which carries the counts) the message becomes the final report
and the admin gets a new message with it too (an edit makes no sound).

Which messages follow a broadcast is kept in the core, not here: the handler that posts one
attaches it (AttachBroadcastProgress), and every answer the sender gets (the broadcast after a
report) lists them, so the process that sends adopts them whatever process posted them — after a
gateway restart, or on another replica, the messages go on being edited. What the board keeps is
only what each message last showed, when, and the pace of the reports (for the ETA).

The end is claimed once in the core (ClaimBroadcastReport): every process that sees it (a report's
answer, the notifier's broadcast.finished/.cancelled) asks, and only the one that wins edits the
messages into the end and sends the final report, so replicas never send it twice. A process that
dies between its claim and the report loses that report: at most once, never twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot_gateway.keyboards.admin_broadcast import progress as progress_keyboard
from sdk.billinghub.v1 import broadcast_pb2, broadcast_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)

St = broadcast_pb2.BroadcastStatus
EDIT_SECONDS = 3.0
PACE_WINDOW_SECONDS = 60.0  # the ETA follows the pace of the last minute
OVER = (St.BROADCAST_STATUS_FINISHED, St.BROADCAST_STATUS_CANCELLED)
ENDING_EVENTS = ("broadcast.finished", "broadcast.cancelled")
ENDING_EVENTS = ("broadcast.finished", "broadcast.cancelled")
STATUSES = {"running": St.BROADCAST_STATUS_RUNNING, "paused": St.BROADCAST_STATUS_PAUSED,
            "finished": St.BROADCAST_STATUS_FINISHED, "cancelled": St.BROADCAST_STATUS_CANCELLED}  # fmt: skip


def status_text(status: broadcast_pb2.BroadcastStatus) -> str:
    return {
        St.BROADCAST_STATUS_DRAFT: _("draft"),
        St.BROADCAST_STATUS_QUEUED: _("queued: it starts when the current broadcast ends"),
        St.BROADCAST_STATUS_RUNNING: _("sending"),
        St.BROADCAST_STATUS_PAUSED: _("paused"),
        St.BROADCAST_STATUS_CANCELLED: _("cancelled"),
        St.BROADCAST_STATUS_FINISHED: _("finished"),
    }.get(status, "?")


def eta_text(seconds: float | None) -> str:
    """ "ETA: 3 min 20 s" (or "calculating…" before the pace is known)."""
    if seconds is None:
        return _("ETA: calculating…")
    total = max(round(seconds), 0)
    minutes, secs = divmod(total, 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return _("ETA: {hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if minutes:
        return _("ETA: {minutes} min {seconds} s").format(minutes=minutes, seconds=secs)
    return _("ETA: {seconds} s").format(seconds=secs)


def progress_text(broadcast: broadcast_pb2.Broadcast, eta: float | None = None) -> str:
    """The progress message: status, the counts, the ETA while sending."""
    lines = [
        _("📣 Broadcast: {status}").format(status=status_text(broadcast.status)),
        "",
        ngettext("Audience: {count} user", "Audience: {count} users", broadcast.audience).format(
            count=broadcast.audience
        ),
        _("✅ Sent: {count}").format(count=broadcast.sent),
        _("🚫 Blocked the bot: {count}").format(count=broadcast.blocked),
        _("⚠️ Failed: {count}").format(count=broadcast.failed),
        _("⏳ Left: {count}").format(count=broadcast.left),
    ]
    if broadcast.status == St.BROADCAST_STATUS_RUNNING and broadcast.left:
        lines += ["", eta_text(eta)]
    return "\n".join(lines)


def final_text(broadcast: broadcast_pb2.Broadcast) -> str:
    """The final report sent when a broadcast finishes."""
    return _("📣 Broadcast finished: {sent} sent, {blocked} blocked the bot, {failed} failed.").format(
        sent=broadcast.sent, blocked=broadcast.blocked, failed=broadcast.failed
    )


@dataclass
class Watch:
    """One progress message: where it is, in which language, what it last showed and when."""

    chat_id: int
    message_id: int
    locale: str
    shown: str = ""
    edited_at: float = 0.0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (time, reported so far)

    def eta(self, broadcast: broadcast_pb2.Broadcast, now: float) -> float | None:
        """Seconds left at the pace of the reports over the last minute; None before two reports."""
        done = broadcast.sent + broadcast.blocked + broadcast.failed
        self.samples = [(at, count) for at, count in self.samples if now - at <= PACE_WINDOW_SECONDS]
        self.samples.append((now, done))
        (first_at, first), (last_at, last) = self.samples[0], self.samples[-1]
        if last_at - first_at <= 0 or last <= first:
            return None
        return broadcast.left / ((last - first) / (last_at - first_at))


class ProgressBoard:
    """The progress messages of every bot of the process, by (tenant, broadcast)."""

    def __init__(self, i18n: I18n, clock: Callable[[], float] = time.monotonic) -> None:
        self._i18n = i18n
        self._clock = clock
        self._watches: dict[tuple[str, str], dict[int, Watch]] = {}  # -> chat id -> its message

    def adopt(self, tenant_id: str, broadcast: broadcast_pb2.Broadcast) -> dict[int, Watch]:
        """Follow the messages the core lists for the broadcast: those new to this process are
        edited at the next report, those the core let go (a newer one in the chat, the oldest past
        the bound) are forgotten, the others keep what they showed."""
        key = (tenant_id, broadcast.id)
        known = self._watches.get(key, {})
        adopted: dict[int, Watch] = {}
        for message in broadcast.progress_messages:
            watch = known.get(message.chat_id)
            if watch is None or watch.message_id != message.message_id:
                watch = Watch(message.chat_id, message.message_id, message.locale)
            watch.locale = message.locale
            adopted[message.chat_id] = watch
        if adopted:
            self._watches[key] = adopted
        else:
            self._watches.pop(key, None)
        return adopted

    def watch(self, tenant_id: str, broadcast: broadcast_pb2.Broadcast, chat_id: int, message_id: int) -> None:
        """The broadcast as AttachBroadcastProgress answered, just shown in that message: follow
        its messages, this one as showing it now."""
        if broadcast.status in OVER:
            self.forget(tenant_id, broadcast.id, chat_id)
            return
        watch = self.adopt(tenant_id, broadcast).get(chat_id)
        if watch is not None and watch.message_id == message_id:
            watch.shown, watch.edited_at = self.render(broadcast, watch.locale), self._clock()

    def forget(self, tenant_id: str, broadcast_id: str, chat_id: int) -> None:
        """Stop following the broadcast in that chat (the admin's own screen says the end)."""
        watches = self._watches.get((tenant_id, broadcast_id), {})
        watches.pop(chat_id, None)
        if not watches:
            self._watches.pop((tenant_id, broadcast_id), None)

    def watching(self, tenant_id: str, broadcast_id: str) -> list[int]:
        """The chats this process follows the broadcast in."""
        return sorted(self._watches.get((tenant_id, broadcast_id), {}))

    def render(self, broadcast: broadcast_pb2.Broadcast, locale: str, eta: float | None = None) -> str:
        with self._i18n.context(), self._i18n.use_locale(locale):
            return progress_text(broadcast, eta)

    async def report(self, bot: Bot, hub: BillingHubClient, tenant_id: str, broadcast: broadcast_pb2.Broadcast) -> None:
        """A report's answer: edit the messages last edited `EDIT_SECONDS` ago or more (adopting
        those the core lists); the end when the broadcast is over."""
        if broadcast.status in OVER:
            if broadcast.progress_messages and not broadcast.report_claimed:
                await self.finish(bot, hub, tenant_id, broadcast.id)
            else:
                self._watches.pop((tenant_id, broadcast.id), None)
            return
        now = self._clock()
        for watch in list(self.adopt(tenant_id, broadcast).values()):
            eta = watch.eta(broadcast, now)
            if now - watch.edited_at < EDIT_SECONDS:
                continue
            await self._edit(bot, watch, broadcast, self.render(broadcast, watch.locale, eta))
            watch.edited_at = now

    async def on_event(
        self, bot: Bot, hub: BillingHubClient, tenant_id: str, event_type: str, data: Mapping[str, object]
    ) -> None:
        """broadcast.finished/.cancelled from the notifier: the end, unless another process (or a
        report's answer here) claimed it first."""
        if event_type in ENDING_EVENTS:
            await self.finish(bot, hub, tenant_id, str(data.get("broadcast_id", "")))

    async def finish(self, bot: Bot, hub: BillingHubClient, tenant_id: str, broadcast_id: str) -> None:
        """Claim the end in the core; the winner turns every progress message into the end and,
        when the broadcast finished, sends each admin the final report."""
        watches = self._watches.pop((tenant_id, broadcast_id), {})
        # no request_id: a claim is not retried (its answer lost, the report is lost: at most once),
        # and one would make this process's second claim (the report's answer, then the notifier's
        # event) replay the first one's win
        request = broadcast_service_pb2.ClaimBroadcastReportRequest(broadcast_id=broadcast_id)
        try:
            claim: broadcast_service_pb2.ClaimBroadcastReportResponse = await hub.broadcasts.ClaimBroadcastReport(
                request
            )
        except BillingHubError as error:
            log.warning(
                "broadcast report not claimed", tenant_id=tenant_id, status=error.code.name, reason=error.reason
            )
            return
        if not claim.claimed:
            return  # another process sends it (or sent it)
        broadcast = claim.broadcast
        for message in broadcast.progress_messages:
            watch = watches.get(message.chat_id)
            if watch is None or watch.message_id != message.message_id:
                watch = Watch(message.chat_id, message.message_id, message.locale)
            await self._edit(bot, watch, broadcast, self.render(broadcast, message.locale))
            if broadcast.status == St.BROADCAST_STATUS_FINISHED:
                with self._i18n.context(), self._i18n.use_locale(message.locale):
                    text = final_text(broadcast)
                try:
                    await bot.send_message(message.chat_id, text)
                except TelegramAPIError as error:
                    log.warning("broadcast report not sent", tenant_id=tenant_id, error=error.message)

    async def _edit(self, bot: Bot, watch: Watch, broadcast: broadcast_pb2.Broadcast, text: str) -> None:
        if text == watch.shown:
            return
        with self._i18n.context(), self._i18n.use_locale(watch.locale):
            markup = progress_keyboard(broadcast)
        try:
            await bot.edit_message_text(
                text=text, chat_id=watch.chat_id, message_id=watch.message_id, reply_markup=markup
            )
            watch.shown = text
        except TelegramBadRequest as error:  # not modified, deleted by the admin: nothing to do
            log.info("broadcast progress not edited", error=error.message)
        except TelegramAPIError as error:
            log.warning("broadcast progress not edited", error=error.message)
