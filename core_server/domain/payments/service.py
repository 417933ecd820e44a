"""Opening provider payments and applying what providers report, each credit exactly once.

Three things report a payment's state: the provider's webhook (`ingest`), the buyer's "check
payment" button (`check`) and the reconciliation worker. All of them end in `apply`, which locks
the payment row and moves it along its table (model.py): money that arrived is credited from
the `provider:<name>` account once, and an order the payment pays is settled from the wallet in
the same transaction with the same `settle` a wallet purchase runs. The permanent unique key on
(tenant, provider, provider_ref) backs the row lock: a provider's payment can belong to one row.

No transaction stays open across a call to a provider: `create` commits the pending payment
before asking the provider (a webhook may even arrive before the answer: it finds the payment by
the hub's own reference), and `apply` starts after the provider answered.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import structlog

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fast_unit import TakeOrmPath, fast_unit
from core_server.domain.idempotency import IdempotencyKey, claim_or_find
from core_server.domain.ids import require_id
from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_AMOUNT, Money, check_money
from core_server.domain.money.assets import require_asset
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.money.wallets import require_buyer, require_user
from core_server.domain.orders.model import OrderStatus
from core_server.domain.orders.payment import settle
from core_server.domain.orders.service import lock_order, not_pending
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.payments import fast_credit
from core_server.domain.payments.configs import adapter_of, configured, decrypted, limits_of, provider_call
from core_server.domain.payments.model import RECEIVED, Payment, PaymentStatus, move, payment_event, to_payment
from core_server.domain.provider_api import (
    BOT_TOKEN,
    Intent,
    Notice,
    ProviderConfig,
    ProviderPayment,
    ProviderRejected,
    ProviderState,
    Received,
    ReferenceLookup,
    SignatureInvalid,
    WebhookReply,
    uses_bot_token,
)
from core_server.domain.reasons import (
    AmountOutOfRange,
    OrderExpired,
    OrderNotFound,
    PaymentNotFound,
    ProviderDisabled,
    ProviderRefused,
)
from core_server.domain.tenant_reads import TENANT_PAYMENT_READS
from core_server.store.ids import new_id
from core_server.store.models import PaymentRow
from core_server.store.repositories import assets as assets_repo
from core_server.store.repositories import idempotency as idem_repo
from core_server.store.repositories import orders as orders_repo
from core_server.store.repositories import payments as repo
from core_server.store.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

TOPUP_TTL = dt.timedelta(hours=1)  # how long a buyer has to pay a wallet top-up
MIN_TTL = dt.timedelta(minutes=5)
FIRST_CHECK = dt.timedelta(seconds=30)  # the reconciliation worker's first look (reconcile.py)
MAX_INTERVAL = dt.timedelta(hours=1)
MAX_WEBHOOK_BODY = 1024 * 1024
RETURN_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
DESCRIPTION_LIMIT, RETURN_URL_LIMIT = 128, 500


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNKNOWN_PAYMENT = "unknown_payment"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class WebhookResult:
    reply: WebhookReply
    outcome: Outcome
    payment_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """The payment a webhook names (its id and provider id), what to apply to it (None: ask the
    provider first), and whether it is already credited under that provider id."""

    id: uuid.UUID
    provider_ref: str
    reported: ProviderPayment | None
    final: bool


@dataclass(frozen=True, slots=True)
class Opened:
    """A pending payment committed, the provider's settings, and what to ask the provider for."""

    payment: Payment
    config: ProviderConfig
    intent: Intent


@dataclass(frozen=True, slots=True)
class Replay:
    """A repeated request_id: the payment the first call opened, as it is now, and the memo the
    first call kept with it."""

    payment: Payment
    memo: bytes


@dataclass(frozen=True, slots=True)
class Method:
    provider: str
    title: Mapping[str, str]
    asset: str
    min: int
    max: int


def _refused(status: int = 404, text: bytes = b"unknown webhook") -> WebhookResult:
    return WebhookResult(WebhookReply(status=status, body=text), Outcome.REFUSED)


