"""The service order's screen says how many of today's posts are left (the tenant's day) and lists
the user's posts with their tasks' states (queued, in progress, done, failed), read from the core
for the buyer only; with none left it says when the next day's begin and offers no platform.
Two shops; nobody sees another's posts."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.callbacks import ServiceOrderCallback
from sdk.billinghub.v1 import (
    fulfillment_service_pb2,
    order_service_pb2,
    package_pb2,
    platform_service_pb2,
)
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser
from tests.bots.test_buy import customer, orders_of
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.hub import Hub

POSTS = ("https://t.me/channel/1", "https://t.me/channel/2", "https://t.me/channel/3", "https://t.me/channel/4")


async def bought_service(shop: TenantBot, user_id: str, posts_per_day: int = 4) -> str:
    boost = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(9999, "RUB"), posts_per_day=posts_per_day,
        category="boost", title={"en": "Boost", "ru": "Буст"},
    )  # fmt: skip
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(user_id=user_id, package_id=boost.id, pay_asset="RUB")
    )
    (order,) = await orders_of(shop, user_id)
    return order.id


async def send_post(shop: TenantBot, user: TgUser, order_id: str, url: str) -> None:
    """The user sends a post through the bot: the order's button, Telegram, the link."""
    (platforms, _) = await shop.press(user, ServiceOrderCallback(order_id=order_id).pack())
    await shop.press(user, platforms.button("Telegram"))
    (accepted,) = await shop.send(user, url)
    assert accepted.text.startswith("The post is accepted") or accepted.text.startswith("Пост принят"), accepted.text


async def more_posts(shop: TenantBot, order_id: str, urls: tuple[str, ...]) -> None:
    """Posts sent by other means (a website of the same tenant): the bot shows them all the same."""
    for url in urls:
        await shop.tenant.admin.orders.SubmitServiceInput(
            order_service_pb2.SubmitServiceInputRequest(order_id=order_id, url=url, platform="telegram")
        )


