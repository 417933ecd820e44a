"""The admin export of a tenant bot: transfers, orders or users of a period as a CSV document.

The fake Bot API keeps the uploaded file; the tests read it back as CSV and compare it with what
the core's export RPCs say for the same shop (another shop's rows never appear). Money reads in the
asset's scale, times in ISO 8601 UTC. Typed periods go through the FSM with a clear error for what
does not read; an empty period gets a message, not a file. An admin without EXPORT does not see
the section, a forged press is refused, and the core refuses the export on their behalf too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    ExportDatesCallback,
    ExportKind,
    ExportKindCallback,
    ExportPeriod,
    ExportPeriodCallback,
)
from sdk.billinghub.v1 import bot_settings_service_pb2, order_service_pb2, user_service_pb2, wallet_service_pb2
from sdk.errors import PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user, shared_exports, shared_settings
from tests.bots.telegram import BotRequest
from tests.bots.test_admin_stats import P, buy_tokens, make_admin

EXPORT_DATA = AdminCallback(section=AdminSection.EXPORT).pack()


async def exported(shop: TenantBot, admin: TgUser) -> BotRequest:
    """What the export job sent the admin when it ended (it runs after the handler answered):
    the document, or a message saying why not."""
    await shared_exports().idle()
    made = [r for r in shop.api.of(shop.token) if r.chat_id == admin.id]
    assert made[-1].method in ("senddocument", "sendmessage"), made[-1]
    return made[-1]


def table(document: BotRequest) -> list[dict[str, str]]:
    """The uploaded CSV's rows by column name (UTF-8 with a byte order mark)."""
    raw = document.upload("document")
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def core_orders(shop: TenantBot) -> list[Any]:
    stream = shop.tenant.admin.orders.ExportOrders(order_service_pb2.ExportOrdersRequest())
    return [order async for chunk in stream for order in chunk.orders]


async def core_users(shop: TenantBot) -> list[Any]:
    stream = shop.tenant.admin.users.ExportUsers(user_service_pb2.ExportUsersRequest())
    return [user async for chunk in stream for user in chunk.users]


async def core_transfers(shop: TenantBot) -> list[Any]:
    stream = shop.tenant.admin.wallet.ExportTransfers(wallet_service_pb2.ExportTransfersRequest())
    return [transfer async for chunk in stream for transfer in chunk.transfers]


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def test_the_orders_of_the_last_7_days_arrive_as_a_csv_of_the_cores_orders(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await buy_tokens(shop, 2)
    await buy_tokens(other, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)

    (menu,) = await shop.send(ada, "/admin")
    (kinds, _) = await shop.press(ada, menu.button("Export"))
    (periods, _) = await shop.press(ada, kinds.button("Orders"))
    (preparing, spinner) = await shop.press(ada, periods.button("7 days"))
    document = await exported(shop, ada)

    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "📤 Export", "⬅️ Menu"]
    assert kinds.text == "📤 Export to a CSV file. What should it hold?"
    assert [label for label, _ in kinds.buttons()] == ["Transfers", "Orders", "Users", "⬅️ Admin menu"]
    assert periods.text == "📤 Orders: choose the period. The last 7 and 30 days end now."
    assert [label for label, _ in periods.buttons()] == ["7 days", "30 days", "All time", "📅 Enter dates", "⬅️ Back"]
    assert preparing.method == "editmessagetext" and preparing.buttons() == []
    assert preparing.text == "⏳ Preparing the file: Orders, 7 days. It will come to this chat when it is ready."
    assert spinner.method == "answercallbackquery"
    assert document.method == "senddocument" and document.chat_id == ada.id
    week_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).date().isoformat()
    assert document.upload_name("document") == f"orders_{week_ago}_{today()}.csv"
    assert document.params["caption"] == f"Orders, {week_ago} – {today()} (UTC): 2 rows"
    rows = table(document)
    expected = await core_orders(shop)
    assert len(expected) == 2  # the other shop's order is not there
    assert [row["id"] for row in rows] == [order.id for order in expected]
    for row, order in zip(rows, expected, strict=True):
        assert row["create_time"] == order.create_time.ToJsonString()
        assert row["create_time"].endswith("Z")
        assert dt.datetime.fromisoformat(row["create_time"]) == order.create_time.ToDatetime(dt.UTC)
        assert row["paid_time"] == order.paid_time.ToJsonString()
        assert (row["user_id"], row["package_id"], row["status"]) == (order.user_id, order.package_id, "fulfilled")
        assert (row["asset"], row["subtotal"], row["discount"], row["total"], row["refunded"]) == (
            "RUB", "199.00", "0.00", "199.00", "0.00",
        )  # fmt: skip
        assert (row["package_kind"], row["quantity"], row["paid_via"]) == ("token_pack", "1", "wallet")


