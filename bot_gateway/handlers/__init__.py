"""Every handler of a tenant bot, assembled into one root `router` in the order they match.

Each feature module declares its own module-level `router` (aiogram's multi-file layout). A
router can have one parent only, so a process builds one dispatcher (`dispatcher.build_dispatcher`)
and serves every tenant's bot with it: what differs per bot arrives with each update.
"""

from __future__ import annotations

from aiogram import Router

from bot_gateway.handlers import admin, errors
from bot_gateway.handlers.user import (
    balance,
    buy,
    fallback,
    history,
    info,
    language,
    menu,
    payments,
    pricing,
    promo,
    provider_pay,
    recipient,
    referral_payouts,
    referrals,
    services,
    stars,
    start,
    subscription,
    topup,
)

router = Router(name="root")
router.include_routers(
    admin.router,
    start.router,
    menu.router,
    balance.router,
    buy.router,
    history.router,
    referrals.router,
    promo.router,
    language.router,
    info.router,
    stars.router,
    topup.router,
    payments.router,
    provider_pay.router,
    recipient.router,
    subscription.router,
    referral_payouts.router,
    services.router,
    pricing.router,
    fallback.router,
    errors.router,
)
