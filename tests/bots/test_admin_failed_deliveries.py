"""The admin's failed deliveries with their Retry button: a failed service post is queued again
(RetryTask on the admin's behalf), a second admin pressing the same button on their stale screen
reads that it was already retried, and a Stars order refunded when its task failed has no Retry
button (a tap from an older screen is refused).
The texts speak the admin's language."""

from __future__ import annotations

import json

import pytest

from bot_gateway.callbacks import AdminCallback, AdminSection, FailedTasksCallback, RetryTaskCallback
from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import audit_service_pb2, bot_settings_pb2, fulfillment_pb2, order_service_pb2, package_pb2
from sdk.billinghub.v1 import fulfillment_service_pb2 as fpb
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot
from tests.bots.test_admin_stats import make_admin
from tests.bots.test_buy import customer
from tests.bots.test_service_tasks import bought_service
from tests.commerce.catalog import ensure_rub, stars_per_unit
from tests.commerce.promos import settled_events
from tests.money import assert_ledger_ok, fund

P = bot_settings_pb2
SERVICE, STARS = package_pb2.PACKAGE_KIND_SERVICE, package_pb2.PACKAGE_KIND_TELEGRAM_STARS
FAILED_DATA = FailedTasksCallback(page=0).pack()


async def failed_for_good(shop: TenantBot, kind: int) -> fulfillment_pb2.Task:
    """The shop's one queued task of `kind`, leased and failed for good by its processor."""
    fulfillment = shop.tenant.admin.fulfillment
    (task,) = (await fulfillment.LeaseTasks(fpb.LeaseTasksRequest(kind=kind, max_tasks=1))).tasks
    failed = await fulfillment.FailTask(fpb.FailTaskRequest(task_id=task.id, reason="post deleted"))
    return failed.task


async def failed_service_post(shop: TenantBot, language: str = "en") -> fulfillment_pb2.Task:
    await ensure_rub(shop.tenant)
    _user, user_id = await customer(shop, language, rub=9999)
    order = await bought_service(shop, user_id)
    await shop.tenant.admin.orders.SubmitServiceInput(
        order_service_pb2.SubmitServiceInputRequest(order_id=order, url="https://t.me/c/1", platform="telegram")
    )
    return await failed_for_good(shop, SERVICE)


async def failed_stars_order(shop: TenantBot) -> fulfillment_pb2.Task:
    """A Stars order whose task failed for good: the core refunded it."""
    _user, user_id = await customer(shop, "en")
    stars = await stars_per_unit(shop.tenant)
    await fund(shop.tenant, user_id, 9000, "RUB")
    await shop.tenant.admin.orders.PurchaseFromWallet(
        order_service_pb2.PurchaseFromWalletRequest(
            user_id=user_id, package_id=stars.id, pay_asset="RUB", recipient="somebody_else", quantity=50
        )
    )
    return await failed_for_good(shop, STARS)