def _reference(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def next_interval(checks: int) -> dt.timedelta:
    """The reconciliation worker's backoff: 30 s after the first check, doubling per check, at
    most an hour (between checks of a pending payment, and between asks of a refund)."""
    interval: dt.timedelta = min(FIRST_CHECK * (2 ** min(checks, 16)), MAX_INTERVAL)
    return interval


def can_ask(deps: Deps, provider: str, provider_ref: str | None) -> bool:
    """Whether the provider can be asked about a payment: by its id, or by the hub's reference
    when the provider names payments only once they are paid."""
    adapter = deps.payment_adapters.get(provider)
    return adapter is not None and (provider_ref is not None or isinstance(adapter, ReferenceLookup))


def _provider_account(provider: str) -> System:
    return System(f"provider:{provider}")


class PaymentService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    # --- what a buyer may pay with --------------------------------------------------------------

    async def list_methods(self, actor: Actor, user_id: str, order_id: str, amount: Money | None) -> list[Method]:
        v = Violations()
        user = v.id("user_id", user_id)
        if bool(order_id) == (amount is not None):
            v.add("order_id", "give either order_id or amount")
        v.id("order_id", order_id, required=False)
        if amount is not None:
            check_money(v, "amount", amount)
        v.raise_if_any()
        assert user is not None
        tenant = actor.tenant
        async with self._deps.read_uow() as uow:
            await require_user(uow, tenant, user, user_id)
            wanted = amount if amount is not None else await self._order_money(uow, tenant, user, order_id)
            rows = await repo.list_configs(uow, tenant)
        methods = []
        for row in rows:
            if not row.enabled or row.provider not in self._deps.payment_adapters:
                continue
            for limit in limits_of(row):
                if limit.asset == wanted.asset and limit.min <= wanted.amount <= limit.max:
                    methods.append(Method(row.provider, dict(row.title or {}), limit.asset, limit.min, limit.max))
        return methods

    async def _order_money(self, uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, order_id: str) -> Money:
        row = await orders_repo.get_order(uow, tenant, require_id("order_id", order_id))
        if row is None or row.user_id != user:  # another user's order is as unknown as a missing one
            raise OrderNotFound(order_id)
        return Money(row.asset, row.total)

    # --- opening a payment ------------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        key: IdempotencyKey | None,
        user_id: str,
        order_id: str,
        amount: Money | None,
        provider: str,
        return_url: str,
        description: str,
    ) -> Payment:
        """Open a payment at the provider. The pending row (and the request_id's record naming
        it) commits first; a repeated request_id returns that payment as it is now."""
        v = Violations()
        user = v.id("user_id", user_id)
        v.id("order_id", order_id, required=False)
        if bool(order_id) == (amount is not None):
            v.add("order_id", "give either order_id or amount")
        if amount is not None:
            check_money(v, "amount", amount)
        if not provider:
            v.add("provider", "is required")
        return_url = v.check_text("return_url", return_url, max_length=RETURN_URL_LIMIT)
        if return_url and not v.has("return_url") and not RETURN_URL.match(return_url):
            v.add("return_url", "must be an http(s) URL")
        description = v.check_text("description", description, max_length=DESCRIPTION_LIMIT)
        v.raise_if_any()
        assert user is not None
        opened = await self.open(actor, key, user, order_id, amount, provider, description, return_url=return_url)
        if isinstance(opened, Replay):
            return opened.payment
        return await self.ask_to_open(actor.tenant, opened)

    async def open(
        self,
        actor: Actor,
        key: IdempotencyKey | None,
        user: uuid.UUID,
        order_id: str,
        amount: Money | None,
        provider: str,
        description: str,
        *,
        return_url: str = "",
        memo: bytes = b"",
        will_call: bool = True,
    ) -> Opened | Replay:
        """Commit a pending payment of a checked request (and the request_id's record naming it,
        with `memo`, what the caller needs to answer a replay the same way), without asking the
        provider yet. `will_call`: the provider is asked next, so a provider acting as the
        tenant's bot refuses here, before any row, when the tenant has no bot token."""
        adapter = adapter_of(self._deps, provider)
        tenant, now = actor.tenant, self._deps.clock.now()
        order = uuid.UUID(order_id) if order_id else None
        async with self._deps.uow() as uow:
            if key is not None:
                record = await claim_or_find(uow, tenant, key, now)
                if record is not None:
                    assert record.response is not None
                    head, _, kept = record.response.partition(b"\n")
                    replayed = await repo.get_payment(uow, tenant, uuid.UUID(head.decode()))
                    assert replayed is not None
                    return Replay(to_payment(replayed), kept)
            await require_buyer(uow, tenant, user, str(user))
            config_row = await configured(self._deps, uow, tenant, provider)
            if not config_row.enabled:
                raise ProviderDisabled(f"{provider} is switched off")
            config = await decrypted(self._deps, uow, config_row)
            if will_call and uses_bot_token(adapter) and not config.secret(BOT_TOKEN):
                raise ProviderRefused(f"{provider} acts as the tenant's bot: set the tenant's bot token first")
            if order is not None:
                order_row = await lock_order(uow, tenant, order_id)
                if order_row.user_id != user:
                    raise OrderNotFound(order_id)
                if order_row.status != OrderStatus.PENDING:
                    raise not_pending(order_row)
                if order_row.expires_at <= now:
                    raise OrderExpired("order expired unpaid")
                wanted, expires = Money(order_row.asset, order_row.total), order_row.expires_at
                description = description or f"Order {order_row.id}"
            else:
                assert amount is not None
                wanted, expires = amount, now + TOPUP_TTL
                description = description or "Wallet top-up"
            asset = await require_asset(uow, tenant, wanted.asset)
            if not any(
                lim.asset == wanted.asset and lim.min <= wanted.amount <= lim.max for lim in limits_of(config_row)
            ):
                raise AmountOutOfRange(
                    f"{provider} does not take {wanted.amount} minor units of {wanted.asset}",
                    metadata={"asset": wanted.asset, "amount_minor": str(wanted.amount)},
                )
            row = PaymentRow(
                tenant_id=tenant, id=new_id(), user_id=user, order_id=order, provider=provider, status="pending",
                asset=wanted.asset, amount=wanted.amount, pay_url="", provider_status="", failure_reason="",
                expires_at=max(expires, now + MIN_TTL), created_at=now, updated_at=now,
                next_check_at=now + FIRST_CHECK, checks=0,
            )  # fmt: skip
            await repo.add(uow, row)
            await emit(uow, self._deps.feed, tenant, "payment.created", payment_event(row), now)
            if key is not None:
                record_text = str(row.id).encode() + (b"\n" + memo if memo else b"")
                await idem_repo.complete(uow, tenant, key.method, key.request_id, response=record_text)
            intent = Intent(
                reference=str(row.id), asset=wanted.asset, amount=wanted.amount, scale=asset.scale,
                description=description, ttl_seconds=int((row.expires_at - now).total_seconds()),
                return_url=return_url,
            )  # fmt: skip
            opened = Opened(to_payment(row), config, intent)
            await uow.commit()
        return opened

    async def ask_to_open(self, tenant: uuid.UUID, opened: Opened) -> Payment:
        """Open the committed payment at its provider and record where the buyer pays; a refusal
        or no answer fails the payment and raises."""
        adapter = adapter_of(self._deps, opened.payment.provider)
        try:
            with provider_call():
                answer = await adapter.create_payment(opened.config, opened.intent)
        except DomainError as error:
            await self._opening_failed(tenant, opened.payment.id, error)
            raise
        return await self._opened(tenant, opened.payment.id, answer)

    async def _opening_failed(self, tenant: uuid.UUID, payment: uuid.UUID, error: DomainError) -> None:
        """The provider refused or did not answer: the payment fails (money that arrives for it
        anyway, from an invoice the provider did open, is still credited: failed may succeed)."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            if row is not None and row.status == PaymentStatus.PENDING:
                move(row, PaymentStatus.FAILED, now)
                row.failure_reason = error.message[:500]
                await emit(uow, self._deps.feed, tenant, "payment.failed", payment_event(row), now)
                await uow.commit()

    async def _opened(self, tenant: uuid.UUID, payment: uuid.UUID, opened: ProviderPayment) -> Payment:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            assert row is not None
            if row.provider_ref is None:
                row.provider_ref = opened.provider_ref[:200] or None
            row.pay_url = opened.pay_url[:1000]
            row.provider_status = row.provider_status or opened.raw_status[:64]
            if opened.expires_at is not None and row.status == PaymentStatus.PENDING:
                row.expires_at = opened.expires_at
            row.updated_at = now
            await uow.session.flush()
            result = to_payment(row)
            await uow.commit()
        return result

    # --- reading ------------------------------------------------------------------------------------

    async def get(self, actor: Actor, payment_id: str, user_id: str = "") -> Payment:
        """One payment; naming its user in `user_id` makes another user's payment NOT_FOUND (what
        a bot shows a user), and a gateway key naming nobody reads for a bot admin (tenant_reads.py)."""
        parsed, user = _users_payment(actor, payment_id, user_id)
        async with self._deps.read_uow() as uow:
            return to_payment(await _payment_row(uow, actor.tenant, parsed, user, payment_id))

    async def list_payments(
        self,
        actor: Actor,
        user_id: str,
        order_id: str,
        provider: str,
        status: str | None,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Payment], str]:
        actor.require_user_filter(user_id)
        actor.require_staff_for_tenant_read(user_id, TENANT_PAYMENT_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        order = v.id("order_id", order_id, required=False)
        provider = v.check_text("provider", provider, max_length=32)
        filters = {"s": status, "u": user_id, "o": order_id, "p": provider}
        page = page_request(page_size, page_token, filters, violations=v)
        v.raise_if_any()
        async with self._deps.read_uow() as uow:
            if user is not None:
                await require_user(uow, actor.tenant, user, user_id)
            rows = await repo.list_payments(
                uow, actor.tenant, user=user, order=order, provider=provider, status=status,
                before=before_id(page), limit=page.size + 1,
            )  # fmt: skip
            return id_page(page, rows, to_payment)

    # --- what providers report ------------------------------------------------------------------------

    async def check(self, actor: Actor, payment_id: str, user_id: str = "") -> Payment:
        """Ask the provider now and apply the answer; a payment already credited is not asked about.
        `user_id` and a gateway key naming nobody as in get(): the answer is the payment."""
        parsed, user = _users_payment(actor, payment_id, user_id)
        tenant = actor.tenant
        async with self._deps.read_uow() as uow:
            row = await _payment_row(uow, tenant, parsed, user, payment_id)
            if row.status in RECEIVED or not can_ask(self._deps, row.provider, row.provider_ref):
                return to_payment(row)
            config = await decrypted(self._deps, uow, await configured(self._deps, uow, tenant, row.provider))
            provider, ref = row.provider, row.provider_ref
        reported = await self.ask(tenant, config, parsed, ref)
        await self.apply(tenant, provider, reported, parsed)
        async with self._deps.read_uow() as uow:
            return to_payment(await _payment_row(uow, tenant, parsed, user, payment_id))

    async def ask(
        self, tenant: uuid.UUID, config: ProviderConfig, payment: uuid.UUID, provider_ref: str | None
    ) -> ProviderPayment:
        """What the provider says of a payment now: by its own id, or, for a provider that names a
        payment only once it is paid (ReferenceLookup), by the hub's reference. A payment found
        that way under an id another payment of the tenant holds is not this one's (pending)."""
        adapter = adapter_of(self._deps, config.provider)
        with provider_call():
            if provider_ref is not None:
                return await adapter.fetch_payment(config, provider_ref)
            assert isinstance(adapter, ReferenceLookup)
            found = await adapter.find_by_reference(config, str(payment))
        if found.provider_ref:
            async with self._deps.read_uow() as uow:
                holder = await repo.find_by_ref(uow, tenant, config.provider, found.provider_ref)
            if holder is not None and holder != payment:
                return ProviderPayment(provider_ref="", reference=str(payment), state=ProviderState.PENDING)
        return found

    async def ingest(self, actor: Actor, provider: str, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        """Verify a notification on its raw bytes and apply it. Refusals are answers (the
        provider's 4xx), not errors; only a provider that cannot confirm now is an error
        (UNAVAILABLE: the gateway answers 503 and the provider retries).

        One read transaction holds the settings, the verification (no I/O) and the payment the
        notice names; a payment already credited is a duplicate answered from that read (credited
        is final), so a repeated delivery takes no row lock and writes nothing."""
        if len(body) > MAX_WEBHOOK_BODY:
            raise InvalidArgument([Violation("body", f"must be at most {MAX_WEBHOOK_BODY} bytes")])
        adapter = self._deps.payment_adapters.get(provider)
        if adapter is None:
            return _refused()
        tenant = actor.tenant
        lowered = {name.lower(): value for name, value in headers.items()}
        async with self._deps.read_uow() as uow:
            config_row = await repo.get_config(uow, tenant, provider)
            if config_row is None:
                return _refused()
            config = await decrypted(self._deps, uow, config_row)
            try:
                notice = adapter.read_webhook(config, lowered, body)
            except (SignatureInvalid, ProviderRejected) as error:
                log.warning("webhook refused", provider=provider, why=str(error)[:200])
                return WebhookResult(adapter.reply(False), Outcome.REFUSED)
            if notice.ignored:
                return WebhookResult(adapter.reply(True), Outcome.IGNORED)
            known = await self._known(uow, tenant, provider, notice)
        if known is None:
            log.info("webhook for an unknown payment", provider=provider, provider_ref=notice.provider_ref[:80])
            return WebhookResult(adapter.reply(True), Outcome.UNKNOWN_PAYMENT)
        if known.final:
            return WebhookResult(adapter.reply(True), Outcome.DUPLICATE, known.id)
        reported = known.reported
        if reported is None:  # unsigned or advisory: what the provider's API says is what counts
            with provider_call():
                reported = await adapter.fetch_payment(config, known.provider_ref)
        outcome = await self.apply(tenant, provider, reported, known.id)
        return WebhookResult(adapter.reply(True), outcome, known.id)

    async def _known(self, uow: UnitOfWork, tenant: uuid.UUID, provider: str, notice: Notice) -> Known | None:
        """The payment a notice is about, with the facts it carries when they can be trusted; None
        when the tenant has no such payment of this provider. `final`: the payment was credited
        under the provider id the notice reports, so applying it could only be a duplicate (what
        `_apply` would answer under the lock). An unsigned notice about a credited payment is
        answered without asking the provider, so a forged one costs no outgoing call."""
        facts = notice.payment
        ref = (facts.provider_ref if facts else "") or notice.provider_ref
        reference = _reference((facts.reference if facts else "") or notice.reference)
        row = await repo.get_by_ref(uow, tenant, provider, ref) if ref else None
        if row is None and reference is not None:
            row = await repo.get_payment(uow, tenant, reference)
        if row is None or row.provider != provider:
            return None
        reported_ref = facts.provider_ref if facts else ""
        final = (
            row.status in RECEIVED
            and row.provider_ref is not None
            and (not reported_ref or reported_ref == row.provider_ref)
        )
        if facts is None and row.status in RECEIVED and not final:  # credited before it had a provider id
            facts = ProviderPayment(provider_ref=ref, reference=str(row.id), state=ProviderState.PENDING)
        return Known(row.id, row.provider_ref or ref, facts, final)

    async def apply(self, tenant: uuid.UUID, provider: str, reported: ProviderPayment, payment: uuid.UUID) -> Outcome:
        """Apply what the provider says of the payment, under its row lock. An order the payment
        pays is settled in the same transaction; if settling fails (the order was meanwhile
        cancelled, its package can no longer be delivered), the credit stays in the wallet and
        the failure is recorded instead, so money that arrived is never refused."""
        if reported.state is ProviderState.PAID:  # a credit: most run on the fast path
            try:
                async with fast_unit(self._deps, tenant) as unit:
                    credited = await fast_credit.credit_payment(unit, provider, reported, payment)
                return Outcome.APPLIED if credited else Outcome.DUPLICATE
            except TakeOrmPath:
                pass
        try:
            return await self._apply(tenant, provider, reported, payment, settle_order=True)
        except DomainError as error:
            log.warning("order not settled by its payment", payment=str(payment), why=error.reason)
            return await self._apply(tenant, provider, reported, payment, settle_order=False, why=error.message)

    async def _apply(
        self,
        tenant: uuid.UUID,
        provider: str,
        reported: ProviderPayment,
        payment: uuid.UUID,
        *,
        settle_order: bool,
        why: str = "",
    ) -> Outcome:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            if row is None or row.provider != provider:
                return Outcome.UNKNOWN_PAYMENT
            if row.provider_ref is None and reported.provider_ref:
                row.provider_ref = reported.provider_ref[:200]
            elif reported.provider_ref and row.provider_ref != reported.provider_ref:
                log.warning("provider reported another payment id", payment=str(row.id), provider=provider)
                return Outcome.UNKNOWN_PAYMENT
            status = PaymentStatus(row.status)
            outcome = Outcome.DUPLICATE
            if reported.state is ProviderState.PAID and status not in RECEIVED:
                await self._credit(uow, row, reported, now, settle_order=settle_order, why=why)
                outcome = Outcome.APPLIED
            elif reported.state in (ProviderState.FAILED, ProviderState.EXPIRED) and status is PaymentStatus.PENDING:
                to = PaymentStatus.FAILED if reported.state is ProviderState.FAILED else PaymentStatus.EXPIRED
                move(row, to, now)
                row.failure_reason = f"the provider reports {reported.raw_status or reported.state}"[:500]
                await emit(uow, self._deps.feed, tenant, f"payment.{to}", payment_event(row), now)
                outcome = Outcome.APPLIED
            if reported.raw_status and outcome is Outcome.APPLIED:
                row.provider_status = reported.raw_status[:64]
            await uow.session.flush()
            await uow.commit()
        return outcome

    async def _credit(
        self, uow: UnitOfWork, row: PaymentRow, reported: ProviderPayment, now: dt.datetime, *, settle_order: bool,
        why: str,
    ) -> None:  # fmt: skip
        """Credit what arrived and, when it is the order's total in the order's asset, settle the
        order. Locks: the payment (held), the order, then the ledger's own order (settle's)."""
        tenant, feed = row.tenant_id, self._deps.feed
        received = reported.paid or Received(row.asset, row.amount)
        order_row = await lock_order(uow, tenant, str(row.order_id)) if row.order_id and settle_order else None
        # asked, not assumed from the payment's own asset: a stray Telegram charge's payment takes
        # the currency the update named, which need not be an asset of the tenant
        known_asset = await self._has_asset(uow, tenant, received.asset)
        if not known_asset or not 0 < received.amount <= MAX_AMOUNT:
            move(row, PaymentStatus.UNDERPAID, now)
            row.received_asset, row.received_amount = received.asset[:10], received.amount
            row.failure_reason = f"received {received.amount} minor units of {received.asset}: nothing credited"[:500]
            await emit(uow, feed, tenant, "payment.underpaid", payment_event(row, credited=False), now)
            return
        credit = Posting(
            _provider_account(row.provider),
            Wallet(row.user_id),
            received.amount,
            "topup",
            reference=f"payment:{row.id}",
        )
        [transfer] = await ledger.post(uow, feed, tenant, received.asset, [credit], now)
        row.received_asset, row.received_amount, row.credit_transfer_id = received.asset, received.amount, transfer.id
        if received.asset != row.asset or received.amount < row.amount:
            move(row, PaymentStatus.UNDERPAID, now)
            row.failure_reason = (
                f"asked {row.amount} {row.asset}, received {received.amount} {received.asset}: credited to the wallet"
            )[:500]
            await emit(uow, feed, tenant, "payment.underpaid", payment_event(row, credited=True), now)
            return
        move(row, PaymentStatus.SUCCEEDED, now)
        settled = False
        if order_row is not None and order_row.status == OrderStatus.PENDING:
            renewed_by = row.provider if reported.recurring else None
            paid_via = f"provider:{row.provider}"
            await settle(self._deps, uow, order_row, paid_via, Wallet(row.user_id), now, renewed_by=renewed_by)
            settled = row.order_settled = True
        elif row.order_id is not None:
            state = why or (f"the order is {order_row.status}" if order_row is not None else "")
            row.failure_reason = f"order not settled ({state}): the payment stays in the wallet"[:500]
        await emit(uow, feed, tenant, "payment.succeeded", payment_event(row, order_settled=settled), now)

    async def _has_asset(self, uow: UnitOfWork, tenant: uuid.UUID, code: str) -> bool:
        return await assets_repo.get_asset(uow, tenant, code) is not None


def _users_payment(actor: Actor, payment_id: str, user_id: str) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The checked ids of a read of one payment, once the caller may make it: a gateway key naming
    no user reads for a bot admin (tenant_reads.py)."""
    v = Violations()
    parsed, user = v.id("payment_id", payment_id), v.id("user_id", user_id, required=False)
    v.raise_if_any()
    assert parsed is not None
    actor.require_staff_for_tenant_read(user_id, TENANT_PAYMENT_READS)
    return parsed, user


async def _payment_row(
    uow: UnitOfWork, tenant: uuid.UUID, payment: uuid.UUID, user: uuid.UUID | None, payment_id: str
) -> PaymentRow:
    """The payment, when it is in the tenant and (a user named) that user's; else PaymentNotFound,
    as for another tenant's: never a hint that it exists."""
    row = await repo.get_payment(uow, tenant, payment)
    if row is None or (user is not None and row.user_id != user):
        raise PaymentNotFound(payment_id)
    return row
