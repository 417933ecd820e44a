"""Refunds of Telegram Stars payments to Telegram (the Bot API's refundStarPayment), whole charges.

    succeeded | underpaid ──(one transaction: the order refunded, the Stars out of the wallet)──►
    refunding ──┬─ Telegram: done, or CHARGE_ALREADY_REFUNDED ────────────────► refunded
                ├─ Telegram refuses (a 4xx) ── the Stars back in the wallet ──► succeeded | underpaid
                └─ no answer (a timeout, a 5xx, flood control) ───────────────► refunding, asked again
                   by the reconciliation worker (backing off) or by RefundTelegramPayment repeated

Telegram is never called inside a transaction. The money moves first, in one committed
transaction under the payment's row lock: the order the payment settled, when something of it is
left to refund, is refunded as RefundOrder refunds it (to the wallet, its delivery reversed, the
referral commissions clawed back), except that what it delivered must come back in full; then the
Stars the charge credited leave the wallet for `provider:telegram_stars` (a `refund` transfer,
reference payment:<id>), all in one `post_many`. A wallet that cannot give them (spent, or tokens
of the order spent) refuses the refund (INSUFFICIENT_FUNDS) and nothing changes. So whatever
becomes of the call, the wallet no longer holds Stars that Telegram may be giving back.

refundStarPayment is safe to repeat (a charge refunded already answers CHARGE_ALREADY_REFUNDED,
which the adapter counts as done), so an unknown outcome is settled by asking again. One caller
asks at a time: under the row lock it takes `refund_call_until`, a lease longer than any Bot API
call may take, and another caller finding it taken returns the payment as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

import structlog

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import DomainError, Violations
from core_server.domain.events import emit
from core_server.domain.idempotency import IdempotencyKey, claim_or_find
from core_server.domain.money import ledger
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.orders.refunds import refund_whole, refundable_rest
from core_server.domain.orders.service import lock_order
from core_server.domain.payments.configs import adapter_of, configured, decrypted
from core_server.domain.payments.model import (
    CREDITED,
    Payment,
    PaymentStatus,
    credited_status,
    move,
    payment_event,
    to_payment,
)
from core_server.domain.payments.service import FIRST_CHECK, next_interval
from core_server.domain.payments.stars import PROVIDER, STARS
from core_server.domain.provider_api import (
    BOT_TOKEN,
    ChargeRefunds,
    ProviderConfig,
    ProviderRejected,
    ProviderUnavailable,
)
from core_server.domain.reasons import PaymentNotFound, PaymentNotRefundable, ProviderRefused
from core_server.domain.subscriptions.plans import leave_to_wallet_for_refund
from core_server.domain.users.service import Platform
from core_server.store.models import PaymentRow
from core_server.store.repositories import idempotency as idem_repo
from core_server.store.repositories import payments as repo
from core_server.store.repositories import users as users_repo
from core_server.store.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# How long a caller holds the Bot API call: longer than any call may take (the adapters' client
# gives up after 5 s connecting and 15 s waiting), so a lease that ran out was left by a caller
# that died, and the next one may ask.
CALL_LEASE = dt.timedelta(minutes=2)
REASON_LIMIT, ACTOR_LIMIT = 500, 100


class Answer(StrEnum):
    """What came of asking Telegram to refund a charge."""

    DONE = "done"  # refunded, now or before
    REFUSED = "refused"  # a refusal for good: nothing was refunded
    UNKNOWN = "unknown"  # no answer that says: ask again


@dataclass(frozen=True, slots=True)
class _Call:
    """One Bot API call a caller holds the lease of (until `lease`)."""

    payment: uuid.UUID
    config: ProviderConfig
    payer: str
    charge: str
    lease: dt.datetime | None = None


def _provider_account() -> System:
    return System(f"provider:{PROVIDER}")


class StarsRefunds:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def refund(self, actor: Actor, key: IdempotencyKey | None, payment_id: str, reason: str, who: str) -> Payment:
        """RefundTelegramPayment: start the refund (or take up one under way) and ask Telegram.
        A refusal by Telegram, once the Stars are back in the wallet, raises PROVIDER_REJECTED;
        no answer returns the payment refunding."""
        v = Violations()
        payment = v.id("payment_id", payment_id)
        reason = v.check_text("reason", reason, max_length=REASON_LIMIT, required=True, multiline=True)
        who = v.check_text("actor", who, max_length=ACTOR_LIMIT, required=True)
        v.raise_if_any()
        assert payment is not None
        started, call = await self._start(actor, key, payment, reason, who)
        if call is None:
            return started
        answer, why = await self._ask(call)
        result = await self._finish(actor.tenant, call, answer, why)
        if answer is Answer.REFUSED:
            raise ProviderRefused(f"Telegram refused the refund ({why}): the Stars are back in the wallet")
        return result

    async def retry(self, tenant: uuid.UUID, payment: uuid.UUID) -> Payment | None:
        """The reconciliation worker's step for a refund whose outcome is unknown: ask again, when
        the payment is still refunding and nobody else is asking."""
        call = await self._take_call(tenant, payment)
        if call is None:
            return None
        answer, why = await self._ask(call)
        return await self._finish(tenant, call, answer, why)

    # --- the transaction before the call ---------------------------------------------------------

    async def _start(
        self, actor: Actor, key: IdempotencyKey | None, payment: uuid.UUID, reason: str, who: str
    ) -> tuple[Payment, _Call | None]:
        """Under the payment's row lock: a credited payment's money moves and it becomes
        refunding; a refunding one is asked about again. The call's lease is taken when free."""
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            replay = key is not None and await claim_or_find(uow, tenant, key, now) is not None
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            if row is None:
                raise PaymentNotFound(str(payment))
            if row.provider != PROVIDER:
                raise PaymentNotRefundable(
                    f"a {row.provider} payment: only Telegram Stars payments are refunded to their provider",
                    metadata={"provider": row.provider},
                )
            status = PaymentStatus(row.status)
            if status is PaymentStatus.REFUNDED or (replay and status is not PaymentStatus.REFUNDING):
                return to_payment(row), None  # done, or a repeated request_id: no second refund
            if status not in CREDITED and status is not PaymentStatus.REFUNDING:
                what = f"the payment is {status}: nothing credited to refund"
                raise PaymentNotRefundable(what, metadata={"status": status})
            call = await self._call_of(uow, row)
            if status in CREDITED:
                await self._take_back(uow, actor, row, reason, who, now)
            lease = _take_lease(row, now)
            if key is not None and not replay:
                await idem_repo.complete(uow, tenant, key.method, key.request_id, response=str(row.id).encode())
            await uow.session.flush()
            result = to_payment(row)
            await uow.commit()
        return result, dataclasses.replace(call, lease=lease) if lease is not None else None

    async def _take_call(self, tenant: uuid.UUID, payment: uuid.UUID) -> _Call | None:
        """The worker's lease of the call, when the payment is still refunding, due and free."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, payment, for_update=True)
            if row is None or row.status != PaymentStatus.REFUNDING or row.next_check_at > now:
                return None
            if row.refund_call_until is not None and row.refund_call_until > now:
                return None  # a caller is asking now
            try:
                call = await self._call_of(uow, row)
            except DomainError:  # the bot token was removed, say: not again before the next turn
                _ask_later(row, now)
                await uow.commit()
                raise
            lease = _take_lease(row, now)
            await uow.commit()
        return dataclasses.replace(call, lease=lease)

    async def _call_of(self, uow: UnitOfWork, row: PaymentRow) -> _Call:
        """What the call needs: the tenant's bot (its token) and the payer's Telegram id. Checked
        before any money moves, so a refund that could never be asked for is refused first."""
        if not row.provider_ref or row.credit_transfer_id is None or row.received_asset != STARS:
            raise PaymentNotRefundable("the payment holds no charge in Stars that was credited")
        user = await users_repo.get_user(uow, row.tenant_id, row.user_id)
        telegram_id = user is not None and user.external_id.isascii() and user.external_id.isdigit()
        if user is None or user.platform != Platform.TELEGRAM or not telegram_id:
            raise PaymentNotRefundable("the payer has no Telegram user id to refund to")
        config = await decrypted(self._deps, uow, await configured(self._deps, uow, row.tenant_id, PROVIDER))
        if not config.secret(BOT_TOKEN):
            raise ProviderRefused(f"{PROVIDER} acts as the tenant's bot: set the tenant's bot token first")
        return _Call(row.id, config, user.external_id, row.provider_ref)

    async def _take_back(
        self, uow: UnitOfWork, actor: Actor, row: PaymentRow, reason: str, who: str, now: dt.datetime
    ) -> None:
        """Refund the order the payment settled (what is left of it), then take the charge's Stars
        out of the wallet, in one `post_many`; the payment becomes refunding. Locks: the payment
        (held), its order, the order's subscription, then the ledger's own order."""
        tenant, feed = row.tenant_id, self._deps.feed
        amount = row.received_amount or 0
        out = Posting(
            Wallet(row.user_id), _provider_account(), amount, "refund",
            reference=f"payment:{row.id}", reason=reason, actor=who,
        )  # fmt: skip
        order = await lock_order(uow, tenant, str(row.order_id)) if row.order_id and row.order_settled else None
        renewal_left = False
        if order is not None:  # the plan this charge renewed is no longer Telegram's to renew
            renewal_left = await leave_to_wallet_for_refund(uow, tenant, order.delivery or {}, order.id, PROVIDER, now)
        order_refunded = order is not None and refundable_rest(order) > 0
        if order is not None and order_refunded:
            transfers = await refund_whole(self._deps, uow, actor, order, reason, who, now, [(STARS, out)])
        else:
            transfers = await ledger.post(uow, feed, tenant, STARS, [out], now)
        [taken] = [t for t in transfers if t.credit == _provider_account() and t.kind == "refund"]
        before = {"status": row.status}
        move(row, PaymentStatus.REFUNDING, now)
        row.checks, row.next_check_at = 0, now + FIRST_CHECK
        await uow.session.flush()
        data = payment_event(
            row, refund_transfer_id=str(taken.id), order_refunded=order_refunded, reason=reason,
            plan_left_to_wallet=renewal_left,
        )  # fmt: skip
        await emit(uow, feed, tenant, "payment.refunding", data, now)
        target = ("payment", str(row.id))
        audit.record(uow, actor, who, "payment.refund", target, reason, before, {"status": row.status}, now)

    # --- the call, and the transaction after it ---------------------------------------------------

    async def _ask(self, call: _Call) -> tuple[Answer, str]:
        adapter = adapter_of(self._deps, PROVIDER)
        if not isinstance(adapter, ChargeRefunds):
            return Answer.REFUSED, f"{PROVIDER} cannot refund"
        try:
            await adapter.refund_charge(call.config, call.payer, call.charge)
        except ProviderUnavailable as error:
            log.info("telegram refund unanswered", payment=str(call.payment), why=str(error)[:200])
            return Answer.UNKNOWN, str(error)
        except ProviderRejected as error:
            log.warning("telegram refused a refund", payment=str(call.payment), why=str(error)[:200])
            return Answer.REFUSED, str(error)
        return Answer.DONE, ""

    async def _finish(self, tenant: uuid.UUID, call: _Call, answer: Answer, why: str) -> Payment:
        """Apply Telegram's answer under the row lock and give the lease back (unless it ran out
        and another caller holds it now: its answer, about the same charge, comes too)."""
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await repo.get_payment(uow, tenant, call.payment, for_update=True)
            assert row is not None
            if row.refund_call_until == call.lease:
                row.refund_call_until = None
            if row.status == PaymentStatus.REFUNDING:
                await self._apply(uow, row, answer, why, now)
            await uow.session.flush()
            result = to_payment(row)
            await uow.commit()
        return result

    async def _apply(self, uow: UnitOfWork, row: PaymentRow, answer: Answer, why: str, now: dt.datetime) -> None:
        tenant, feed = row.tenant_id, self._deps.feed
        if answer is Answer.DONE:
            move(row, PaymentStatus.REFUNDED, now)
            row.provider_status = "refunded"
            await emit(uow, feed, tenant, "payment.refunded", payment_event(row), now)
        elif answer is Answer.REFUSED:
            back = Posting(
                _provider_account(), Wallet(row.user_id), row.received_amount or 0, "reversal",
                reference=f"payment:{row.id}", reason=f"Telegram refused the refund: {why}"[:500],
            )  # fmt: skip
            [returned] = await ledger.post(uow, feed, tenant, STARS, [back], now)
            move(row, credited_status(row), now)
            data = payment_event(row, returned_transfer_id=str(returned.id), why=why[:500])
            await emit(uow, feed, tenant, "payment.refund_failed", data, now)
        else:
            _ask_later(row, now)


def _ask_later(row: PaymentRow, now: dt.datetime) -> None:
    """The next turn of the reconciliation worker: 30 s after the first unanswered ask, doubling."""
    row.next_check_at = now + next_interval(row.checks)
    row.checks += 1


def _take_lease(row: PaymentRow, now: dt.datetime) -> dt.datetime | None:
    """Hold the Bot API call of the payment (until when), unless another caller holds it now."""
    if row.refund_call_until is not None and row.refund_call_until > now:
        return None
    row.refund_call_until = now + CALL_LEASE
    return row.refund_call_until