async def test_two_admins_retry_one_failed_post_and_a_refunded_order_offers_no_retry(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    await tenant_bot("Shop B")
    post = await failed_service_post(shop)
    gift = await failed_stars_order(shop)
    ann = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, P.ADMIN_PERMISSION_QUEUES)
    bob = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, P.ADMIN_PERMISSION_QUEUES)
    post_ref, gift_ref = short_id(post.order_id), short_id(gift.order_id)

    (anns_screen, _) = await shop.press(ann, FAILED_DATA)
    (bobs_screen, _) = await shop.press(bob, FAILED_DATA)  # both see the post as failed
    retry = anns_screen.button(f"Retry #{post_ref}")
    (queued, _) = await shop.press(ann, retry, callback_id="ann-tap-1")
    (replayed, _) = await shop.press(ann, retry, callback_id="ann-tap-1")  # Telegram delivers the tap again
    (stale, _) = await shop.press(bob, bobs_screen.button(f"Retry #{post_ref}"))
    (refunded, _) = await shop.press(bob, RetryTaskCallback(task_id=gift.id).pack())  # a tap from an older screen
    (after, _) = await shop.press(ann, queued.button("Failed deliveries"))

    assert anns_screen.text.endswith(
        "Retry queues a delivery again. An order refunded when its delivery failed (Stars and Premium are) "
        "has no Retry: it would be delivered unpaid."
    )
    assert f"Order #{gift_ref}" in str(anns_screen.buttons())  # listed, with its order
    assert f"Retry #{gift_ref}" not in str(anns_screen.buttons()) + str(bobs_screen.buttons())
    assert queued.text == replayed.text == f"🔁 The delivery of order #{post_ref} is queued again."
    assert stale.text == "This delivery is no longer failed: another admin has already retried it."
    assert refunded.text == (
        "This delivery cannot be retried: its order was refunded, so it would be delivered unpaid."
    )
    assert f"Retry #{post_ref}" not in str(after.buttons()) and f"Order #{gift_ref}" in str(after.buttons())
    core = await shop.tenant.admin.fulfillment.GetTask(fpb.GetTaskRequest(task_id=post.id))
    assert (core.task.status, core.task.attempts, core.task.max_attempts) == (fulfillment_pb2.TASK_STATUS_QUEUED, 1, 6)
    gift_now = await shop.tenant.admin.fulfillment.GetTask(fpb.GetTaskRequest(task_id=gift.id))
    assert gift_now.task.status == fulfillment_pb2.TASK_STATUS_FAILED
    requeued = [json.loads(e.data)["task_id"] for e in await settled_events(shop.tenant, "task.requeued")]
    assert requeued == [post.id]
    audit = await shop.tenant.admin.audit.ListAuditEntries(audit_service_pb2.ListAuditEntriesRequest(target_id=post.id))
    assert [(e.action, e.actor.split(" via ")[0]) for e in audit.audit_entries] == [
        ("task.requeued", f"telegram:{ann.id}")
    ]
    await assert_ledger_ok(shop.tenant)


async def test_an_admin_without_queues_sees_no_failed_deliveries_and_cannot_retry(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    post = await failed_service_post(shop)
    rita = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS)
    quinn = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, P.ADMIN_PERMISSION_QUEUES)
    (screen, _) = await shop.press(quinn, FAILED_DATA)
    retry = screen.button(f"Retry #{short_id(post.order_id)}")

    (orders, _) = await shop.press(rita, AdminCallback(section=AdminSection.ORDERS).pack())
    (refused,) = await shop.press(rita, retry)

    assert all("Failed deliveries" not in label for label, _ in orders.buttons())
    assert refused.params["text"] == "You do not have permission for this."
    core = await shop.tenant.admin.fulfillment.GetTask(fpb.GetTaskRequest(task_id=post.id))
    assert core.task.status == fulfillment_pb2.TASK_STATUS_FAILED


@pytest.mark.parametrize("language", ["ru", "uk"])
async def test_the_retry_speaks_the_admins_language(tenant_bot: NewBot, language: str) -> None:
    shop = await tenant_bot("Shop A", default_locale=language)
    post = await failed_service_post(shop, language)
    ref = short_id(post.order_id)
    admin = await make_admin(shop, P.ADMIN_PERMISSION_REFUNDS, P.ADMIN_PERMISSION_QUEUES, language=language)

    (screen, _) = await shop.press(admin, FAILED_DATA)
    retry = screen.button("🔁")
    (queued, _) = await shop.press(admin, retry)
    (again, _) = await shop.press(admin, retry)

    expected = {
        "ru": (
            "🔁 Повторить",
            f"🔁 Доставка заказа #{ref} снова в очереди.",
            "Эта доставка больше не в числе неудачных: другой админ уже повторил её.",
        ),
        "uk": (
            "🔁 Повторити",
            f"🔁 Доставка замовлення #{ref} знову в черзі.",
            "Ця доставка більше не серед невдалих: інший адмін уже повторив її.",
        ),
    }[language]
    assert any(label.startswith(expected[0]) for label, _ in screen.buttons())
    assert (queued.text, again.text) == expected[1:]
