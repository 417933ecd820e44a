"""Keeps the set of running bots equal to what the core says to run.

Every `poll_tenants_seconds` the runner asks the core (ListBotTenants, with the gateway key)
which tenants have a bot, and each one's mode (GetBotSettings: polling or webhook). A runner
serves one mode: the bot gateway's polls, the HTTP gateway's serves webhooks (`modes.py`). It
starts a task for each new bot in its mode (`poll_updates` or `serve_webhook`), stops bots no
longer listed or switched to the other mode, restarts a bot whose token or webhook secret changed
or whose task ended, and passes a changed default locale on without a restart. Tenants can
therefore be added, suspended, switched or given a new token while the process runs. A core that
cannot be reached leaves the running bots as they are; so does a tenant whose mode cannot be read.
Beside each bot runs its notifier (`notifier.Notifier`), started and stopped with it, unless the
runner is told to run none (the HTTP gateway's: see http_gateway/webhooks/telegram.py), and its
broadcast sender (`broadcasts.sender.BroadcastSender`), unless told to run none, whose task runs
while the tenant has a broadcast running (listed so by the core, or started by the broadcast events
the notifier hands it); its reports edit the admins' progress messages (`board`). An admin's export
runs as a job of `exports` (export_jobs.py, shared with the dispatcher); stopping a bot stops its
export too, so a shutdown leaves no export task behind.

A notifier that sees the tenant's mode change (`bot_settings.updated` naming "mode") asks for a
re-sync of that bot (`resync_soon`): between syncs the runner re-reads the mode of just those
tenants and stops a bot switched away from its mode at once. The other side, which runs no bot
(and so no notifier) for the tenant, still takes the bot over at its own next sync; Telegram keeps
the updates of that gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.utils.i18n import I18n
from aiogram.utils.token import TokenValidationError

from bot_gateway.bot_settings import BotSettingsCache
from bot_gateway.broadcasts.progress import ProgressBoard
from bot_gateway.broadcasts.sender import WAKING, BroadcastSender
from bot_gateway.commands import publish_commands
from bot_gateway.export_jobs import ExportJobs
from bot_gateway.i18n import build_i18n
from bot_gateway.middlewares.registration import UserRegistry
from bot_gateway.middlewares.tenant import BOT_TENANT_KEY, HUB_KEY
from bot_gateway.modes import BotMode, Delivery, read_deliveries
from bot_gateway.notifier import Notifier
from bot_gateway.polling import poll_updates, redact
from bot_gateway.session import BotSession
from bot_gateway.webhooks import WebhookBots, serve_webhook, webhook_path
from sdk.billinghub.v1 import broadcast_pb2, gateway_service_pb2
from sdk.billinghub.v1.gateway_service_pb2 import BotTenant
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

log = structlog.get_logger(__name__)

STOP_TIMEOUT_SECONDS = 10.0


def _fingerprint(token: str) -> str:
    """A short hash of a token: lets us compare tokens in logs and state without showing them."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass
class RunningBot:
    """One tenant's bot and its task; `tenant` is the latest listing of the tenant."""

    tenant: BotTenant
    delivery: Delivery
    bot: Bot
    task: asyncio.Task[None]
    hub: BillingHubClient
    notifier: asyncio.Task[None] | None = None
    broadcasts: BroadcastSender | None = None  # its task runs only while there is something to send
    sender: asyncio.Task[None] | None = None

    def send_broadcasts(self) -> None:
        """Start the broadcast sender's task unless it runs."""
        if self.broadcasts is not None and (self.sender is None or self.sender.done()):
            self.sender = asyncio.create_task(self.broadcasts.run(), name=f"broadcasts:{self.tenant.tenant_id}")


async def _with_commands(serve: Coroutine[Any, Any, None], bot: Bot, i18n: I18n) -> None:
    """Serve the bot while its command list is published (once, when it starts)."""
    await asyncio.gather(serve, publish_commands(bot, i18n))


