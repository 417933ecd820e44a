"""Topping up the wallet with Telegram Stars in the bot: "⭐ Stars" on the top-up screen, an amount
(a preset or typed), the invoice, the pre-checkout answer and the payment credited exactly once.
A shop without Stars does not offer them and says so to a button that asks anyway; an amount the
shop's Stars limits refuse opens nothing and another can be typed.
"""

from __future__ import annotations

from bot_gateway.callbacks import MenuCallback, Screen, TopupAssetCallback
from sdk.billinghub.v1 import payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.bots.conftest import NewBot
from tests.bots.harness import TenantBot
from tests.bots.test_buy import customer
from tests.bots.test_topup import payments_of
from tests.money import assert_ledger_ok, balance

TOPUP = MenuCallback(screen=Screen.TOPUP).pack()
STARS_ASSET = TopupAssetCallback(asset="XTR").pack()


async def take_stars(shop: TenantBot, *, low: int = 1, high: int = 1_000_000, enabled: bool = True) -> None:
    """Telegram Stars for `low` to `high` XTR, through the fake Bot API."""
    limit = payment_pb2.PaymentLimit(asset="XTR", min_minor=low, max_minor=high)
    config = payment_pb2.ProviderConfig(
        provider="telegram_stars",
        enabled=enabled,
        title={"en": "Telegram Stars"},
        limits=[limit],
        base_url=shop.api.url,
    )
    await shop.tenant.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config))


async def test_a_stars_top_up_is_invoiced_checked_and_credited_once(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await take_stars(shop)
    await take_stars(other)
    ann, ann_id = await customer(shop, "en")
    ivan, ivan_id = await customer(other, "ru")

    (assets, _) = await shop.press(ann, TOPUP)
    (amounts, _) = await shop.press(ann, assets.button("⭐"))
    (ivan_assets, _) = await other.press(ivan, TOPUP)
    (ivan_amounts, _) = await other.press(ivan, ivan_assets.button("⭐"))
    (invoice, answer) = await shop.press(ann, amounts.button("500 XTR"))
    payload = invoice.params["payload"]
    (ivan_invoice,) = await other.send(ivan, "250")  # a typed amount
    ivan_payload = ivan_invoice.params["payload"]
    (wrong_total,) = await shop.pre_checkout(ann, payload, 499)
    (wrong_shop,) = await other.pre_checkout(ivan, payload, 500)  # shop A's invoice in shop B's bot
    (accepted,) = await shop.pre_checkout(ann, payload, 500)
    (thanks,) = await shop.successful_payment(ann, payload, 500, charge_id="charge-a")
    repeated = await shop.successful_payment(ann, payload, 500, charge_id="charge-a")
    (ivan_accepted,) = await other.pre_checkout(ivan, ivan_payload, 250)
    (ivan_thanks,) = await other.successful_payment(ivan, ivan_payload, 250, charge_id="charge-b")

    assert [label for label, _ in assets.buttons()] == ["TOKEN", "⭐ Stars", "⬅️ Back"]
    assert amounts.text == "How many Telegram Stars do you want to add? Choose an amount or type it, e.g. 250."
    assert [label for label, _ in amounts.buttons()] == ["100 XTR", "500 XTR", "1000 XTR", "5000 XTR", "⬅️ Back"]
    assert [label for label, _ in ivan_assets.buttons()][1] == "⭐ Звёзды"
    assert ivan_amounts.text.startswith("Сколько Telegram Stars добавить?")
    assert invoice.method == "sendinvoice" and answer.method == "answercallbackquery"
    assert invoice.chat_id == ann.id and invoice.params["currency"] == "XTR"
    assert invoice.params["prices"][0]["amount"] == 500 and not invoice.params.get("provider_token")
    assert ivan_invoice.method == "sendinvoice" and ivan_invoice.params["prices"][0]["amount"] == 250
    assert wrong_total.params["ok"] == "false"
    assert wrong_total.params["error_message"] == "The amount does not match the invoice."
    assert wrong_shop.params["ok"] == "false"
    assert accepted.params["ok"] == "true" and ivan_accepted.params["ok"] == "true"
    assert thanks.text == "Payment of 500 XTR received and credited to your balance."
    assert repeated == []  # the same charge again: nothing credited, nothing said
    assert ivan_thanks.text == "Платёж на 250 XTR получен и зачислен на баланс."

    (payment,) = await payments_of(shop, ann_id)
    assert payment.status == payment_pb2.PAYMENT_STATUS_SUCCEEDED and not payment.order_id
    assert payment.provider == "telegram_stars"
    assert (await balance(shop.tenant.admin, ann_id, "XTR")).posted.amount_minor == 500
    assert (await balance(other.tenant.admin, ivan_id, "XTR")).posted.amount_minor == 250
    await assert_ledger_ok(shop.tenant)
    await assert_ledger_ok(other.tenant)


async def test_a_shop_without_stars_does_not_offer_them_and_says_so(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B", default_locale="ru")
    await take_stars(other)  # the other shop takes Stars: this one still does not
    ann, ann_id = await customer(shop, "en")
    ivan, _ = await customer(other, "ru")

    (screen, _) = await shop.press(ann, TOPUP)
    (asked, _) = await shop.press(ann, STARS_ASSET)  # a button of another shop, or of before Stars were off
    (ivan_screen, _) = await other.press(ivan, TOPUP)

    assert screen.text.startswith("How much TOKEN do you want to top up?")  # the one asset left
    assert "XTR" not in str(screen.buttons())
    assert asked.text == "Paying with Telegram Stars is not available in this shop."
    assert "⭐ Звёзды" in [label for label, _ in ivan_screen.buttons()]
    assert await payments_of(shop, ann_id) == []


async def test_a_refused_amount_opens_nothing_and_another_can_be_typed(tenant_bot: NewBot) -> None:
    shop = await tenant_bot("Shop A")
    other = await tenant_bot("Shop B")
    await take_stars(shop, low=50, high=300)
    await take_stars(other)
    ann, ann_id = await customer(shop, "en")
    await shop.press(ann, TOPUP)
    (amounts, _) = await shop.press(ann, STARS_ASSET)

    (too_much, _) = await shop.press(ann, amounts.button("500 XTR"))
    (not_whole,) = await shop.send(ann, "2.5")
    (typed,) = await shop.send(ann, "300")
    refused_after = await payments_of(shop, ann_id)
    await take_stars(shop, enabled=False)  # switched off while a top-up waits
    await shop.press(ann, TOPUP)
    (off_amounts, _) = await shop.press(ann, STARS_ASSET)

    assert too_much.text == "500 XTR can't be paid with Telegram Stars here. Type another amount."
    assert not_whole.text == "That is not an amount of XTR. Type a number like 250."
    assert typed.method == "sendinvoice" and typed.params["prices"][0]["amount"] == 300
    assert [payment.amount.amount_minor for payment in refused_after] == [300]  # nothing opened for 500
    assert off_amounts.text == "Paying with Telegram Stars is not available in this shop."
    assert (await balance(shop.tenant.admin, ann_id, "XTR")).posted.amount_minor == 0
