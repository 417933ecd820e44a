"""The admin menu of a tenant bot: `/admin` lists the sections an admin's permissions allow, the
stats read the tenant's figures (and a revenue chart) on the admin's behalf, `/health` answers.

Two shops run side by side: an admin of one is nobody in the other, one shop's sales never reach
the other's figures, and an admin without STATS is refused by the bot (the button is hidden, a
forged press is answered with a refusal) and by the core (the call on their behalf is denied).
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
import zoneinfo

import numpy as np
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from matplotlib import image
from sqlalchemy import or_, select, update

from bot_gateway.callbacks import (
    AdminCallback,
    AdminSection,
    PayCallback,
    StatsCallback,
    StatsChartCallback,
    StatsPeriod,
)
from core_server.store.models import AccountRow, OrderRow, TransferRow, UserRow
from sdk.billinghub.v1 import (
    bot_settings_pb2,
    bot_settings_service_pb2,
    report_service_pb2,
    topup_pb2,
    topup_service_pb2,
)
from sdk.errors import PermissionDenied
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser, new_user, shared_settings
from tests.bots.test_buy import customer, token_shop
from tests.commerce.test_fulfillment import _input, _service_order
from tests.hub import Hub
from tests.money import money

P = bot_settings_pb2
STATS_DATA = AdminCallback(section=AdminSection.STATS).pack()
HEALTH_DATA = AdminCallback(section=AdminSection.HEALTH).pack()


LANGUAGES = ("en", "ru", "uk")


async def make_admin(shop: TenantBot, *permissions: bot_settings_pb2.AdminPermission, language: str = "en") -> TgUser:
    """A user the shop's bot settings name as an admin with `permissions` (re-read by the bot now)."""
    admin = new_user("Ada", language_code=language)
    current = await shop.tenant.admin.bot_settings.GetBotSettings(bot_settings_service_pb2.GetBotSettingsRequest())
    admins = [*current.bot_settings.admins, P.BotAdmin(telegram_id=admin.id, permissions=permissions)]
    await shop.tenant.admin.bot_settings.UpdateBotSettings(
        bot_settings_service_pb2.UpdateBotSettingsRequest(
            bot_settings=P.BotSettings(admins=admins), update_mask=field_mask_pb2.FieldMask(paths=["admins"])
        )
    )
    await shared_settings().load(shop.hub, shop.tenant.id)
    return admin


async def buy_tokens(shop: TenantBot, times: int) -> None:
    """`times` customers each pay 199.00 RUB from their wallet for the shop's token pack."""
    pack = await token_shop(shop)
    for _ in range(times):
        user, _user_id = await customer(shop, "en", rub=19900)
        (paid, *_rest) = await shop.press(user, PayCallback(package_id=pack.id, asset="RUB").pack())
        assert "199.00 RUB" in paid.text, paid.text


async def core_stats(shop: TenantBot) -> report_service_pb2.TenantStats:
    response = await shop.tenant.admin.reports.GetTenantStats(report_service_pb2.GetTenantStatsRequest())
    return response.stats


