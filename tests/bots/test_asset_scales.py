"""Asset scales are kept per tenant for a minute (`formatting.SCALES`), so a screen that shows
money makes one core call; a screen naming an asset the copy does not know reads them again."""

from __future__ import annotations

from bot_gateway.callbacks import MenuCallback, Screen
from bot_gateway.formatting import ScaleCache
from tests.bots.conftest import NewBot
from tests.bots.harness import new_user
from tests.commerce.catalog import ensure_rub
from tests.money import fund


async def test_an_asset_added_after_the_scales_were_kept_shows_with_its_scale(tenant_bot: NewBot) -> None:
    shop_a, shop_b = await tenant_bot("Shop A"), await tenant_bot("Shop B")
    ann, bob = new_user("Ann"), new_user("Bob")
    for shop, user in ((shop_a, ann), (shop_b, bob)):
        await shop.send(user, "/start")
    (first, _) = await shop_a.press(ann, MenuCallback(screen=Screen.BALANCE).pack())
    (bob_first, _) = await shop_b.press(bob, MenuCallback(screen=Screen.BALANCE).pack())

    await ensure_rub(shop_a.tenant)  # scale 2, created after shop A's scales were kept
    await fund(shop_a.tenant, (await shop_a.core_user(ann)).id, 19900, "RUB")
    (second, _) = await shop_a.press(ann, MenuCallback(screen=Screen.BALANCE).pack())
    (bob_second, _) = await shop_b.press(bob, MenuCallback(screen=Screen.BALANCE).pack())

    assert first.text.splitlines() == ["Your balance:", "• 0 TOKEN", "• 0 XTR"]
    assert second.text.splitlines() == ["Your balance:", "• 199.00 RUB", "• 0 TOKEN", "• 0 XTR"]
    assert bob_first.text == bob_second.text == first.text  # the other tenant has no RUB


def test_kept_scales_expire_and_are_kept_per_tenant() -> None:
    now = [100.0]
    cache = ScaleCache(ttl_seconds=60, clock=lambda: now[0])
    cache.put("tenant-a", {"RUB": 2})

    assert cache.get("tenant-a") == {"RUB": 2}
    assert cache.get("tenant-a", ["RUB"]) == {"RUB": 2}
    assert cache.get("tenant-a", ["USD"]) is None  # an asset it does not know: read again
    assert cache.get("tenant-b") is None
    now[0] += 61
    assert cache.get("tenant-a") is None
