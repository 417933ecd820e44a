"""The admin export runs off the update: the press is answered at once ("preparing the file"), the
file follows from a background job, one at a time per bot and per admin, stopped with the bot.

The fake Bot API holds the document's upload (`held`), so a test sees the job in flight: the
handler's answer is out (in webhook mode, Telegram's request is answered), the upload not yet. A second request meanwhile, by the same admin or
another admin of the same bot, is told the export is already being prepared; the held file then
arrives with the core's rows. A runner stopped while the upload hangs cancels and awaits the job:
no export task is left, and the admin is told the export stopped (not that it failed). A job that
fails tells the admin in plain words, nothing of the error itself.
"""

from __future__ import annotations

import asyncio
import json

from bot_gateway.callbacks import ExportDatesCallback, ExportKind, ExportPeriod, ExportPeriodCallback
from bot_gateway.webhooks import SECRET_HEADER, WebhookBots
from http_gateway.app import create_app
from sdk.billinghub.v1 import bot_settings_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, polling_runner, shared_dispatcher, shared_exports
from tests.bots.telegram import BotRequest, FakeBotApi
from tests.bots.test_admin_export import core_orders, exported, table, today
from tests.bots.test_admin_stats import P, buy_tokens, make_admin
from tests.bots.test_webhook_mode import eventually, press_update, runners, secret_of, set_mode, sync

WEEK_OF_ORDERS = ExportPeriodCallback(kind=ExportKind.ORDERS, period=ExportPeriod.WEEK).pack()
ALL_USERS = ExportPeriodCallback(kind=ExportKind.USERS, period=ExportPeriod.ALL).pack()
ALREADY = "An export is already being prepared. Its file will come here; then ask for the next one."
INTERRUPTED = "⚠️ The export stopped: the bot restarted before the file was ready. Ask for it again."


def uploads(shop: TenantBot) -> list[BotRequest]:
    return [r for r in shop.api.of(shop.token) if r.method == "senddocument"]


async def upload_started(shop: TenantBot) -> None:
    """Wait until the job's upload reached the (holding) fake Bot API."""
    async with asyncio.timeout(10):
        while not uploads(shop):  # noqa: ASYNC110  # polled: the fake server's record
            await asyncio.sleep(0.01)


def export_tasks() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name().startswith("export:")]


async def test_the_press_is_answered_before_the_file_and_a_second_export_waits_its_turn(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 2)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    bea = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    upload = shop.api.held["senddocument"] = asyncio.Event()

    first = await shop.press(ada, WEEK_OF_ORDERS)
    await upload_started(shop)
    again = await shop.press(ada, ALL_USERS)
    (_prompt, _spinner) = await shop.press(bea, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    (other_admin,) = await shop.send(bea, f"{today()}..{today()}")
    upload.set()
    document = await exported(shop, ada)

    assert [r.method for r in first] == ["editmessagetext", "answercallbackquery"]
    assert first[0].text.startswith("⏳ Preparing the file: Orders, 7 days.")
    assert shop.api.requests.index(first[0]) < shop.api.requests.index(document)
    assert [r.method for r in again] == ["answercallbackquery"]
    assert again[0].params["text"] == ALREADY and again[0].params["show_alert"] in ("true", True)
    assert other_admin.method == "sendmessage" and other_admin.text == ALREADY  # one export per bot
    assert uploads(shop) == [document]  # the refused exports never ran
    assert [row["id"] for row in table(document)] == [order.id for order in await core_orders(shop)]
    assert len(table(document)) == 2
    assert not export_tasks()


async def test_a_runner_stopped_during_an_export_cancels_and_awaits_it(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    runner = polling_runner(shop, poll_tenants_seconds=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    upload = shop.api.held["senddocument"] = asyncio.Event()
    try:
        async with asyncio.timeout(10):
            while shop.tenant.id not in runner.running_tenants:  # noqa: ASYNC110  # polled: the runner's bots
                await asyncio.sleep(0.02)
        await shop.press(ada, WEEK_OF_ORDERS)
        await upload_started(shop)
        in_flight = export_tasks()
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        left = export_tasks()
    finally:
        upload.set()
        stop.set()

    assert len(in_flight) == 1
    assert in_flight[0].cancelled()  # cancelled, awaited: nothing left pending for the loop to warn of
    assert left == [] and shared_exports().running == 0
    told = [r.text for r in shop.api.of(shop.token) if r.method == "sendmessage" and r.chat_id == ada.id]
    # not a failure, and not silence either: the admin would wait for a file that never comes
    assert told == [INTERRUPTED]


async def test_a_failed_export_is_told_in_plain_words(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    shop.api.refused.add("senddocument")  # Telegram refuses the upload

    await shop.press(ada, WEEK_OF_ORDERS)
    told = await exported(shop, ada)
    shop.api.refused.discard("senddocument")
    await shop.press(ada, WEEK_OF_ORDERS)  # the failed job freed its turn
    document = await exported(shop, ada)

    assert told.method == "sendmessage"
    assert told.text == "The file could not be prepared. Try again in a few minutes."
    assert "7 days" in [label for label, _ in told.buttons()]  # the admin can try again from there
    assert document.method == "senddocument" and len(table(document)) == 1


async def test_in_webhook_mode_telegrams_request_is_answered_before_the_export_is_done(
    tenant_bot: NewBot, bot_api: FakeBotApi
) -> None:
    shop = await tenant_bot("Hook A")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    await set_mode(shop, bot_settings_pb2.BOT_MODE_WEBHOOK)
    webhooks = WebhookBots(shared_dispatcher())
    client = create_app(shop.hub, webhooks).test_client()
    upload = bot_api.held["senddocument"] = asyncio.Event()
    async with runners([shop], bot_api, webhooks) as made:
        await sync(made)
        await eventually(lambda: len(webhooks) == 1)
        path = f"/telegram/{shop.tenant.id}/{shop.bot.id}"
        update = press_update(ada, shop.bot.id, 31, WEEK_OF_ORDERS)
        response = await asyncio.wait_for(
            client.post(path, data=json.dumps(update), headers={SECRET_HEADER: await secret_of(shop)}), timeout=10
        )
        await upload_started(shop)
        upload.set()
        document = await exported(shop, ada)

    assert response.status_code == 200
    reply = json.loads(await response.get_data())  # the "preparing" screen, made by Telegram from the reply
    assert reply["method"] == "editMessageText" and reply["chat_id"] == ada.id
    assert reply["text"].startswith("⏳")
    assert "press-31" in [
        r.params.get("callback_query_id") for r in bot_api.of(shop.token) if r.method == "answercallbackquery"
    ]
    assert len(table(document)) == 1