async def test_the_order_screen_shows_each_posts_task_state(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await ensure_rub(shop.tenant)
    await ensure_rub(other.tenant)
    ann, ann_id = await customer(shop, "en", rub=9999)
    ivan, ivan_id = await customer(other, "ru", rub=9999)
    order = await bought_service(shop, ann_id)
    ivan_order = await bought_service(other, ivan_id)
    await send_post(shop, ann, order, POSTS[0])
    await more_posts(shop, order, POSTS[1:])
    await send_post(other, ivan, ivan_order, "https://t.me/ivan/9")
    (fresh, _) = await shop.press(ann, ServiceOrderCallback(order_id=order).pack())

    fulfillment = shop.tenant.admin.fulfillment
    leased = await fulfillment.LeaseTasks(
        fulfillment_service_pb2.LeaseTasksRequest(kind=package_pb2.PACKAGE_KIND_SERVICE, max_tasks=3)
    )
    done, failed, working = leased.tasks
    await fulfillment.CompleteTask(fulfillment_service_pb2.CompleteTaskRequest(task_id=done.id, result="{}"))
    await fulfillment.FailTask(fulfillment_service_pb2.FailTaskRequest(task_id=failed.id, reason="post deleted"))
    (screen, _) = await shop.press(ann, ServiceOrderCallback(order_id=order).pack())
    (ivan_screen, _) = await other.press(ivan, ServiceOrderCallback(order_id=ivan_order).pack())
    (forged, _) = await other.press(ivan, ServiceOrderCallback(order_id=order).pack())

    header = f"Today: 0 of 4 posts left.\n{await next_posts_line(shop, order)}\n\nYour posts:\n"
    newest_first = list(reversed(POSTS))
    assert fresh.text == header + "\n".join(f"• {url} — waiting in the queue" for url in newest_first)
    state = {
        json.loads(done.payload)["url"]: "done",
        json.loads(failed.payload)["url"]: "failed",
        json.loads(working.payload)["url"]: "in progress",
    }
    assert screen.text == header + "\n".join(
        f"• {url} — {state.get(url, 'waiting in the queue')}" for url in newest_first
    )
    assert (
        ivan_screen.text
        == "Сегодня осталось 3 из 4 постов.\nГде опубликован пост?\n\nВаши посты:\n• https://t.me/ivan/9 — ждёт в очереди"
    )
    assert forged.text == "Эта услуга не активна."
    assert "t.me/channel" not in ivan_screen.text


async def next_posts_line(
    shop: TenantBot, order_id: str, template: str = "New posts can be sent from {time} ({zone})."
) -> str:
    """The line of a used-up screen: the quota's reset (the core's) at the tenant's local time."""
    quota = (
        await shop.tenant.admin.orders.GetServiceQuota(order_service_pb2.GetServiceQuotaRequest(order_id=order_id))
    ).quota
    local = quota.reset_time.ToDatetime(dt.UTC).astimezone(zoneinfo.ZoneInfo(quota.time_zone))
    assert (local.hour, local.minute) == (0, 0)
    return template.format(time=local.strftime("%Y-%m-%d %H:%M"), zone=quota.time_zone)


async def test_the_screen_counts_todays_posts_down_and_offers_none_past_the_quota(tenant_bot: NewBot, hub: Hub) -> None:
    shop = await tenant_bot("Shop A")
    moscow = await tenant_bot("Shop M", default_locale="ru")
    await hub.platform.platform.UpdateTenant(
        platform_service_pb2.UpdateTenantRequest(
            tenant_id=moscow.tenant.id, time_zone="Europe/Moscow", update_mask=FieldMask(paths=["time_zone"])
        )
    )
    await ensure_rub(shop.tenant)
    await ensure_rub(moscow.tenant)
    ann, ann_id = await customer(shop, "en", rub=9999)
    ivan, ivan_id = await customer(moscow, "ru", rub=9999)
    order = await bought_service(shop, ann_id, posts_per_day=2)
    ivan_order = await bought_service(moscow, ivan_id, posts_per_day=1)

    (fresh, _) = await shop.press(ann, ServiceOrderCallback(order_id=order).pack())
    await send_post(shop, ann, order, POSTS[0])
    (one_sent, _) = await shop.press(ann, ServiceOrderCallback(order_id=order).pack())
    await send_post(shop, ann, order, POSTS[1])
    (used_up, _) = await shop.press(ann, ServiceOrderCallback(order_id=order).pack())
    (ivan_fresh, _) = await moscow.press(ivan, ServiceOrderCallback(order_id=ivan_order).pack())
    await send_post(moscow, ivan, ivan_order, "https://t.me/ivan/1")
    (ivan_used_up, _) = await moscow.press(ivan, ServiceOrderCallback(order_id=ivan_order).pack())

    assert fresh.text == "Today: 2 of 2 posts left.\nWhere is the post?"
    assert (
        one_sent.text
        == f"Today: 1 of 2 posts left.\nWhere is the post?\n\nYour posts:\n• {POSTS[0]} — waiting in the queue"
    )
    assert "Telegram" in [label for label, _ in one_sent.buttons()]
    assert used_up.text == "\n".join(
        [
            "Today: 0 of 2 posts left.",
            await next_posts_line(shop, order),
            "",
            "Your posts:",
            *(f"• {url} — waiting in the queue" for url in (POSTS[1], POSTS[0])),
        ]
    )
    assert [label for label, _ in used_up.buttons()] == ["⬅️ Back"]  # no platform to send a third post to
    assert ivan_fresh.text == "Сегодня осталось 1 из 1 поста.\nГде опубликован пост?"
    ivan_reset = await next_posts_line(moscow, ivan_order, "Новые посты можно отправлять с {time} ({zone}).")
    assert ivan_reset.endswith("00:00 (Europe/Moscow).")
    assert ivan_used_up.text == (
        f"Сегодня осталось 0 из 1 поста.\n{ivan_reset}\n\nВаши посты:\n• https://t.me/ivan/1 — ждёт в очереди"
    )
    assert not [label for label, _ in ivan_used_up.buttons() if label in ("Telegram", "Instagram")]
