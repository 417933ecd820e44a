"""The keys a tenant's text overrides name, each standing for one text of the bot's catalogs.

SetTextOverride stores (locale, key, text); the gateway replaces the catalog text the key stands
for with the tenant's text in that locale, wherever the bot shows it through `_()`. The keys are
stable names of what a text is for ("menu.balance"), so a rewording of the English source text
(the gettext message id) does not orphan the tenants' overrides: only this table changes. An
override may use the `{placeholders}` of the text it replaces and no others. The README lists
the keys; a test checks every text here is in the catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping

HELP_TEXT = (
    "Commands:\n/menu — main menu\n/balance — your balance\n/topup — top up your balance\n"
    "/buy — buy a package\n/history — your orders\n/subscription — your subscription\n"
    "/services — promote a post with a service\n/referrals — invite friends\n/promo — redeem a promo code\n"
    "/pricing — prices\n/language — change the language\n/help — this list of commands\n"
    "/terms — terms of service\n/privacy — privacy policy\n/paysupport — help with payments"
)

TEXT_KEYS: Mapping[str, str] = {
    # /start
    "start.welcome": "Welcome, {name}!",
    "start.welcome_back": "Welcome back, {name}!",
    "start.invited": "You joined by an invitation.",
    "start.referral_link": "Invite friends with your personal link:\n{link}",
    # the main menu and its buttons
    "menu.text": "Main menu. Choose what to do:",
    "menu.balance": "💰 Balance",
    "menu.buy": "🛒 Buy",
    "menu.history": "📜 History",
    "menu.referrals": "👥 Referrals",
    "menu.promo": "🎁 Promo code",
    "menu.support": "💬 Support",
    "menu.language": "🌐 Language",
    "menu.back": "⬅️ Menu",
    # screens
    "balance.title": "Your balance:",
    "buy.categories": "Choose a category:",
    "buy.packages": "Choose a package:",
    "buy.empty": "Nothing is on sale right now.",
    "history.empty": "You have no orders yet.",
    "promo.ask": "Send your promo code in a message.",
    "language.ask": "Choose your language:",
    # info texts (the bot settings' texts, when set, come before the bot's own)
    "info.help": HELP_TEXT,
    "info.terms": "By using this bot you accept the seller's terms of service. Ask support for a copy.",
    "info.privacy": "The seller keeps only what the shop needs: your Telegram id, name and orders.",
    "info.paysupport": (
        "Problems with a payment? Write to support with the date and the amount, and we will sort it out."
    ),
    "info.support": "Need help? Write to the seller's support; the answer comes in this chat.",
    # notifications
    "notify.payment_succeeded": "Payment received: {amount}. Thank you!",
    "notify.order_fulfilled": "Your order {order} has been delivered.",
    "notify.order_failed": "Your order {order} could not be completed.",
    "notify.order_refunded": "Your order {order} was refunded: {amount}.",
    "notify.subscription_expiring": "Your subscription {plan} ends on {date}.",
    "notify.subscription_expired": "Your subscription {plan} has ended.",
    "notify.commission": "You earned a referral commission: {amount}.",
    "notify.topup_approved": "Your top-up request for {amount} was approved.",
    "notify.topup_rejected": "Your top-up request for {amount} was rejected. {reason}",
    "notify.payout_paid": "Your payout of {amount} was sent.",
    "notify.payout_rejected": "Your payout request for {amount} was rejected. {reason}",
    # the alert chat's (in the tenant's default locale)
    "alert.paid_order": "New paid order {order}: {amount}.",
}