async def test_an_admin_with_stats_sees_their_shops_figures(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await buy_tokens(shop, 2)
    await buy_tokens(other, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_STATS)

    (menu,) = await shop.send(ada, "/admin")
    (week, _) = await shop.press(ada, menu.button("Stats"))
    (month, _) = await shop.press(ada, week.button("30 days"))
    expected = await core_stats(shop)

    assert menu.text == "Admin menu. Choose a section:"
    assert [label for label, _ in menu.buttons()] == ["📊 Stats", "🩺 Health", "⬅️ Menu"]
    assert week.method == "editmessagetext"
    assert week.text.startswith("📊 Stats for the last 7 days\n")
    assert [label for label, _ in week.buttons()] == [
        "Today", "✅ 7 days", "30 days", "📈 Revenue chart", "⬅️ Admin menu",
    ]  # fmt: skip
    assert week.button("Revenue chart") == StatsChartCallback(period=StatsPeriod.WEEK).pack()
    # the numbers are the core's for this shop: two customers and the admin, two paid orders
    assert expected.users_total == 3 and expected.users_new == 3
    assert f"Users: 3 in all, 3 new, {expected.users_active} active" in week.text
    assert "Revenue:\n• 398.00 RUB\n" in week.text  # the other shop's sale is not counted
    statuses = "".join(f"• {status}: {count}\n" for status, count in expected.orders_by_status.items())
    assert sum(expected.orders_by_status.values()) == 2
    assert f"Orders:\n{statuses}" in week.text
    assert "Top packages:\n1. 100 tokens — 2 orders, 398.00 RUB\n" in week.text
    assert "Referral commissions:\n• none\n" in week.text
    assert week.text.endswith("Payouts paid:\n• none")
    assert month.text.startswith("📊 Stats for the last 30 days\n")
    assert "✅ 30 days" in [label for label, _ in month.buttons()]
    assert "Revenue:\n• 398.00 RUB\n" in month.text


async def test_the_stats_speak_the_admins_language(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await buy_tokens(shop, 1)
    ivan = await make_admin(shop, P.ADMIN_PERMISSION_STATS, language="uk")

    (stats,) = await shop.send(ivan, "/stats")

    assert stats.text.startswith("📊 Статистика за останні 7 днів\n")
    assert [label for label, _ in stats.buttons()][:3] == ["Сьогодні", "✅ 7 днів", "30 днів"]
    assert "Виручка:\n• 199.00 RUB\n" in stats.text
    assert "1. 100 tokens — 1 замовлення, 199.00 RUB" in stats.text


async def backdate(hub: Hub, shop: TenantBot, user_id: str, when: dt.datetime) -> None:
    """Move a customer's registration, orders and wallet movements to `when`: the core stamps rows
    with the wall clock, and the stats read those stamps."""
    tenant, user = uuid.UUID(shop.tenant.id), uuid.UUID(user_id)
    async with hub.deps.uow() as uow:
        accounts = select(AccountRow.id).where(AccountRow.tenant_id == tenant, AccountRow.user_id == user)
        touches = or_(TransferRow.debit_account_id.in_(accounts), TransferRow.credit_account_id.in_(accounts))
        await uow.session.execute(
            update(TransferRow).where(TransferRow.tenant_id == tenant, touches).values(created_at=when)
        )
        await uow.session.execute(
            update(OrderRow)
            .where(OrderRow.tenant_id == tenant, OrderRow.user_id == user)
            .values(created_at=when, paid_at=when)
        )
        await uow.session.execute(
            update(UserRow).where(UserRow.tenant_id == tenant, UserRow.id == user).values(created_at=when)
        )
        await uow.commit()


async def test_today_counts_the_tenants_local_day_from_its_midnight(tenant_bot: NewBot, hub: Hub) -> None:
    """Kiritimati is UTC+14: its day begins at 10:00 UTC of the day before. A sale one second before
    the local midnight is yesterday's, one at the midnight is today's; 7 days still count both."""
    zone = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    shop = await tenant_bot("Shop K", time_zone="Pacific/Kiritimati")
    pack = await token_shop(shop)
    buyers = []
    for _ in range(3):
        user, user_id = await customer(shop, "en", rub=19900)
        (paid, *_rest) = await shop.press(user, PayCallback(package_id=pack.id, asset="RUB").pack())
        assert "199.00 RUB" in paid.text, paid.text
        buyers.append(user_id)
    local_today = dt.datetime.now(zone).date()
    midnight = dt.datetime.combine(local_today, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    await backdate(hub, shop, buyers[0], midnight - dt.timedelta(seconds=1))
    await backdate(hub, shop, buyers[1], midnight)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_STATS)

    (week,) = await shop.send(ada, "/stats")
    (today, _) = await shop.press(ada, week.button("Today"))
    chart = await shop.press(ada, today.button("Revenue chart"))
    start = Timestamp()
    start.FromDatetime(midnight)
    series = await shop.tenant.admin.reports.GetRevenueSeries(
        report_service_pb2.GetRevenueSeriesRequest(asset="RUB", start_time=start)
    )

    assert today.text.startswith(f"📊 Stats for today, {local_today.isoformat()} (Pacific/Kiritimati)\n")
    assert [label for label, _ in today.buttons()][:3] == ["✅ Today", "7 days", "30 days"]
    assert "Users: 4 in all, 3 new, " in today.text  # the buyer of yesterday is not new today
    assert "Revenue:\n• 398.00 RUB\n" in today.text
    assert "Top packages:\n1. 100 tokens — 2 orders, 398.00 RUB\n" in today.text
    assert "Revenue:\n• 597.00 RUB\n" in week.text and "— 3 orders, 597.00 RUB" in week.text
    (spinner, photo) = chart
    assert spinner.method == "answercallbackquery"
    assert photo.params["caption"] == f"Revenue today, {local_today.isoformat()} (Pacific/Kiritimati):\n• 398.00 RUB"
    # the core's own day of the tenant agrees: from the local midnight on, one day of 398.00 RUB
    assert [(p.date, p.revenue.amount_minor) for p in series.points] == [(local_today.isoformat(), 39800)]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and its IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def test_the_revenue_chart_is_a_picture_of_the_periods_days(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    quiet = await tenant_bot("Shop B")
    await buy_tokens(shop, 2)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_STATS)
    bob = await make_admin(quiet, P.ADMIN_PERMISSION_STATS)

    chart = await shop.press(ada, StatsChartCallback(period=StatsPeriod.WEEK).pack())
    nothing = await quiet.press(bob, StatsChartCallback(period=StatsPeriod.MONTH).pack())

    (spinner, photo) = chart
    assert spinner.method == "answercallbackquery" and "text" not in spinner.params
    assert photo.method == "sendphoto" and photo.chat_id == ada.id
    assert photo.params["caption"] == "Revenue by day, last 7 days:\n• 398.00 RUB"
    png = photo.upload("photo")
    assert png_size(png) == (1000, 320)  # one panel (one asset): 10 × 3.2 inches at 100 dpi
    pixels = image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (320, 1000)
    rgb = (pixels[..., :3] * 255).round().astype(int).reshape(-1, 3)
    colours = {(int(r), int(g), int(b)) for r, g, b in np.unique(rgb, axis=0)}
    assert len(colours) > 2  # background, bars, axes and text: not a blank image
    assert (0x2F, 0x80, 0xED) in colours  # the bars of the first asset
    assert [request.method for request in nothing] == ["answercallbackquery"]
    assert nothing[0].params["text"] == "No revenue in this period."


async def test_only_admins_with_stats_get_the_figures(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await buy_tokens(shop, 1)
    ada = await make_admin(shop, P.ADMIN_PERMISSION_STATS)  # an admin of shop A only
    quinn = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)  # an admin without STATS
    ann = new_user()
    await shop.send(ann, "/start")
    await other.send(ada, "/start")

    (ann_menu,) = await shop.send(ann, "/admin")
    ann_press = await shop.press(ann, STATS_DATA)
    (stranger,) = await other.send(ada, "/admin")
    (quinn_menu,) = await shop.send(quinn, "/admin")
    quinn_press = await shop.press(quinn, STATS_DATA)
    quinn_period = await shop.press(quinn, StatsCallback(period=StatsPeriod.TODAY).pack())
    (quinn_command,) = await shop.send(quinn, "/stats")

    # a non-admin gets the user side: the main menu for a typed command, nothing for a forged press
    assert ann_menu.text == "Main menu. Choose what to do:"
    assert all("Stats" not in request.text for request in ann_press)
    assert stranger.text == "Main menu. Choose what to do:"  # an admin of one shop is nobody in another
    assert [label for label, _ in quinn_menu.buttons()] == ["🩺 Health", "📥 Queues", "⬅️ Menu"]
    for press in (quinn_press, quinn_period):
        assert [request.method for request in press] == ["answercallbackquery"]
        assert press[0].params["text"] == "You do not have permission for this."
        assert press[0].params["show_alert"] == "true"
    assert quinn_command.text == "You do not have permission for this."
    # and the core refuses the reports on quinn's behalf, whatever a bot would do
    for call in (
        shop.hub.on_behalf_of(quinn.id).reports.GetTenantStats(report_service_pb2.GetTenantStatsRequest()),
        shop.hub.on_behalf_of(quinn.id).reports.GetRevenueSeries(
            report_service_pb2.GetRevenueSeriesRequest(asset="RUB")
        ),
        shop.hub.on_behalf_of(ann.id).reports.GetTenantStats(report_service_pb2.GetTenantStatsRequest()),
    ):
        with pytest.raises(PermissionDenied):
            await call
    allowed = await shop.hub.on_behalf_of(ada.id).reports.GetTenantStats(report_service_pb2.GetTenantStatsRequest())
    assert allowed.stats.tenant_id == shop.tenant.id


async def test_health_says_the_core_answers_and_how_long_the_queues_are(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    await buy_tokens(shop, 1)
    method = topup_pb2.TopupMethod(code="card", title={"en": "Card"}, active=True)
    await shop.tenant.admin.topups.SetTopupMethods(topup_service_pb2.SetTopupMethodsRequest(methods=[method]))
    _payer, payer_id = await customer(shop, "en")
    for amount in (10000, 20000):
        await shop.tenant.admin.topups.CreateTopupRequest(
            topup_service_pb2.CreateTopupRequestRequest(
                user_id=payer_id,
                method_code="card",
                amount=money(amount, "RUB"),
                receipt="https://example.com/receipt.jpg",
            )
        )
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES)
    sam = await make_admin(shop)  # an admin with no permission at all

    (health,) = await shop.send(olga, "/health")
    (menu,) = await shop.send(sam, "/admin")
    (sams, _) = await shop.press(sam, menu.button("Health"))

    lines = health.text.splitlines()
    assert lines[:3] == ["🩺 Health", "", "Core: ✅ reachable"]
    assert "• Top-up requests pending: 2" in lines
    assert "• Payout requests pending: 0" in lines
    assert "• Fulfillment tasks queued: 0" in lines
    assert "Core workers: ✅ nothing waiting" in lines  # the core's own workers have nothing due
    assert any(line.startswith("Notifications waiting: ") for line in lines)  # no notifier runs here
    assert [label for label, _ in health.buttons()] == ["⬅️ Admin menu"]
    assert [label for label, _ in menu.buttons()] == ["🩺 Health", "⬅️ Menu"]
    assert sams.text.startswith("🩺 Health\n\nCore: ✅ reachable")
    assert "Queues:" not in sams.text  # queue sizes are for admins with QUEUES
    assert "Core workers" not in sams.text  # and so is the core workers' lag (GetWorkerLag: QUEUES)


async def test_health_shows_the_core_workers_lag_in_every_language(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    _buyer, order = await _service_order(shop.tenant)
    for n in (1, 2):  # two posts queued as fulfillment tasks, due at once (no processor leases them here)
        await shop.tenant.admin.orders.SubmitServiceInput(_input(order, n))
    readers = {language: await make_admin(shop, P.ADMIN_PERMISSION_QUEUES, language=language) for language in LANGUAGES}

    screens = {language: (await shop.send(reader, "/health"))[0].text for language, reader in readers.items()}

    assert "\n\nCore workers:\n• Fulfillment tasks due: 2 (oldest 0 minutes ago)\n" in screens["en"]
    assert "\n\nФоновые задачи ядра:\n• Задач выполнения к запуску: 2 (самое старое 0 минут назад)\n" in screens["ru"]
    assert "\n\nФонові задачі ядра:\n• Завдань виконання до запуску: 2 (" in screens["uk"]
    for text in screens.values():  # the other queues have nothing due, so they are not listed
        assert text.count("\n• ") == 4  # three queue sizes, one worker queue


async def test_the_admin_screens_speak_russian(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A", default_locale="ru")
    await buy_tokens(shop, 1)
    olga = await make_admin(shop, P.ADMIN_PERMISSION_QUEUES, language="ru")

    (menu,) = await shop.send(olga, "/admin")
    (health, _) = await shop.press(olga, menu.button("Состояние"))
    (refused,) = await shop.press(olga, StatsCallback(period=StatsPeriod.MONTH).pack())

    assert menu.text == "Меню администратора. Выберите раздел:"
    assert [label for label, _ in menu.buttons()] == ["🩺 Состояние", "📥 Очереди", "⬅️ Меню"]
    assert health.text.startswith(
        "🩺 Состояние\n\nЯдро: ✅ доступно\n\nОчереди:\n• Заявок на пополнение ждут решения: 0\n"
    )
    assert "\nУведомлений в ожидании: " in health.text
    assert [label for label, _ in health.buttons()] == ["⬅️ Меню администратора"]
    assert refused.params["text"] == "У вас нет прав на это действие."
