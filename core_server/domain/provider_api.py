"""What the payments domain asks of a payment provider, and what a provider answers.

One adapter per provider lives in `core_server/providers/<name>.py` (the only place that speaks
HTTP to a provider); the domain sees adapters only through `PaymentAdapter`, so adding a provider
never touches this package. An adapter is stateless apart from its HTTP client: everything
tenant-specific (keys, shop ids, the base URL, test mode) comes in a `ProviderConfig` on each call.

Amounts cross this boundary as integer minor units plus the asset's scale; providers that speak
decimal strings get them from `decimal_text` and give them back through `parse_decimal`, both
exact (no floats).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

from core_server.domain.scales import WELL_KNOWN_SCALES


class ProviderState(StrEnum):
    """A provider's status of one payment, mapped from its own vocabulary.

    PAID means money arrived: `ProviderPayment.paid` says how much and in which asset, and the
    domain compares it with what was asked (underpaid, overpaid, wrong asset). FAILED and EXPIRED
    are final with nothing received."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Received:
    """What actually arrived: `amount` minor units of `asset` (in the tenant's scale of it)."""

    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One tenant's settings of one provider, secrets decrypted (they never leave the core).

    `secrets` and `options` are keyed by the field names the adapter declares; `base_url` is empty
    for the adapter's default (tests point it at a fake server); `webhook_url` is where this
    tenant's notifications for this provider must go. `scales` are the decimal places of the
    assets the tenant declared (over the well-known ones): how an adapter reads a provider's
    decimal amount into minor units, with no table of its own."""

    provider: str
    secrets: Mapping[str, str] = field(repr=False)  # never in a repr, a log line or a traceback's locals
    options: Mapping[str, str]
    base_url: str = ""
    test_mode: bool = False
    webhook_url: str = ""
    scales: Mapping[str, int] = field(default_factory=lambda: dict(WELL_KNOWN_SCALES))

    def scale(self, asset: str) -> int | None:
        """Decimal places of `asset` (a provider's currency code, any case), None when unknown."""
        return self.scales.get(asset.strip().upper())

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def option(self, name: str) -> str:
        return self.options.get(name, "")


@dataclass(frozen=True, slots=True)
class Intent:
    """A payment to open at the provider.

    `reference` is the hub's payment id: the adapter sends it as the provider's order id / payload
    and it comes back in notifications. `amount` is in minor units of `asset`, whose scale is
    `scale` (decimal places). `ttl_seconds` is how long the buyer has to pay. `title` is a product
    name for providers that show one (the description when empty); `subscription_period` asks a
    provider that charges subscriptions by itself (Telegram Stars) to charge again every that many
    seconds (0: once)."""

    reference: str
    asset: str
    amount: int
    scale: int
    description: str
    ttl_seconds: int
    return_url: str = ""
    title: str = ""
    subscription_period: int = 0


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """The provider's view of one payment.

    `provider_ref` is the provider's own id (the permanent dedup key); `reference` is the hub's
    payment id as the provider echoes it ("" when the provider does not say). `recurring`: the
    payment is a charge of a subscription that the provider renews by charging the payer again
    every period by itself (a Telegram Stars subscription), so a plan it pays for is the
    provider's to renew, never the wallet's."""

    provider_ref: str
    reference: str
    state: ProviderState
    paid: Received | None = None
    pay_url: str = ""
    expires_at: dt.datetime | None = None
    raw_status: str = ""
    recurring: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    """A webhook delivery, read and (where the provider signs) verified.

    `payment` holds the facts when they can be trusted as delivered (a valid signature). An
    unsigned or advisory notification has `payment=None` and only names `provider_ref` (or the
    hub's `reference`): the domain then fetches the payment from the provider before crediting.
    `ignored` marks a delivery that is authentic but about nothing the hub acts on (a provider's
    "invoice created" event, a test ping): it is answered as accepted and changes nothing."""

    provider_ref: str = ""
    reference: str = ""
    payment: ProviderPayment | None = None
    ignored: bool = False


@dataclass(frozen=True, slots=True)
class WebhookReply:
    """The HTTP answer a provider expects; the gateway sends it as is."""

    status: int = 200
    body: bytes = b"OK"
    content_type: str = "text/plain"
    headers: Mapping[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    """Base of what an adapter raises; never carries a secret in its message."""


class ProviderUnavailable(ProviderError):
    """Timeout, connection failure or 5xx: the outcome is unknown, the call may be retried later.

    `request_sent` is False only when the request certainly never left (the connection could not
    be made): for a request that spends money and has no idempotency key, that is the one failure
    after which sending it again cannot buy twice."""

    def __init__(self, message: str = "", *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class ProviderRejected(ProviderError):
    """The provider refused the request (a 4xx or an error answer): retrying the same call fails
    the same way. The message is the provider's own, safe to show an admin."""


class SignatureInvalid(ProviderError):
    """A webhook whose signature (or URL secret) does not verify: nothing is credited."""


class Configurable(Protocol):
    """What every provider declares of its settings (SetProviderConfig checks against it):
    `secret_fields` are write-only (keys, tokens), `option_fields` readable (shop id, store id),
    and every `required_fields` entry must be set before the provider can be enabled.

    A provider that talks to Telegram with the tenant's own bot (Telegram Stars) also declares
    `uses_bot_token: ClassVar[bool] = True`; its config then carries the tenant's decrypted bot
    token as the secret `bot_token` (see `uses_bot_token()`; absent means False)."""

    name: ClassVar[str]
    secret_fields: ClassVar[tuple[str, ...]]
    option_fields: ClassVar[tuple[str, ...]]
    required_fields: ClassVar[tuple[str, ...]]


# the secret name under which a bot-token provider gets the tenant's token (a name, not a secret)
BOT_TOKEN = "bot_token"  # noqa: S105


def uses_bot_token(adapter: object) -> bool:
    """Whether the provider acts with the tenant's bot token (an optional declaration)."""
    return getattr(adapter, "uses_bot_token", False) is True


class FulfillmentAdapter(Configurable, Protocol):
    """A provider that delivers what an order bought (Fragment: Telegram Stars and Premium).
    What it delivers is declared by a narrower protocol (`StarsDelivery`); the settings are shared
    with payment providers, and so is `check_config` (TestProviderConfig)."""

    async def check_config(self, config: ProviderConfig) -> None:
        """One harmless authenticated call; raises ProviderRejected on bad credentials."""
        ...


class PaymentAdapter(Protocol):
    """One payment provider. `name` is its registry key and the `provider:<name>` account name.

    `secret_fields` are the write-only settings (keys, tokens), `option_fields` the readable ones
    (shop id, store id); `SetProviderConfig` refuses other names and requires every
    `required_fields` entry."""

    name: ClassVar[str]
    secret_fields: ClassVar[tuple[str, ...]]
    option_fields: ClassVar[tuple[str, ...]]
    required_fields: ClassVar[tuple[str, ...]]

    async def create_payment(self, config: ProviderConfig, intent: Intent) -> ProviderPayment:
        """Open the payment; the answer carries `provider_ref` and `pay_url`."""
        ...

    async def fetch_payment(self, config: ProviderConfig, provider_ref: str) -> ProviderPayment:
        """Ask the provider for the payment's state now (CheckPayment, reconciliation, and
        confirming an unsigned notification)."""
        ...

    def read_webhook(self, config: ProviderConfig, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify (on the raw bytes) and read one notification. Header names are lower-case.
        Raises SignatureInvalid, or ProviderRejected for a body that cannot be read."""
        ...

    def reply(self, accepted: bool) -> WebhookReply:
        """The answer the provider expects for an accepted (or duplicate) delivery, or a refused one."""
        ...

    async def check_config(self, config: ProviderConfig) -> None:
        """One harmless authenticated call (TestProviderConfig); raises on bad credentials."""
        ...


@runtime_checkable
class ReferenceLookup(Protocol):
    """An optional capability of a PaymentAdapter whose provider names a payment only once it is
    paid (Telegram Stars: the charge id exists from the payment on), so that a pending payment,
    which has no `provider_ref` yet, can still be asked about (CheckPayment, reconciliation)."""

    async def find_by_reference(self, config: ProviderConfig, reference: str) -> ProviderPayment:
        """The provider's view of the payment the hub knows as `reference`: PAID with its
        `provider_ref` when a payment for it arrived, else PENDING with an empty `provider_ref`."""
        ...


@runtime_checkable
class ChargeRefunds(Protocol):
    """An optional capability of a PaymentAdapter whose provider gives a whole charge back to the
    one who paid it (Telegram Stars: refundStarPayment). `payer` is the payer's id at the provider
    (a Telegram user id), `provider_ref` the charge.

    Returns when the charge is refunded, by this call or by an earlier one: a provider saying the
    charge was refunded already has refunded it, so the call is safe to repeat. Raises
    ProviderRejected when the provider refuses for good (nothing was refunded), and
    ProviderUnavailable when the outcome is unknown (a timeout, a 5xx, flood control): ask again."""

    async def refund_charge(self, config: ProviderConfig, payer: str, provider_ref: str) -> None: ...


@runtime_checkable
class RenewalCancels(Protocol):
    """An optional capability of a PaymentAdapter whose provider charges a subscriber every period
    by itself (Telegram Stars subscriptions): stop those charges. `payer` is the subscriber's id
    at the provider, `provider_ref` a charge of the subscription.

    Raises ProviderRejected when the provider refuses (one that was stopped already may say so
    this way), and ProviderUnavailable when the outcome is unknown: ask again."""

    async def cancel_renewal(self, config: ProviderConfig, payer: str, provider_ref: str) -> None: ...


@runtime_checkable
class RenewalLookup(Protocol):
    """An optional capability of a PaymentAdapter whose provider renews subscriptions by itself:
    the subscription charges `payer` paid under any of `references` (the invoices the hub knows
    them by) that the provider still shows, oldest first. How a renewal whose notice was lost is
    found before its plan would expire. ProviderUnavailable when the provider cannot be asked."""

    async def renewal_charges(
        self, config: ProviderConfig, payer: str, references: Collection[str]
    ) -> list[ProviderPayment]: ...


class RenewalFound(StrEnum):
    """What asking the provider about a plan it renews, at the end of its grace, found."""

    RENEWED = "renewed"  # a charge the hub had missed renewed the plan
    NOTHING = "nothing"  # no such charge: the plan may expire
    UNKNOWN = "unknown"  # the provider could not be asked: ask again later


# A plan whose provider renews it (tenant, subscription id) -> what asking that provider found.
RenewalRecovery = Callable[[uuid.UUID, uuid.UUID], Awaitable[RenewalFound]]


def decimal_text(amount: int, scale: int) -> str:
    """`amount` minor units as the provider's decimal string: 12345, scale 2 -> "123.45";
    scale 0 -> "12345". Exact for every int."""
    if scale == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**scale)
    return f"{sign}{whole}.{part:0{scale}d}"


def parse_decimal(text: str | int, scale: int) -> int:
    """A provider's decimal amount as minor units, exactly. "123.4" at scale 2 -> 12340.
    Raises ValueError for a malformed number or one with more decimals than the scale holds
    (a provider paying fractions of a minor unit is not something to round silently)."""
    if isinstance(text, bool):
        raise ValueError("not an amount")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError("not a finite amount")
    minor = value.scaleb(scale)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more than {scale} decimals")
    return int(minor)


# --- Delivering Telegram Stars and Premium (a fulfillment provider such as Fragment) -------------
#
# Buying a gift spends the tenant's money at the provider, and a provider such as Fragment takes
# no idempotency key: the same order sent twice buys twice. So an adapter says precisely what a
# failure means: `DeliveryRefused` and `DeliveryRetryable` bought nothing (the first for good,
# the second for now), while `DeliveryUnknown` may have bought: the request went out and no answer
# says what became of it. The domain never sends an order again after that; it asks the provider
# about the order by its id when it has one, or leaves the task to an admin.


class GiftState(StrEnum):
    """A provider's order of Stars or Premium, mapped from its own vocabulary: PENDING is taken and
    under way (ask again later), COMPLETED delivered, FAILED ended without delivering."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class GiftOrder:
    """The provider's view of one order: its id (what to ask about later), where it is, the
    provider's own status word, and its error text when it failed."""

    order_id: str
    state: GiftState
    raw_status: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class GiftRecipient:
    """A Telegram user the provider can deliver to."""

    username: str
    name: str = ""


class DeliveryRefused(ProviderRejected):
    """The provider refused the order and nothing was bought; the same order fails the same way
    again (the recipient does not exist, a quantity out of range). `code` is the provider's."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class DeliveryRetryable(ProviderUnavailable):
    """Nothing was bought, and the same request may succeed later: it never left, it was refused
    before it could buy (credentials, the provider's wallet or network), or it was a read."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message, request_sent=False)
        self.code = code


class DeliveryUnknown(ProviderError):
    """An order was sent and no answer says what became of it (a timeout or a 5xx after sending,
    an answer without an order id). It may have bought: never send it again. Deliberately not a
    ProviderUnavailable, so that nothing treats it as safe to retry."""


@runtime_checkable
class StarsDelivery(FulfillmentAdapter, Protocol):
    """A fulfillment provider that delivers Telegram Stars and Premium to a @username.

    `order_stars` and `order_premium` spend money: they return the provider's order (possibly
    still PENDING) or raise DeliveryRefused, DeliveryRetryable or DeliveryUnknown. `order_status`
    and `check_user` only read: a failure is DeliveryRetryable (ask again later), except that
    `check_user` raises DeliveryRefused for a recipient the provider does not know."""

    async def order_stars(self, config: ProviderConfig, username: str, quantity: int) -> GiftOrder: ...

    async def order_premium(self, config: ProviderConfig, username: str, months: int) -> GiftOrder: ...

    async def order_status(self, config: ProviderConfig, order_id: str) -> GiftOrder: ...

    async def check_user(self, config: ProviderConfig, username: str) -> GiftRecipient: ...
