"""What protects the core and the users: anti-flood per user per bot, a stricter limit on paying,
the admin filter (nobody is an admin until bot settings say so), and a translated apology when the
core refuses or fails, never a stack trace."""

from __future__ import annotations

from aiogram.types import Message, Update
from google.protobuf import field_mask_pb2

from bot_gateway.callbacks import AdminCallback, PayCallback
from bot_gateway.handlers.admin import IsTenantAdmin
from bot_gateway.middlewares.throttling import Limit, RateLimiter
from sdk.billinghub.v1 import bot_settings_pb2, bot_settings_service_pb2, order_service_pb2, platform_service_pb2
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, new_user, shared_settings
from tests.bots.test_buy import customer, token_shop
from tests.hub import Hub


def test_a_bucket_admits_its_burst_then_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limit = Limit(burst=3, rate=0.5)

    admitted = [limiter.allow(("bot", 1), limit) for _ in range(5)]
    other_user = limiter.allow(("bot", 2), limit)
    now[0] = 2.0  # one token back after 2 s at 0.5/s
    later = [limiter.allow(("bot", 1), limit) for _ in range(2)]

    assert admitted == [True, True, True, False, False]
    assert other_user is True
    assert later == [True, False]


async def test_a_flooding_user_is_cut_off_in_one_bot_only(tenant_bot: NewBot) -> None:
    shop_a = await tenant_bot("Shop A")
    shop_b = await tenant_bot("Shop B")
    ann = new_user(language_code="en")

    answers_a = [await shop_a.send(ann, "/help") for _ in range(20)]
    answers_b = await shop_b.send(ann, "/help")

    answered = sum(1 for answer in answers_a if answer)
    assert 10 <= answered <= 15  # a burst of 10, then 2 a second while the flood lasts
    assert answers_b and answers_b[0].text.startswith("Commands:")  # the other bot still answers


async def test_paying_has_a_stricter_limit_than_browsing(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    pack = await token_shop(shop)
    ann, ann_id = await customer(shop, "en", rub=19900 * 5)
    pay = PayCallback(package_id=pack.id, asset="RUB").pack()

    presses = [await shop.press(ann, pay) for _ in range(4)]

    assert [request.method for request in presses[3]] == ["answercallbackquery"]
    assert presses[3][0].params["text"] == "Too many requests. Please wait a moment."
    orders = await shop.tenant.admin.orders.ListOrders(order_service_pb2.ListOrdersRequest(user_id=ann_id))
    assert len(orders.orders) == 3


async def test_nobody_is_an_admin_until_bot_settings_name_them(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    ann = new_user()
    update = Update.model_validate(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": ann.id, "type": "private"},
                "from": ann.as_json(),
                "text": "/admin",
            },
        }
    )
    message = update.message
    assert isinstance(message, Message)

    async def is_admin(bot: TenantBot) -> bool:
        settings = await shared_settings().load(bot.hub, bot.tenant.id)
        return await IsTenantAdmin()(message, bot_settings=settings, event_from_user=message.from_user)

    before = await is_admin(shop)
    await shop.tenant.admin.bot_settings.UpdateBotSettings(
        bot_settings_service_pb2.UpdateBotSettingsRequest(
            bot_settings=bot_settings_pb2.BotSettings(admins=[bot_settings_pb2.BotAdmin(telegram_id=ann.id)]),
            update_mask=field_mask_pb2.FieldMask(paths=["admins"]),
        )
    )

    assert before is False
    assert await is_admin(shop) is True
    assert await is_admin(other) is False  # an admin of one shop is nobody in another


async def test_a_suspended_tenants_bot_apologizes_in_the_users_language(hub: Hub, tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await hub.platform.platform.SuspendTenant(
        platform_service_pb2.SuspendTenantRequest(tenant_id=shop.tenant.id, reason="unpaid")
    )
    ivan, bob = new_user(language_code="ru"), new_user(language_code="en")

    (apology,) = await shop.send(ivan, "/start")
    (greeting,) = await other.send(bob, "/start")

    assert apology.method == "sendmessage" and apology.text == "Что-то пошло не так. Попробуйте позже."
    assert greeting.text.startswith("Welcome, Ann!")


async def test_a_press_no_screen_takes_stops_its_spinner_with_a_word(tenant_bot: NewBot) -> None:
    """A button from an old message, forged data, or an admin button pressed by someone who is not
    an admin: Telegram shows a spinner until the press is answered, so it is answered (and nothing
    else happens)."""
    shop = await tenant_bot("Spinners")
    ann = new_user(language_code="en")
    await shop.send(ann, "/start")
    for data in ("nonsense:1", AdminCallback(section="stats").pack(), "m:no-such-screen"):
        answers = await shop.press(ann, data)
        assert [request.method for request in answers] == ["answercallbackquery"], (data, answers)
        assert "no longer" in answers[0].params["text"], answers[0].params
