"""A Telegram user starts a tenant's bot from a referral link and gets their own link back.

The bot gateway runs for real (BotRunner, aiogram, the SDK) against a fake Bot API server and a
fake core; the test only queues what Telegram would deliver and reads what the bot sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog

from bot_gateway.runner import BotRunner
from sdk.billinghub.v1 import common_pb2, gateway_service_pb2
from sdk.client import BillingHubClient
from tests.bots.harness import shared_dispatcher
from tests.gateways.fakes import BOT_USERNAME, GATEWAY_KEY, FakeCore, FakeTelegram

TOKEN = "123456:TEST-token-for-the-fake-api"
OTHER_TOKEN = "654321:ANOTHER-test-token"


def start_update(text: str, *, update_id: int = 1, user_id: int = 777, language: str = "ru") -> dict[str, Any]:
    """The update Telegram sends when a user types `text` (a /start command) to the bot."""
    user = {
        "id": user_id,
        "is_bot": False,
        "first_name": "Ann",
        "last_name": "Lee",
        "username": "ann",
        "language_code": language,
    }
    command_length = len(text.split()[0])
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Ann"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": command_length}],
        },
    }


@asynccontextmanager
async def running_bots(client: BillingHubClient, telegram: FakeTelegram) -> AsyncIterator[BotRunner]:
    """A BotRunner polling the fake Telegram, stopped (within a bound) on exit."""
    runner = BotRunner(
        client, shared_dispatcher(), poll_tenants_seconds=0.1, polling_timeout=1, telegram_api_url=telegram.url
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `check()` holds, polling; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.05)


async def test_start_with_referral_link_registers_user_and_replies_with_own_link(
    core: FakeCore, telegram: FakeTelegram, gateway_client: BillingHubClient
) -> None:
    core.bot_tenants = [gateway_service_pb2.BotTenant(tenant_id="tenant-a", bot_token=TOKEN, default_locale="en")]
    telegram.queue_update(TOKEN, start_update("/start ref_abc", language="ru"))

    async with running_bots(gateway_client, telegram):
        sent = await telegram.wait_sent(1)

    message = sent[0]
    assert message["token"] == TOKEN
    assert message["chat_id"] == "777"
    assert f"https://t.me/{BOT_USERNAME}?start=ref_own123" in message["text"]
    assert "Добро пожаловать, Ann!" in message["text"]  # the user's language, not the tenant's
    assert "по приглашению" in message["text"]  # the core attributed the referral

    assert len(core.register_calls) == 1
    call = core.register_calls[0]
    assert call.request.referral_code == "abc"
    assert call.request.platform == common_pb2.PLATFORM_TELEGRAM
    assert call.request.external_id == "777"
    assert (call.request.username, call.request.first_name, call.request.last_name) == ("ann", "Ann", "Lee")
    assert call.request.language_code == ""  # the core keeps the language chosen in the bot, not Telegram's
    assert call.metadata["x-tenant-id"] == "tenant-a"
    assert call.metadata["authorization"] == f"Bearer {GATEWAY_KEY}"


async def test_plain_start_greets_in_tenant_locale_when_user_language_is_unsupported(
    core: FakeCore, telegram: FakeTelegram, gateway_client: BillingHubClient
) -> None:
    core.bot_tenants = [gateway_service_pb2.BotTenant(tenant_id="tenant-b", bot_token=TOKEN, default_locale="uk")]
    telegram.queue_update(TOKEN, start_update("/start", language="de"))

    async with running_bots(gateway_client, telegram):
        sent = await telegram.wait_sent(1)

    assert "Ласкаво просимо, Ann!" in sent[0]["text"]
    assert f"https://t.me/{BOT_USERNAME}?start=ref_own123" in sent[0]["text"]
    assert core.register_calls[0].request.referral_code == ""
    assert core.register_calls[0].metadata["x-tenant-id"] == "tenant-b"


async def test_bots_follow_the_tenant_list(
    core: FakeCore, telegram: FakeTelegram, gateway_client: BillingHubClient
) -> None:
    with structlog.testing.capture_logs() as logs:
        async with running_bots(gateway_client, telegram) as runner:
            await eventually(lambda: len(core.list_metadata) >= 1)
            assert runner.running_tenants == set()

            core.bot_tenants = [
                gateway_service_pb2.BotTenant(tenant_id="tenant-a", bot_token=TOKEN, default_locale="en"),
                gateway_service_pb2.BotTenant(tenant_id="tenant-c", bot_token=OTHER_TOKEN, default_locale="ru"),
            ]
            await eventually(lambda: telegram.polls(TOKEN) >= 1 and telegram.polls(OTHER_TOKEN) >= 1)
            assert runner.running_tenants == {"tenant-a", "tenant-c"}

            core.bot_tenants = core.bot_tenants[1:]  # tenant-a lost its bot (suspended, token removed)
            await eventually(lambda: runner.running_tenants == {"tenant-c"})
            polls_after_stop = telegram.polls(TOKEN)
            await eventually(lambda: telegram.polls(OTHER_TOKEN) >= 3)
            assert telegram.polls(TOKEN) == polls_after_stop  # the removed bot no longer polls

            telegram.queue_update(OTHER_TOKEN, start_update("/start", update_id=5, language="ru"))
            sent = await telegram.wait_sent(1)
            assert sent[0]["token"] == OTHER_TOKEN
        assert runner.running_tenants == set()

    events = [entry["event"] for entry in logs]
    assert "waiting for tenants with bot tokens" in events
    assert core.list_metadata[0]["authorization"] == f"Bearer {GATEWAY_KEY}"
    assert all(TOKEN not in str(entry) and OTHER_TOKEN not in str(entry) for entry in logs)  # no token logged
