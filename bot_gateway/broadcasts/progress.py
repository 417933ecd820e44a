"""The admin's progress message of a broadcast: one message edited in place, and the final report.

The admin who starts a broadcast (or opens its progress) gets one message that the gateway edits as
the sender reports batches: sent / blocked / failed / left and an ETA from the pace of the reports.
Telegram lets a bot edit a message about once every few seconds, so a message is edited at most
every `EDIT_SECONDS` whatever the pace. When the broadcast finishes (a report says so, or the
notifier's broadcast.finished event, which carries the counts) the message becomes the final report
and the admin gets a new message with it too (an edit makes no sound).

The board lives in the process that sends (the sender's reports drive it). It is memory: after a
gateway restart the admin opens the broadcast again (Broadcast ▸ Progress, or Refresh) to get a
message that follows it.
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
from sdk.billinghub.v1 import broadcast_pb2

log = structlog.get_logger(__name__)

St = broadcast_pb2.BroadcastStatus
EDIT_SECONDS = 3.0
PACE_WINDOW_SECONDS = 60.0  # the ETA follows the pace of the last minute
OVER = (St.BROADCAST_STATUS_FINISHED, St.BROADCAST_STATUS_CANCELLED)
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


def from_event(data: Mapping[str, object]) -> broadcast_pb2.Broadcast:
    """The broadcast as a broadcast.* event describes it (id, status and counts)."""

    def count(key: str) -> int:
        value = data.get(key, 0)
        return value if isinstance(value, int) else 0

    return broadcast_pb2.Broadcast(
        id=str(data.get("broadcast_id", "")),
        status=STATUSES.get(str(data.get("status", "")), St.BROADCAST_STATUS_UNSPECIFIED),
        audience=count("audience"),
        sent=count("sent"),
        blocked=count("blocked"),
        failed=count("failed"),
        left=count("left"),
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

    def watch(
        self, tenant_id: str, broadcast: broadcast_pb2.Broadcast, chat_id: int, message_id: int, locale: str
    ) -> None:
        """Follow the broadcast in this message (it shows the broadcast as it is now); one message a
        chat, the newest."""
        if broadcast.status in OVER:
            self.forget(tenant_id, broadcast.id, chat_id)
            return
        shown = self.render(broadcast, locale)
        watches = self._watches.setdefault((tenant_id, broadcast.id), {})
        watches[chat_id] = Watch(chat_id, message_id, locale, shown=shown, edited_at=self._clock())

    def forget(self, tenant_id: str, broadcast_id: str, chat_id: int) -> None:
        """Stop following the broadcast in that chat (the admin's own screen says the end)."""
        watches = self._watches.get((tenant_id, broadcast_id), {})
        watches.pop(chat_id, None)
        if not watches:
            self._watches.pop((tenant_id, broadcast_id), None)

    def watching(self, tenant_id: str, broadcast_id: str) -> list[int]:
        """The chats following the broadcast."""
        return sorted(self._watches.get((tenant_id, broadcast_id), {}))

    def render(self, broadcast: broadcast_pb2.Broadcast, locale: str, eta: float | None = None) -> str:
        with self._i18n.context(), self._i18n.use_locale(locale):
            return progress_text(broadcast, eta)

    async def report(self, bot: Bot, tenant_id: str, broadcast: broadcast_pb2.Broadcast) -> None:
        """A report's answer: edit the messages last edited `EDIT_SECONDS` ago or more; the final
        report when the broadcast is over."""
        watches = self._watches.get((tenant_id, broadcast.id))
        if not watches:
            return
        if broadcast.status in OVER:
            await self.finish(bot, tenant_id, broadcast)
            return
        now = self._clock()
        for watch in list(watches.values()):
            eta = watch.eta(broadcast, now)
            if now - watch.edited_at < EDIT_SECONDS:
                continue
            await self._edit(bot, watch, broadcast, self.render(broadcast, watch.locale, eta))
            watch.edited_at = now

    async def on_event(self, bot: Bot, tenant_id: str, event_type: str, data: Mapping[str, object]) -> None:
        """broadcast.finished from the notifier: the final report, if no report brought it first."""
        if event_type == "broadcast.finished":
            await self.finish(bot, tenant_id, from_event(data))

    async def finish(self, bot: Bot, tenant_id: str, broadcast: broadcast_pb2.Broadcast) -> None:
        """Turn every progress message of the broadcast into its end, and send the final report."""
        watches = self._watches.pop((tenant_id, broadcast.id), {})
        for watch in watches.values():
            await self._edit(bot, watch, broadcast, self.render(broadcast, watch.locale))
            if broadcast.status == St.BROADCAST_STATUS_FINISHED:
                with self._i18n.context(), self._i18n.use_locale(watch.locale):
                    text = final_text(broadcast)
                try:
                    await bot.send_message(watch.chat_id, text)
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