async def test_all_users_and_transfers_export_with_typed_text_defused(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    sly = new_user('=HYPERLINK("http://x")')
    await shop.send(sly, "/start")
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)

    await shop.press(ada, ExportPeriodCallback(kind=ExportKind.USERS, period=ExportPeriod.ALL).pack())
    users_file = await exported(shop, ada)
    await shop.press(ada, ExportPeriodCallback(kind=ExportKind.TRANSFERS, period=ExportPeriod.MONTH).pack())
    transfers_file = await exported(shop, ada)

    assert users_file.upload_name("document") == f"users_all_{today()}.csv"
    users = await core_users(shop)
    assert users_file.params["caption"] == f"Users, all time: {len(users)} rows"
    user_rows = table(users_file)
    assert [row["id"] for row in user_rows] == [user.id for user in users]
    assert [row["external_id"] for row in user_rows] == [user.external_id for user in users]
    assert str(sly.id) in [row["external_id"] for row in user_rows]
    by_id = {row["external_id"]: row for row in user_rows}
    assert by_id[str(sly.id)]["first_name"] == '\'=HYPERLINK("http://x")'  # shown as text, never run
    assert by_id[str(ada.id)]["username"] == ada.username
    assert by_id[str(ada.id)]["platform"] == "telegram" and by_id[str(ada.id)]["blocked"] == "false"
    transfers = await core_transfers(shop)
    transfer_rows = table(transfers_file)
    assert [row["id"] for row in transfer_rows] == [t.id for t in transfers]
    assert {row["kind"] for row in transfer_rows} == {"adjustment", "order_payment", "delivery"}
    funding = transfer_rows[0]
    assert (funding["kind"], funding["asset"], funding["amount"]) == ("adjustment", "RUB", "199.00")
    assert funding["credit_user_id"] == transfers[0].credit.user_id
    delivery = next(row for row in transfer_rows if row["kind"] == "delivery")
    assert (delivery["asset"], delivery["amount"]) == ("TOKEN", "100")  # scale 0


