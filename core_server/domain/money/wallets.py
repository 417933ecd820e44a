"""Wallet use cases: balances, history, adjustments, usage charges and the ledger check."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit, encode_around, encode_later
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.idempotency import IdempotencyKey, check_request_id, claim_or_find, key_reused
from core_server.domain.money import ledger
from core_server.domain.money.amounts import MAX_BALANCE, InsufficientFunds, Money, check_asset, check_money
from core_server.domain.money.assets import require_asset
from core_server.domain.money.ledger import ADJUSTMENTS, REVENUE, Posting, System, Transfer, Wallet
from core_server.domain.paging import before_id, next_page_token, page_request
from core_server.domain.reasons import AssetNotFound, UserBlocked, UserNotFound
from core_server.domain.tenant_reads import TENANT_TRANSFER_READS
from core_server.store.charge_params import ChargeParams, Outcome
from core_server.store.ids import new_id
from core_server.store.models import AuditRow, IdempotencyRow
from core_server.store.raw_tx import Later
from core_server.store.repositories import audit as audit_repo
from core_server.store.repositories import idempotency as idem_repo
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.repositories import ledger_writes
from core_server.store.repositories import users as users_repo
from core_server.store.unit_of_work import UnitOfWork

KINDS = frozenset(
    {
        "adjustment",
        "usage",
        "hold_capture",
        "topup",
        "order_payment",
        "delivery",
        "referral_commission",
        "refund",
        "reversal",
        "promo",
        "payout",
    }
)
EXPORT_BATCH = 500


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    posted: int
    held: int

    @property
    def available(self) -> int:
        return self.posted - self.held


async def require_user(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, user_text: str) -> None:
    if await users_repo.get_user(uow, tenant, user) is None:
        raise UserNotFound(user_text)


async def require_buyer(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, user_text: str) -> None:
    """The user of a call the user makes for themselves (order, pay, redeem, ask for a top-up or
    a payout): the tenant's, and not blocked by its admin. Staff actions on a user (adjust,
    refund, decide a request) use `require_user`: a blocked user's account can still be settled."""
    row = await users_repo.get_user(uow, tenant, user)
    if row is None:
        raise UserNotFound(user_text)
    if row.blocked:
        raise UserBlocked(user_text)


async def balance_of(uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, asset: str) -> Balance:
    for row in await ledger_repo.wallets_of(uow, tenant, user):
        if row.asset == asset:
            return Balance(asset, row.balance, row.held)
    return Balance(asset, 0, 0)


async def explain_short(
    uow: UnitOfWork, tenant: uuid.UUID, user: uuid.UUID, user_text: str, money: Money
) -> InsufficientFunds:
    """Why a debit found nothing to take from: no such user or asset (NOT_FOUND), else short funds."""
    await require_user(uow, tenant, user, user_text)
    await require_asset(uow, tenant, money.asset)
    return InsufficientFunds(money.asset, money.amount)


@dataclass(frozen=True, slots=True)
class _Adjustment:
    """A checked AdjustBalance request, and what it posts and records (on either path)."""

    user: uuid.UUID
    money: Money
    credit: bool
    reason: str
    who: str

    def posting(self) -> Posting:
        wallet, adjustments = Wallet(self.user), System(ADJUSTMENTS)
        debit, credit_side = (adjustments, wallet) if self.credit else (wallet, adjustments)
        return Posting(debit, credit_side, self.money.amount, "adjustment", reason=self.reason, actor=self.who)

    @property
    def delta(self) -> int:
        return self.money.amount if self.credit else -self.money.amount

    def event(self, transfer: Transfer, posted: int | Later) -> dict[str, object]:
        return {
            "user_id": str(self.user),
            "asset": self.money.asset,
            "delta_minor": self.delta,
            "balance_minor": posted,
            "transfer_id": str(transfer.id),
            "reason": self.reason,
            "actor": self.who,
        }

    def audit_states(self, posted: int | Later) -> tuple[dict[str, Any], dict[str, Any]]:
        """Before is after less the change: the posting's row lock makes that exact."""
        before = posted.plus(-self.delta) if isinstance(posted, Later) else posted - self.delta
        return {"asset": self.money.asset, "posted_minor": before}, {"asset": self.money.asset, "posted_minor": posted}

    def audit_entry(self, actor: Actor, posted: int, now: dt.datetime) -> AuditRow:
        """The entry (with Later balances the insert replaces its before and after: audit_repo.insert)."""
        before, after = self.audit_states(posted)
        target = ("wallet", str(self.user))
        return audit.entry(actor, self.who, "balance.adjusted", target, self.reason, before, after, now)


def _adjustment(user_id: str, money: Money | None, credit: bool | None, reason: str, who: str) -> _Adjustment:
    violations = Violations()
    user = violations.id("user_id", user_id)
    check_money(violations, "amount", money)
    if credit is None:
        violations.add("direction", "is required")
    reason = violations.check_text("reason", reason, max_length=500, required=True, multiline=True)
    who = violations.check_text("actor", who, max_length=100, required=True)
    violations.raise_if_any()
    assert user is not None
    assert money is not None
    assert credit is not None
    return _Adjustment(user, money, credit, reason.strip(), who.strip())


