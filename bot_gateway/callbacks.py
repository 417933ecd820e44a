"""Callback data of every inline button, as aiogram `CallbackData` factories (no hand-split strings).

Telegram allows 64 bytes of callback data; ids are UUIDs (36 characters) and categories at most
50, so every factory below fits. Page tokens of the core do not (up to 2048 characters): the
history keeps them in the user's FSM data and its buttons carry page numbers only.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Screen(StrEnum):
    """The screens the main menu opens."""

    MENU = "menu"
    BALANCE = "balance"
    BUY = "buy"
    HISTORY = "history"
    REFERRALS = "referrals"
    PROMO = "promo"
    SUPPORT = "support"
    LANGUAGE = "language"
    TOPUP = "topup"
    SUBSCRIPTION = "subscription"
    SERVICES = "services"


class MenuCallback(CallbackData, prefix="m"):
    """Open one screen of the main menu."""

    screen: Screen


class CategoryCallback(CallbackData, prefix="cat"):
    """Show the packages of a category."""

    category: str


class PackageCallback(CallbackData, prefix="pkg"):
    """Show one package's details and prices."""

    package_id: str


class PayCallback(CallbackData, prefix="pay"):
    """Buy a package from the wallet of one asset."""

    package_id: str
    asset: str


class HistoryCallback(CallbackData, prefix="hist"):
    """Show a page of the order history (0 is the newest)."""

    page: int


class LanguageCallback(CallbackData, prefix="lang"):
    """Switch the user's language."""

    locale: str


class StarsCallback(CallbackData, prefix="stars"):
    """Pay for a package with Telegram Stars (an invoice), not from the wallet."""

    package_id: str


class TopupAssetCallback(CallbackData, prefix="tua"):
    """Top up the wallet of one asset: ask the amount."""

    asset: str


class TopupAmountCallback(CallbackData, prefix="tuv"):
    """A preset amount of the top-up (minor units of the asset chosen before)."""

    amount_minor: int


class TopupProviderCallback(CallbackData, prefix="tup"):
    """Top up the chosen amount through a payment provider."""

    provider: str


class TopupManualCallback(CallbackData, prefix="tum"):
    """Top up the chosen amount by a manual method (pay outside, send the receipt)."""

    method: str


class CheckPaymentCallback(CallbackData, prefix="chk"):
    """Ask the provider about a payment now."""

    payment_id: str


class ProviderPayCallback(CallbackData, prefix="pp"):
    """Pay for a package through a payment provider in one asset."""

    package_id: str
    asset: str
    provider: str


class RecipientCallback(CallbackData, prefix="rcp"):
    """Buy a Stars or Premium package for a @username, paying in one asset."""

    package_id: str
    asset: str


class OrderPayCallback(CallbackData, prefix="opay"):
    """Pay a pending order of the user from the wallet (after its total was shown)."""

    order_id: str


class SubscriptionCancelCallback(CallbackData, prefix="subx"):
    """Switch off the renewal of one subscription."""

    subscription_id: str


class ReferralAction(StrEnum):
    """What the referral screen's buttons open."""

    LEADERBOARD = "top"
    PAYOUT = "payout"


class ReferralCallback(CallbackData, prefix="ref"):
    """The referral screen's leaderboard and payout buttons."""

    action: ReferralAction


class ServiceOrderCallback(CallbackData, prefix="svc"):
    """Submit an input to one active service order: choose the platform."""

    order_id: str


class ServicePlatformCallback(CallbackData, prefix="svp"):
    """The platform of the next input of a service order: ask the URL."""

    order_id: str
    platform: str


class AdminSection(StrEnum):
    """The screens of the admin menu (`keyboards.admin.SECTIONS` says who sees each)."""

    MENU = "menu"
    STATS = "stats"
    HEALTH = "health"
    BROADCAST = "broadcast"


class AdminCallback(CallbackData, prefix="adm"):
    """Open one screen of the admin menu."""

    section: AdminSection


class StatsPeriod(StrEnum):
    """The periods of the admin stats, each ending now."""

    DAY = "1d"
    WEEK = "7d"
    MONTH = "30d"


class StatsCallback(CallbackData, prefix="ast"):
    """Show the tenant's figures over a period."""

    period: StatsPeriod


class StatsChartCallback(CallbackData, prefix="asc"):
    """Send the daily revenue chart of a period as a photo."""

    period: StatsPeriod


class BroadcastAction(StrEnum):
    """The buttons of the admin's broadcast screens."""

    NEW = "new"  # compose a new broadcast
    SKIP_BUTTON = "skip"  # no URL button under the message
    START = "start"
    DISCARD = "discard"  # drop the draft instead of starting it
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    REFRESH = "refresh"  # the progress as the core has it now


class BroadcastCallback(CallbackData, prefix="abc"):
    """One action on a broadcast (`broadcast_id` empty for NEW and SKIP_BUTTON)."""

    action: BroadcastAction
    broadcast_id: str = ""


class BroadcastSegmentChoice(StrEnum):
    """The segments an admin picks from (the core's segment kinds)."""

    ALL = "all"
    PAID = "paid"
    ACTIVE_SUBSCRIPTION = "sub"
    LANGUAGE = "lang"
    INACTIVE = "inactive"


class BroadcastSegmentCallback(CallbackData, prefix="abs"):
    """Send the composed broadcast to a segment (language and inactive days are asked next)."""

    segment: BroadcastSegmentChoice
