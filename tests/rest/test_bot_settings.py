"""`/api/v1/bot-settings` and `/api/v1/bot-texts` through the gateway into the real core: a tenant
admin edits the bot from a website; a partner key cannot; another tenant sees nothing."""

from __future__ import annotations

from tests.rest.site import Site

ADMINS = [{"telegram_id": "501", "name": "Ann", "permissions": ["adjust", "stats"]}]


async def test_an_admin_reads_and_patches_the_bot_settings(site: Site) -> None:
    admin = site.tenant.admin_key
    first = await site.get("/bot-settings", key=admin)
    assert first.status == 200, first.body
    assert first.body["mode"] == "polling" and first.body["admins"] == [] and first.body["webhook_secret"] == ""
    patched = await site.patch(
        "/bot-settings",
        {"admins": ADMINS, "welcome_text": "Hi!", "mode": "webhook", "alert_chat_id": "-100123"},
        key=admin,
    )
    assert patched.status == 200, patched.body
    assert patched.body["admins"] == [{"telegram_id": "501", "name": "Ann", "permissions": ["stats", "adjust"]}]
    assert (patched.body["welcome_text"], patched.body["mode"], patched.body["alert_chat_id"]) == (
        "Hi!",
        "webhook",
        "-100123",
    )
    assert patched.body["webhook_secret"] == ""
    again = await site.get("/bot-settings", key=admin)
    assert again.body == patched.body


async def test_bad_settings_are_400_and_change_nothing(site: Site) -> None:
    admin = site.tenant.admin_key
    bad = await site.patch("/bot-settings", {"admins": [{"telegram_id": "0"}], "default_locale": "de"}, key=admin)
    assert bad.status == 400, bad.body
    fields = {v["field"] for v in bad.error["details"]["field_violations"]}
    assert fields == {"admins[0].telegram_id", "default_locale"}, fields  # as the caller wrote them
    typo = await site.patch("/bot-settings", {"welcom_text": "x"}, key=admin)
    assert typo.status == 400
    assert (await site.get("/bot-settings", key=admin)).body["admins"] == []


async def test_texts_are_put_listed_and_deleted(site: Site) -> None:
    admin = site.tenant.admin_key
    put = await site.put("/bot-texts/ru/menu.balance", {"text": "Баланс"}, key=admin)
    assert put.status == 200, put.body
    assert (put.body["key"], put.body["locale"], put.body["text"]) == ("menu.balance", "ru", "Баланс")
    listed = await site.get("/bot-texts", key=admin, query={"locale": "ru"})
    assert listed.status == 200 and [o["text"] for o in listed.body["text_overrides"]] == ["Баланс"]
    gone = await site.call("DELETE", "/bot-texts/ru/menu.balance", key=admin)
    assert gone.status == 200, gone.body
    missing = await site.call("DELETE", "/bot-texts/ru/menu.balance", key=admin)
    assert missing.status == 404 and missing.error["code"] == "TEXT_OVERRIDE_NOT_FOUND"
    bad = await site.put("/bot-texts/de/menu.balance", {"text": "x"}, key=admin)
    assert bad.status == 400


async def test_partners_and_other_tenants_change_nothing(site: Site) -> None:
    admin = site.tenant.admin_key
    await site.patch("/bot-settings", {"support_text": "ours"}, key=admin)
    assert (await site.get("/bot-settings")).status == 403  # a partner key
    assert (await site.patch("/bot-settings", {"support_text": "hijack"})).status == 403
    assert (await site.put("/bot-texts/en/menu.buy", {"text": "hijack"})).status == 403
    other = await site.partner_of_another_tenant()
    theirs = await other.get("/bot-settings", key=other.tenant.admin_key)
    assert theirs.status == 200 and theirs.body["support_text"] == ""
    assert (await site.get("/bot-settings", key=admin)).body["support_text"] == "ours"
    assert (await site.get("/bot-texts", key=admin)).body["text_overrides"] == []