class BotRunner:
    """Runs the tenant bots of one gateway key through `dispatcher`; `run(stop)` until `stop` is set.

    Without `webhooks` it polls the bots in polling mode; with `webhooks` (and the `public_url`
    Telegram reaches them at) it serves the bots in webhook mode through that registry.
    """

    def __init__(
        self,
        client: BillingHubClient,
        dispatcher: Dispatcher,
        *,
        poll_tenants_seconds: float = 30.0,
        polling_timeout: int = 30,
        telegram_api_url: str | None = None,
        webhooks: WebhookBots | None = None,
        public_url: str = "",
        settings: BotSettingsCache | None = None,
        registry: UserRegistry | None = None,
        i18n: I18n | None = None,
        notifications: bool = True,
        broadcasts: bool = True,
        broadcast_rate: float = 25.0,
        broadcast_batch: int = 100,
        broadcast_poll_seconds: float = 60.0,
        board: ProgressBoard | None = None,
        exports: ExportJobs | None = None,
    ) -> None:
        """`settings`, `registry` and `board` are the dispatcher's (the notifier reads the first and
        tells the second about users who blocked the bot; the senders' reports edit the progress
        messages of the third); `exports` too (a bot's running export is stopped with the bot, as its
        broadcast sender is); `notifications` False runs no notifiers, `broadcasts` False no
        broadcast senders (each sends `broadcast_rate` messages a second at most)."""
        if webhooks is not None and not public_url:
            raise ValueError("webhook mode needs the public URL Telegram posts to")
        self._client = client
        self._dispatcher = dispatcher
        self._webhooks = webhooks
        self._public_url = public_url.rstrip("/")
        self.mode = BotMode.WEBHOOK if webhooks is not None else BotMode.POLLING
        self._poll_tenants_seconds = poll_tenants_seconds
        self._polling_timeout = polling_timeout
        self._api = TelegramAPIServer.from_base(telegram_api_url) if telegram_api_url else None
        # webhook-mode bots make only short Bot API calls, so they share one connection pool (a
        # thousand bots, a thousand sessions otherwise); a polling bot's long poll holds a
        # connection for its whole timeout, so each polling bot keeps a session of its own
        self._shared_session = self._new_session() if webhooks is not None else None
        self._settings = settings or BotSettingsCache()
        self._registry = registry
        self._i18n = i18n or build_i18n()
        self._notifications = notifications
        self._broadcasts = broadcasts
        self._broadcast_rate = broadcast_rate
        self._broadcast_batch = broadcast_batch
        self._broadcast_poll_seconds = broadcast_poll_seconds
        self._board = board or ProgressBoard(self._i18n)
        self._exports = exports if exports is not None else ExportJobs()
        self._bots: dict[str, RunningBot] = {}
        self._due: set[str] = set()  # tenants whose mode changed: re-read before the next sync
        self._wake = asyncio.Event()  # set by `resync_soon` and by `stop`
        self._rejected: dict[str, str] = {}  # tenant id -> fingerprint of a token aiogram refused
        self._waiting_logged = False

    @property
    def running_tenants(self) -> set[str]:
        """Ids of the tenants whose bot is served now."""
        return {tenant_id for tenant_id, running in self._bots.items() if not running.task.done()}

    async def run(self, stop: asyncio.Event) -> None:
        """Sync with the core every period, and re-sync the bots asked for in between, until
        `stop` is set; then stop every bot."""
        loop = asyncio.get_running_loop()
        waker = asyncio.create_task(self._wake_at(stop), name="bot-runner-stop")
        next_sync = loop.time()
        try:
            while not stop.is_set():
                if loop.time() >= next_sync:
                    self._due.clear()  # a full sync reads every mode
                    await self.sync()
                    next_sync = loop.time() + self._poll_tenants_seconds
                elif self._due:
                    due, self._due = self._due, set()
                    await self.resync(due)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, next_sync - loop.time()))
                self._wake.clear()
        finally:
            waker.cancel()
            await self.stop_all()
        log.info("bot runner stopped")

    async def _wake_at(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    def resync_soon(self, tenant_id: str) -> None:
        """Re-read the tenant's mode before the next sync (its settings changed); never blocks,
        so a notifier may call it while the bot it serves is being stopped."""
        self._due.add(tenant_id)
        self._wake.set()

    async def resync(self, tenant_ids: set[str]) -> None:
        """Read the mode of these tenants' running bots and stop those switched away from this
        runner's mode (a mode that cannot be read now leaves the bot as it is)."""
        running = [tenant_id for tenant_id in tenant_ids if tenant_id in self._bots]
        for tenant_id, delivery in (await read_deliveries(self._client, running)).items():
            if tenant_id in self._bots and delivery.mode != self.mode:
                await self._stop_bot(tenant_id, f"switched to {delivery.mode}")

    async def sync(self) -> None:
        """One round: ask the core for the bots to run and start or stop bots to match."""
        try:
            response: gateway_service_pb2.ListBotTenantsResponse = await self._client.gateway.ListBotTenants(
                gateway_service_pb2.ListBotTenantsRequest()
            )
        except BillingHubError as error:
            log.warning("cannot list bot tenants", status=error.code.name, reason=error.reason)
            return
        wanted = {tenant.tenant_id: tenant for tenant in response.bot_tenants}
        deliveries = await read_deliveries(self._client, wanted)
        for tenant_id, running in list(self._bots.items()):
            tenant = wanted.get(tenant_id)
            delivery = deliveries.get(tenant_id, running.delivery)  # unreadable now: as it was
            if tenant is None:
                await self._stop_bot(tenant_id, "no longer listed")
            elif delivery.mode != self.mode:
                await self._stop_bot(tenant_id, f"switched to {delivery.mode}")
            elif tenant.bot_token != running.tenant.bot_token:
                await self._stop_bot(tenant_id, "token changed")
            elif delivery.secret != running.delivery.secret:
                await self._stop_bot(tenant_id, "webhook secret changed")
            elif running.task.done():
                await self._stop_bot(tenant_id, f"{self.mode} ended")
            else:
                running.tenant = tenant
                if tenant.broadcast_running:  # one started while this process heard no event of it
                    running.send_broadcasts()
        for tenant_id, tenant in wanted.items():
            new = deliveries.get(tenant_id)
            if tenant_id not in self._bots and new is not None and new.mode == self.mode:
                self._start_bot(tenant, new)
        if not self._bots and not self._waiting_logged:
            log.info("waiting for tenants with bot tokens")
        self._waiting_logged = not self._bots

    def _new_session(self) -> BotSession:
        return BotSession(api=self._api) if self._api else BotSession()

    def _start_bot(self, tenant: BotTenant, delivery: Delivery) -> None:
        fingerprint = _fingerprint(tenant.bot_token)
        if self._rejected.get(tenant.tenant_id) == fingerprint:
            return
        session = self._shared_session if self._shared_session is not None else self._new_session()
        try:
            bot = Bot(tenant.bot_token, session=session)
        except TokenValidationError:
            log.error("invalid bot token", tenant_id=tenant.tenant_id, token_fingerprint=fingerprint)
            self._rejected[tenant.tenant_id] = fingerprint
            return
        self._rejected.pop(tenant.tenant_id, None)
        running: RunningBot

        def context() -> dict[str, Any]:
            # read at each update, so a default locale changed by `sync` applies at once; `running`
            # is bound below, before the task can first run
            return {BOT_TENANT_KEY: running.tenant, HUB_KEY: running.hub}

        if self._webhooks is not None:
            url = self._public_url + webhook_path(tenant.tenant_id, bot.id)
            serve = serve_webhook(
                self._webhooks, tenant.tenant_id, bot, secret=delivery.secret, url=url, context=context
            )
        else:
            serve = poll_updates(self._dispatcher, bot, context, polling_timeout=self._polling_timeout)
        task = asyncio.create_task(_with_commands(serve, bot, self._i18n), name=f"bot:{tenant.tenant_id}")
        hub = self._client.for_tenant(tenant.tenant_id)
        running = self._bots[tenant.tenant_id] = RunningBot(
            tenant=tenant, delivery=delivery, bot=bot, task=task, hub=hub
        )
        sender: BroadcastSender | None = None
        if self._broadcasts:
            board, tenant_id = self._board, tenant.tenant_id

            async def progress(broadcast: broadcast_pb2.Broadcast) -> None:
                await board.report(bot, hub, tenant_id, broadcast)

            sender = BroadcastSender(
                hub,
                bot,
                tenant_id,
                rate=self._broadcast_rate,
                batch=self._broadcast_batch,
                poll_seconds=self._broadcast_poll_seconds,
                on_report=progress,
            )
            running.broadcasts = sender
            if tenant.broadcast_running:
                running.send_broadcasts()
        if self._notifications:
            notifier = Notifier(
                hub,
                bot,
                tenant.tenant_id,
                self._settings,
                self._i18n,
                self._registry,
                self.resync_soon,
                self._broadcast_hook(bot, running),
            )
            running.notifier = asyncio.create_task(notifier.run(), name=f"notifier:{tenant.tenant_id}")
        log.info(
            "bot started", tenant_id=tenant.tenant_id, bot_id=bot.id, mode=self.mode, token_fingerprint=fingerprint
        )

    def _broadcast_hook(self, bot: Bot, running: RunningBot) -> Callable[[str, Mapping[str, object]], Awaitable[None]]:
        """What the notifier does with a broadcast event: start, wake or halt the sender, and let
        an ended broadcast's progress messages show the end (and the final report), unless another
        process claimed it first."""
        board, tenant_id = self._board, running.tenant.tenant_id

        async def hook(event_type: str, data: Mapping[str, object]) -> None:
            if running.broadcasts is not None:
                running.broadcasts.on_event(event_type, data)
                if event_type in WAKING:
                    running.send_broadcasts()
            await board.on_event(bot, running.hub, tenant_id, event_type, data)

        return hook

    async def _stop_bot(self, tenant_id: str, why: str) -> None:
        running = self._bots.pop(tenant_id)
        # the sender first: it reports what it sent before it ends, so a restart resends nothing
        for task in (running.sender, running.task, running.notifier):
            if task is None:
                continue
            task.cancel()
            try:
                await asyncio.wait_for(task, timeout=STOP_TIMEOUT_SECONDS)
            except (asyncio.CancelledError, TimeoutError):
                pass
            except Exception as error:  # a crashed bot must not take the others down
                log.error("bot task failed", tenant_id=tenant_id, error=redact(repr(error), running.tenant.bot_token))
        await self._exports.stop(running.bot.id)  # before the session closes under its upload
        self._settings.forget(tenant_id)
        if running.bot.session is not self._shared_session:
            await running.bot.session.close()
        log.info("bot stopped", tenant_id=tenant_id, bot_id=running.bot.id, why=why)

    async def stop_all(self) -> None:
        """Stop every bot (at once, not one after another)."""
        await asyncio.gather(*(self._stop_bot(tenant_id, "shutdown") for tenant_id in list(self._bots)))
        await self._exports.stop_all()  # one of a bot that ended before its update was done
        if self._shared_session is not None:
            await self._shared_session.close()  # opened again by the next request, should one come
