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
    USERS = "users"
    EXPORT = "export"
    QUEUES = "queues"
    ORDERS = "orders"
    CATALOG = "catalog"
    BROADCAST = "broadcast"


class AdminCallback(CallbackData, prefix="adm"):
    """Open one screen of the admin menu."""

    section: AdminSection


class StatsPeriod(StrEnum):
    """The periods of the admin stats, each ending now: today from the tenant's local midnight,
    7 and 30 days rolling."""

    TODAY = "1d"  # the value of the former "24 hours" button, so that one still in a chat shows today
    WEEK = "7d"
    MONTH = "30d"


class StatsCallback(CallbackData, prefix="ast"):
    """Show the tenant's figures over a period."""

    period: StatsPeriod


class StatsChartCallback(CallbackData, prefix="asc"):
    """Send the daily revenue chart of a period as a photo."""

    period: StatsPeriod


class AdminUserCallback(CallbackData, prefix="aus"):
    """Open one user's profile in the admin's Users section (also the way back from its steps)."""

    user_id: str


class AdminBlockCallback(CallbackData, prefix="abk"):
    """Block (True) or unblock (False) a user: first the confirm screen, then, `confirmed`, the change."""

    user_id: str
    blocked: bool
    confirmed: bool = False


class AdjustUserCallback(CallbackData, prefix="aad"):
    """Start a balance adjustment of a user: choose the asset."""

    user_id: str


class AdjustAssetCallback(CallbackData, prefix="aaa"):
    """The asset of the adjustment in progress: ask the amount."""

    asset: str


class AdjustPresetCallback(CallbackData, prefix="aap"):
    """A preset amount of the adjustment in progress, signed minor units (negative: a debit)."""

    amount_minor: int


class AdjustConfirmCallback(CallbackData, prefix="aac"):
    """Post the adjustment shown on the confirm screen; `token` names it (and makes its request id)."""

    token: str


class ExportKind(StrEnum):
    """What the admin export writes to a CSV file."""

    TRANSFERS = "transfers"
    ORDERS = "orders"
    USERS = "users"


class ExportPeriod(StrEnum):
    """The export's ready-made periods: the last 7 or 30 days (ending now) or everything."""

    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"


class ExportKindCallback(CallbackData, prefix="axk"):
    """Export this kind of rows: ask the period."""

    kind: ExportKind


class ExportPeriodCallback(CallbackData, prefix="axp"):
    """Export the rows of a kind over a ready-made period: send the file."""

    kind: ExportKind
    period: ExportPeriod


class ExportDatesCallback(CallbackData, prefix="axd"):
    """Export the rows of a kind over days the admin types: ask them."""

    kind: ExportKind


class QueueKind(StrEnum):
    """The two queues an admin decides: manual top-ups and referral payouts."""

    TOPUP = "t"
    PAYOUT = "p"


class QueueCallback(CallbackData, prefix="aqq"):
    """Show the `page`-th pending request of a queue (0 is the newest; one request a page)."""

    kind: QueueKind
    page: int


class QueueAction(StrEnum):
    """What an admin does with a pending request."""

    APPROVE = "a"
    REJECT = "r"


class QueueDecisionCallback(CallbackData, prefix="aqd"):
    """Approve (a top-up at once, a payout after its reference) or reject (after a reason) one request."""

    kind: QueueKind
    action: QueueAction
    request_id: str


class OrderFilter(StrEnum):
    """The order lists of the admin menu: every order, or the orders of one status."""

    ALL = "all"
    PAID = "paid"
    FULFILLED = "done"
    FAILED = "failed"
    REFUNDED = "refunded"
    PENDING = "pending"


class OrdersCallback(CallbackData, prefix="aol"):
    """Show a page of the tenant's orders (0 is the newest), all or of one status."""

    status: OrderFilter
    page: int


class AdminOrderCallback(CallbackData, prefix="aor"):
    """Show one order to an admin, with its refund buttons."""

    order_id: str


class RefundKind(StrEnum):
    """How an order is refunded: all that remains, a part, or its Telegram Stars charge (whole)."""

    FULL = "full"
    PART = "part"
    STARS = "stars"


class RefundCallback(CallbackData, prefix="arf"):
    """Start refunding an order: ask the amount (a part), then the reason."""

    kind: RefundKind
    order_id: str


class FailedTasksCallback(CallbackData, prefix="aft"):
    """Show a page of the fulfillment tasks that failed for good (0 is the newest)."""

    page: int


class RetryTaskCallback(CallbackData, prefix="art"):
    """Queue a fulfillment task that failed for good again (RetryTask), from the failed deliveries."""

    task_id: str


class AdminCategoryCallback(CallbackData, prefix="acg"):
    """The admin catalog: every package of one category, on sale or not."""

    category: str


class AdminPackageCallback(CallbackData, prefix="apk"):
    """The admin catalog: one package's screen (also the way back from an edit, dropping it)."""

    package_id: str


class AdminPackageActiveCallback(CallbackData, prefix="aac"):
    """Put a package on sale (active) or take it off; the wanted state, so a repeated press is harmless."""

    package_id: str
    active: bool


class AdminPriceCallback(CallbackData, prefix="apr"):
    """Edit a package's price in one asset: ask the new amount."""

    package_id: str
    asset: str


class AdminTitleCallback(CallbackData, prefix="atl"):
    """Edit a package's title: choose the locale (empty), then type the title of that locale."""

    package_id: str
    locale: str = ""


class AdminCatalogConfirmCallback(CallbackData, prefix="acy"):
    """Apply the price or title change the admin typed (kept in their FSM data) to the package."""

    package_id: str


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
