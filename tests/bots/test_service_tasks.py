"""The service order's screen lists the user's posts with their tasks' states (queued, in progress,
done, failed), read from the core for the buyer only. Two shops; nobody sees another's posts."""

from __future__ import annotations

import json

from bot_gateway.callbacks import ServiceOrderCallback
from sdk.billinghub.v1 import (
    fulfillment_service_pb2,
    order_service_pb2,
    package_pb2,
)
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot, TgUser
from tests.bots.test_buy import customer, orders_of
from tests.commerce.catalog import create_package, ensure_rub, price

POSTS = ("https://t.me/channel/1", "https://t.me/channel/2", "https://t.me/channel/3", "https://t.me/channel/4")


async def bought_service(shop: TenantBot, user_id: str) -> str:
    boost = await create_package(
        shop.tenant, kind=package_pb2.PACKAGE_KIND_SERVICE, price=price(9999, "RUB"), posts_per_day=4,
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

    header = "Up to 4 posts a day. Where is the post?\n\nYour posts:\n"
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
        == "До 4 постов в день. Где опубликован пост?\n\nВаши посты:\n• https://t.me/ivan/9 — ждёт в очереди"
    )
    assert forged.text == "Эта услуга не активна."
    assert "t.me/channel" not in ivan_screen.text