class WalletService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def get_balances(self, actor: Actor, user_id: str, assets: Sequence[str]) -> list[Balance]:
        v = Violations()
        user = v.id("user_id", user_id)
        assets = [check_asset(v, f"assets[{index}]", code) for index, code in enumerate(assets)]
        v.raise_if_any()
        assert user is not None
        view = await self._deps.reads.balances(actor.tenant, user, assets)
        if not view.user_found:
            raise UserNotFound(user_id)
        for code in assets:  # the first unknown one, in the order asked
            if code not in view.assets:
                raise AssetNotFound(code)
        return [Balance(code, *view.wallets.get(code, (0, 0))) for code in sorted(view.assets)]

    async def list_transfers(
        self,
        actor: Actor,
        user_id: str,
        asset: str,
        kinds: Sequence[str],
        start: dt.datetime | None,
        end: dt.datetime | None,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[Transfer], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        actor.require_user_filter(user_id)
        actor.require_staff_for_tenant_read(user_id, TENANT_TRANSFER_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        asset = check_asset(v, "asset", asset) if asset.strip() else ""
        for kind in kinds:
            if kind not in KINDS:
                v.add("kinds", f"unknown kind {kind!r}")
        if start and end and start >= end:
            v.add("end_time", "must be after start_time")
        filters = {"u": user_id, "a": asset, "k": sorted(kinds), "s": start, "e": end}
        page = page_request(page_size, page_token, filters, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            accounts: list[uuid.UUID] | None = None
            if user is not None:
                await require_user(uow, actor.tenant, user, user_id)
                accounts = [row.id for row in await ledger_repo.wallets_of(uow, actor.tenant, user)]
            conditions = ledger_repo.transfer_filters(actor.tenant, accounts, asset, kinds, start, end)
            rows = await ledger_repo.list_transfers(uow, conditions, before=before, limit=page.size + 1)
            transfers = await ledger.to_transfers(uow, actor.tenant, rows[: page.size])
        return transfers, next_page_token(page, transfers[-1].id.hex if transfers else None, len(rows) > page.size)

    async def adjust(
        self, actor: Actor, user_id: str, money: Money | None, credit: bool | None, reason: str, who: str
    ) -> tuple[Transfer, Balance]:
        change = _adjustment(user_id, money, credit, reason, who)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_user(uow, tenant, change.user, user_id)
            await require_asset(uow, tenant, change.money.asset)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, change.money.asset, [change.posting()], now)
            after = await balance_of(uow, tenant, change.user, change.money.asset)
            await emit(uow, self._deps.feed, tenant, "balance.adjusted", change.event(transfer, after.posted), now)
            audit_repo.add(uow, change.audit_entry(actor, after.posted, now))
            await uow.commit()
        return transfer, after

    async def adjust_fast(
        self,
        unit: FastUnit,
        actor: Actor,
        user_id: str,
        money: Money | None,
        credit: bool | None,
        reason: str,
        who: str,
    ) -> tuple[Transfer, Balance]:
        """`adjust` on a fast unit: the same posting, event and audit entry in a few statements
        (TakeOrmPath when the user or asset is unknown: the ORM path says which). On PostgreSQL
        they are the unit's one statement, and the balances it computes are answered with
        (FastUnit.answer_with: the Balance returned holds zeros, and its transfer's wallet balance
        after, until the caller's patch puts the statement's values in)."""
        change = _adjustment(user_id, money, credit, reason, who)
        asset = change.money.asset
        if unit.tx.dialect == "postgresql":
            transfer, wallet = ledger.post_later(unit, asset, change.posting())
            unit.emit("balance.adjusted", change.event(transfer, wallet.balance))
            before, after_state = change.audit_states(wallet.balance)
            entry = change.audit_entry(actor, 0, unit.now)  # its texts: the statement's, below
            audit_repo.insert(unit.tx, entry, before=encode_later(before), after=encode_later(after_state))
            unit.answer_with(wallet.balance, wallet.held)
            return transfer, Balance(asset, 0, 0)
        if not await ledger_writes.user_and_asset_exist(unit.tx, unit.tenant, change.user, asset):
            raise TakeOrmPath("an unknown user or asset to explain")
        [transfer] = await ledger.post_raw(unit, [(asset, change.posting())])
        after = Balance(asset, *await ledger_writes.wallet_balance(unit.tx, unit.tenant, asset, change.user))
        unit.emit("balance.adjusted", change.event(transfer, after.posted))
        audit_repo.insert(unit.tx, change.audit_entry(actor, after.posted, unit.now))
        return transfer, after

    async def charge_usage(
        self, actor: Actor, key: IdempotencyKey | None, user_id: str, money: Money | None, reference: str
    ) -> Transfer:
        violations = Violations()
        user = violations.id("user_id", user_id)
        check_money(violations, "amount", money)
        violations.check_text("reference", reference, max_length=200)
        if key is not None:  # the fast path writes the record itself, without claim_or_find
            check_request_id(key.request_id, violations)
        violations.raise_if_any()
        assert user is not None
        assert money is not None
        if self._deps.fastpath is not None:
            return await self._charge_fast(actor.tenant, key, user, user_id, money, reference)
        return await self._charge(actor.tenant, key, user, user_id, money, reference)

    async def _charge(
        self,
        tenant: uuid.UUID,
        key: IdempotencyKey | None,
        user: uuid.UUID,
        user_text: str,
        money: Money,
        reference: str,
    ) -> Transfer:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            if key is not None and key.request_id:
                record = await claim_or_find(uow, tenant, key, now)
                if record is not None:
                    return await self._replay(uow, tenant, record)
            posting = Posting(Wallet(user), System(REVENUE), money.amount, "usage", reference=reference)
            try:
                [transfer] = await ledger.post(uow, self._deps.feed, tenant, money.asset, [posting], now)
            except InsufficientFunds:
                raise await explain_short(uow, tenant, user, user_text, money) from None
            if key is not None and key.request_id:
                await idem_repo.complete(uow, tenant, key.method, key.request_id, transfer_id=transfer.id)
            await uow.commit()
        return transfer

    async def _charge_fast(
        self,
        tenant: uuid.UUID,
        key: IdempotencyKey | None,
        user: uuid.UUID,
        user_text: str,
        money: Money,
        reference: str,
    ) -> Transfer:
        assert self._deps.fastpath is not None
        buckets = ledger_repo.cached_bucket_ids(tenant, money.asset, REVENUE)
        if buckets is None:  # the first charge of this tenant and asset here: the ORM path learns the ids
            return await self._charge(tenant, key, user, user_text, money, reference)
        now = self._deps.clock.now()
        transfer_id = new_id()
        event = {
            "user_id": str(user),
            "asset": money.asset,
            "amount_minor": money.amount,
            "transfer_id": str(transfer_id),
            "kind": "usage",
            "reference": reference,
        }
        prefix, suffix = encode_around(event, "balance_minor")  # the statement puts the balance between
        params = ChargeParams(
            tenant,
            user,
            money.asset,
            money.amount,
            random.choice(buckets),
            transfer_id,
            "usage",
            reference,
            now,
            "wallet.debited",
            prefix,
            suffix,
            MAX_BALANCE,
            key.method if key else "",
            key.request_id if key else "",
            key.request_hash if key else b"",
        )
        result = await self._deps.fastpath.charge(params)
        if result.outcome is Outcome.POSTED:
            self._deps.feed.notify(tenant)
            return Transfer(
                id=transfer_id,
                asset=money.asset,
                kind="usage",
                amount=money.amount,
                debit=Wallet(user),
                credit=System(REVENUE),
                reference=reference,
                link_id=None,
                reason="",
                actor="",
                debit_balance_after=result.balance_after,
                credit_balance_after=None,
                created_at=now,
            )
        if result.outcome is Outcome.NO_SYSTEM_ACCOUNT:
            ledger_repo.forget_buckets(tenant, money.asset, REVENUE)
            return await self._charge(tenant, key, user, user_text, money, reference)
        async with self._deps.uow() as uow:
            if key is not None and key.request_id:
                record = await idem_repo.get(uow, tenant, key.method, key.request_id)
                if record is not None:
                    if record.request_hash != key.request_hash:
                        raise key_reused()
                    return await self._replay(uow, tenant, record)
            raise await explain_short(uow, tenant, user, user_text, money)

    async def _replay(self, uow: UnitOfWork, tenant: uuid.UUID, record: IdempotencyRow) -> Transfer:
        assert record.transfer_id is not None
        row = await ledger_repo.get_transfer(uow, tenant, record.transfer_id)
        assert row is not None
        [transfer] = await ledger.to_transfers(uow, tenant, [row])
        return transfer

    async def verify(self, actor: Actor) -> ledger.Verification:
        async with self._deps.read_uow() as uow:
            return await ledger.verify(uow, actor.tenant)

    async def export(
        self,
        actor: Actor,
        asset: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
        violations: Violations | None = None,
    ) -> AsyncIterator[list[Transfer]]:
        """Batches oldest first; each batch is its own short query, so memory and transaction
        length stay constant however long the export runs. `violations`: those found converting
        the request, reported with the filters' own."""
        v = violations if violations is not None else Violations()
        asset = check_asset(v, "asset", asset) if asset.strip() else ""
        if start and end and start >= end:
            v.add("end_time", "must be after start_time")
        v.raise_if_any()
        conditions = ledger_repo.transfer_filters(actor.tenant, None, asset, (), start, end)
        after: uuid.UUID | None = None
        while True:
            async with self._deps.read_uow() as uow:
                rows = await ledger_repo.export_batch(uow, conditions, after=after, limit=EXPORT_BATCH)
                batch = await ledger.to_transfers(uow, actor.tenant, rows)
            if not batch:
                return
            yield batch
            after = batch[-1].id
            if len(batch) < EXPORT_BATCH:
                return