async def test_typed_days_go_through_the_fsm_with_clear_errors(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    bea = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)  # (ada's ten updates are the anti-flood burst)

    (prompt, _) = await shop.press(ada, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    (garbage,) = await shop.send(ada, "last week")
    (no_such_day,) = await shop.send(ada, "2026-02-30..2026-03-01")
    (reversed_days,) = await shop.send(ada, "2026-11-28..2026-11-01")
    (too_early,) = await shop.send(ada, "1969-12-31..1970-01-02")
    (preparing,) = await shop.send(ada, "2001-01-01..2001-01-31")
    empty = await exported(shop, ada)
    await shop.press(ada, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    await shop.send(ada, f" {today()}..{today()} ")
    document = await exported(shop, ada)
    (after,) = await shop.send(ada, f"{today()}..{today()}")  # the state ended with the file
    await shop.press(bea, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    await shop.send(bea, today())  # one day alone
    one_day = await exported(shop, bea)

    assert prompt.text.startswith("Send the period as YYYY-MM-DD..YYYY-MM-DD, for example ")
    assert prompt.text.endswith(". Both days are included; days are in UTC.")
    assert [label for label, _ in prompt.buttons()] == ["⬅️ Back"]
    assert prompt.button("Back") == ExportKindCallback(kind=ExportKind.ORDERS).pack()
    format_error = "That is not a period. Send it as YYYY-MM-DD..YYYY-MM-DD, for example 2026-11-01..2026-11-28."
    assert garbage.text == format_error and no_such_day.text == format_error
    assert reversed_days.text == "The first day of the period comes after the last one. Send the period again."
    assert too_early.text == "The days must be from 1970-01-01 to 8999-12-30. Send the period again."
    assert preparing.text == (
        "⏳ Preparing the file: Orders, 2001-01-01 – 2001-01-31. It will come to this chat when it is ready."
    )
    assert empty.method == "sendmessage" and empty.text == "No orders in this period."
    assert "7 days" in [label for label, _ in empty.buttons()]
    assert document.method == "senddocument"
    assert document.upload_name("document") == f"orders_{today()}_{today()}.csv"
    assert [row["id"] for row in table(document)] == [order.id for order in await core_orders(shop)]
    assert after.method == "sendmessage" and after.text == "Main menu. Choose what to do:"
    assert one_day.method == "senddocument" and one_day.upload("document") == document.upload("document")


async def test_only_admins_with_export_may_export(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)  # an exporter of shop A only
    vic = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # an admin without EXPORT
    ann = new_user()
    await shop.send(ann, "/start")

    (vic_menu,) = await shop.send(vic, "/admin")
    presses = [
        await shop.press(vic, data)
        for data in (
            EXPORT_DATA,
            ExportKindCallback(kind=ExportKind.USERS).pack(),
            ExportDatesCallback(kind=ExportKind.ORDERS).pack(),
            ExportPeriodCallback(kind=ExportKind.ORDERS, period=ExportPeriod.ALL).pack(),
        )
    ]
    ann_press = await shop.press(ann, ExportPeriodCallback(kind=ExportKind.USERS, period=ExportPeriod.ALL).pack())
    stranger = await other.press(ada, ExportPeriodCallback(kind=ExportKind.USERS, period=ExportPeriod.ALL).pack())

    assert [label for label, _ in vic_menu.buttons()] == ["📊 Stats", "🩺 Health", "⬅️ Menu"]
    for press in presses:
        assert [request.method for request in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
    assert all(request.method != "senddocument" for request in ann_press + stranger)
    # the core refuses every export on behalf of someone without EXPORT, whatever a bot would do
    for who in (vic, ann):
        staff = shop.hub.on_behalf_of(who.id)
        for stream in (
            staff.orders.ExportOrders(order_service_pb2.ExportOrdersRequest()),
            staff.users.ExportUsers(user_service_pb2.ExportUsersRequest()),
            staff.wallet.ExportTransfers(wallet_service_pb2.ExportTransfersRequest()),
        ):
            with pytest.raises(PermissionDenied):
                async for _ in stream:
                    pass


async def test_typed_days_are_refused_once_the_permission_is_gone(tenant_bot: NewBot) -> None:
    """The FSM state outlives a permission taken away between the prompt and the typed days."""
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT)
    await shop.press(ada, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    demoted = [P.BotAdmin(telegram_id=ada.id, permissions=[P.ADMIN_PERMISSION_STATS])]
    await shop.tenant.admin.bot_settings.UpdateBotSettings(
        bot_settings_service_pb2.UpdateBotSettingsRequest(
            bot_settings=P.BotSettings(admins=demoted), update_mask=field_mask_pb2.FieldMask(paths=["admins"])
        )
    )
    await shared_settings().load(shop.hub, shop.tenant.id)

    await shop.send(ada, f"{today()}..{today()}")
    refused = await exported(shop, ada)

    assert refused.method == "sendmessage" and refused.text == "You do not have permission for this."


@pytest.mark.parametrize(
    ("language", "menu_label", "kinds_text", "caption"),
    [
        ("ru", "📤 Выгрузка", "📤 Выгрузка в CSV-файл. Что выгрузить?", "Пользователи, за всё время: 2 строки"),
        ("uk", "📤 Вивантаження", "📤 Вивантаження у CSV-файл. Що вивантажити?", "Користувачі, за весь час: 2 рядки"),
    ],
)
async def test_the_export_speaks_the_admins_language(
    tenant_bot: NewBot, language: str, menu_label: str, kinds_text: str, caption: str
) -> None:
    shop = await tenant_bot("Shop A", default_locale=language)
    await shop.send(new_user(language_code=language), "/start")
    admin = await make_admin(shop, P.ADMIN_PERMISSION_EXPORT, language=language)

    (menu,) = await shop.send(admin, "/admin")
    (kinds, _) = await shop.press(admin, menu.button(menu_label))
    (preparing, _spinner) = await shop.press(
        admin, ExportPeriodCallback(kind=ExportKind.USERS, period=ExportPeriod.ALL).pack()
    )
    document = await exported(shop, admin)
    (prompt, _) = await shop.press(admin, ExportDatesCallback(kind=ExportKind.ORDERS).pack())
    (wrong,) = await shop.send(admin, "вчера")

    assert kinds.text == kinds_text
    assert document.params["caption"] == caption
    assert preparing.text.startswith("⏳ ") and "Preparing" not in preparing.text
    assert "2026-11-01..2026-11-28" in wrong.text and wrong.text != prompt.text
    assert prompt.text.split()[0] in {"Отправьте", "Надішліть"}
