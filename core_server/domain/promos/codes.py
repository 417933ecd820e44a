"""Promo codes as admins manage them and users redeem them (credit codes); discount codes are
applied by orders.py through promos.py."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money import ledger
from core_server.domain.money.amounts import Money, check_money
from core_server.domain.money.assets import require_asset
from core_server.domain.money.ledger import Posting, System, Transfer, Wallet
from core_server.domain.money.wallets import require_buyer
from core_server.domain.paging import next_page_token, page_request
from core_server.domain.promos.uses import (
    CREDIT,
    PERCENT_DISCOUNT,
    PromoKind,
    check_usable,
    new_use,
    normalize,
    take_use,
)
from core_server.domain.reasons import PromoCodeNotFound, PromoExists, PromoNotApplicable, UserBlocked
from core_server.store.models import PromoRow
from core_server.store.repositories import ledger as ledger_repo
from core_server.store.repositories import promos as repo
from core_server.store.unit_of_work import UnitOfWork

CODE = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
PROMO_EXPENSE = "promo_expense"
MAX_RESTRICTIONS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoSpec:
    """What an admin gives when creating a code (kind None: not given)."""

    code: str
    kind: PromoKind | None
    credit: Money | None
    percent_bps: int
    per_user_limit: int
    total_limit: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    package_ids: Sequence[str]
    categories: Sequence[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Promo:
    code: str
    kind: PromoKind
    credit: Money | None
    percent_bps: int
    per_user_limit: int
    total_limit: int
    used_count: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    package_ids: tuple[str, ...]
    categories: tuple[str, ...]
    disabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Redemption:
    promo: Promo
    transfer: Transfer


def to_promo(row: PromoRow) -> Promo:
    credit = Money(row.credit_asset, row.credit_amount) if row.credit_asset and row.credit_amount else None
    return Promo(
        code=row.code,
        kind=PromoKind(row.kind),
        credit=credit,
        percent_bps=row.percent_bps,
        per_user_limit=row.per_user_limit,
        total_limit=row.total_limit,
        used_count=row.used_count,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        package_ids=tuple(row.package_ids or ()),
        categories=tuple(row.categories or ()),
        disabled=row.disabled,
        created_at=row.created_at,
    )


def promo_record(promo: Promo) -> dict[str, Any]:
    """The code as events and audit entries show it."""
    return {
        "code": promo.code,
        "kind": promo.kind,
        "credit_asset": promo.credit.asset if promo.credit else None,
        "credit_minor": promo.credit.amount if promo.credit else None,
        "percent_bps": promo.percent_bps,
        "per_user_limit": promo.per_user_limit,
        "total_limit": promo.total_limit,
        "used_count": promo.used_count,
        "start_time": promo.starts_at,
        "end_time": promo.ends_at,
        "package_ids": list(promo.package_ids),
        "categories": list(promo.categories),
        "disabled": promo.disabled,
    }


def _check_spec(spec: PromoSpec, v: Violations) -> tuple[list[uuid.UUID], list[str]]:
    """Every field rule of CreatePromoCode at once, raised with the violations `v` holds already
    (those found converting the request); returns the parsed package ids and categories."""
    if not CODE.match(spec.code.strip()):
        v.add("promo_code.code", "must be 3 to 32 letters, digits, - or _")
    if spec.kind is CREDIT:
        check_money(v, "promo_code.credit", spec.credit)
        if spec.percent_bps:
            v.add("promo_code.percent_bps", "is only for percent discount codes")
        if spec.package_ids or spec.categories:
            v.add("promo_code.package_ids", "only discount codes are restricted to packages or categories")
    elif spec.kind is PERCENT_DISCOUNT:
        if not 1 <= spec.percent_bps <= 10_000:
            v.add("promo_code.percent_bps", "must be between 1 and 10000 basis points")
        if spec.credit is not None:
            v.add("promo_code.credit", "is only for credit codes")
    else:
        v.add("promo_code.kind", "is required")
    if spec.per_user_limit < 0:
        v.add("promo_code.per_user_limit", "must not be negative")
    if spec.total_limit < 0:
        v.add("promo_code.total_limit", "must not be negative")
    if spec.starts_at and spec.ends_at and spec.starts_at >= spec.ends_at:
        v.add("promo_code.end_time", "must be after start_time")
    if len(spec.package_ids) > MAX_RESTRICTIONS:
        v.add("promo_code.package_ids", f"at most {MAX_RESTRICTIONS}")
    if len(spec.categories) > MAX_RESTRICTIONS:
        v.add("promo_code.categories", f"at most {MAX_RESTRICTIONS}")
    packages = [
        package
        for index, text in enumerate(spec.package_ids)
        if (package := v.id(f"promo_code.package_ids[{index}]", text)) is not None
    ]
    categories = [
        v.check_text(f"promo_code.categories[{index}]", category, max_length=50, required=True)
        for index, category in enumerate(spec.categories)
    ]
    v.raise_if_any()
    return packages, list(dict.fromkeys(categories))


async def _check_packages(uow: UnitOfWork, tenant: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """A restriction to a package of no one (or of another tenant) would silently match nothing."""
    if not ids:
        return
    known = await repo.known_packages(uow, tenant, ids)
    v = Violations()
    for index, package in enumerate(ids):
        if package not in known:
            v.add(f"promo_code.package_ids[{index}]", "is not a package of this tenant")
    v.raise_if_any()


async def _lock(uow: UnitOfWork, tenant: uuid.UUID, code: str) -> PromoRow:
    row = await repo.get_promo(uow, tenant, code, for_update=True)
    if row is None:
        raise PromoCodeNotFound(code)
    return row


def _posting(row: PromoRow, user: uuid.UUID) -> Posting:
    assert row.credit_amount is not None
    return Posting(System(PROMO_EXPENSE), Wallet(user), row.credit_amount, "promo", reference=f"promo:{row.code}")


def _redeemed(promo: Promo, user: uuid.UUID, transfer: Transfer) -> dict[str, object]:
    return {
        "code": promo.code,
        "user_id": str(user),
        "asset": transfer.asset,
        "amount_minor": transfer.amount,
        "transfer_id": str(transfer.id),
        "used_count": promo.used_count,
    }


def _check_code(v: Violations, field: str, code: str) -> str:
    """A code as a request names it; normalized (upper-cased), it must still fit a code's 32."""
    return normalize(v.check_text(field, code, max_length=32, required=True, fold=str.upper))


def _code_key(text: str) -> str:
    """The key of ListPromoCodes pages: a code as stored."""
    if not CODE.match(text) or text != normalize(text):
        raise ValueError("not a promo code")
    return text


class PromoCodeService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def create(self, actor: Actor, spec: PromoSpec, violations: Violations | None = None) -> Promo:
        """Create a code; `violations` are those found converting the request, reported with the
        spec's own."""
        packages, categories = _check_spec(spec, violations if violations is not None else Violations())
        tenant, now = actor.tenant, self._deps.clock.now()
        values: dict[str, Any] = {
            "tenant_id": tenant,
            "code": normalize(spec.code),
            "kind": spec.kind,
            "credit_asset": spec.credit.asset if spec.kind is CREDIT and spec.credit else None,
            "credit_amount": spec.credit.amount if spec.kind is CREDIT and spec.credit else None,
            "percent_bps": spec.percent_bps,
            "per_user_limit": spec.per_user_limit or 1,
            "total_limit": spec.total_limit,
            "used_count": 0,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            # Canonical text, so promos.reserve_discount can compare with str(package.id).
            "package_ids": [str(package) for package in dict.fromkeys(packages)],
            "categories": categories,
            "disabled": False,
            "created_at": now,
        }
        async with self._deps.uow() as uow:
            if values["credit_asset"]:
                await require_asset(uow, tenant, values["credit_asset"])
            await _check_packages(uow, tenant, packages)
            if not await repo.insert_promo_if_absent(uow, values):
                raise PromoExists(f"promo code {values['code']} exists")
            row = await repo.get_promo(uow, tenant, values["code"])
            assert row is not None
            promo = to_promo(row)
            await emit(uow, self._deps.feed, tenant, "promo.created", promo_record(promo), now)
            audit.record(uow, actor, "", "promo.created", ("promo_code", promo.code), "", {}, promo_record(promo), now)
            await uow.commit()
        return promo

    async def list_codes(
        self, actor: Actor, include_disabled: bool, page_size: int, page_token: str
    ) -> tuple[list[Promo], str]:
        page = page_request(page_size, page_token, {"d": include_disabled}, key=_code_key)
        async with self._deps.read_uow() as uow:
            rows = await repo.list_promos(
                uow, actor.tenant, include_disabled=include_disabled, after=page.after, limit=page.size + 1
            )
            promos = [to_promo(row) for row in rows[: page.size]]
        return promos, next_page_token(page, promos[-1].code if promos else None, len(rows) > page.size)

    async def disable(self, actor: Actor, code: str) -> Promo:
        """Disabling a disabled code changes nothing and records nothing: the state asked for holds."""
        v = Violations()
        code = _check_code(v, "code", code)
        v.raise_if_any()
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await _lock(uow, tenant, code)
            if row.disabled:
                return to_promo(row)
            before = promo_record(to_promo(row))
            row.disabled = True
            await uow.session.flush()
            promo = to_promo(row)
            await emit(uow, self._deps.feed, tenant, "promo.disabled", promo_record(promo), now)
            audit.record(uow, actor, "", "promo.disabled", ("promo_code", code), "", before, promo_record(promo), now)
            await uow.commit()
        return promo

    async def redeem(self, actor: Actor, user_id: str, code: str) -> Redemption:
        """Credit a credit code to a user's wallet.

        Once the user has used the code as often as its per-user limit allows, redeeming again is
        not an error: it answers with the user's latest redemption and its transfer, crediting
        nothing, so a retried or double-tapped redeem is harmless. That answer is given even if the
        code was disabled or ran out since; the limit, window and total are checked only for a new
        use. The code's row lock serializes every use, so no limit is passed however many race.
        """
        v = Violations()
        user = v.id("user_id", user_id)
        code = _check_code(v, "code", code)
        v.raise_if_any()
        assert user is not None
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_buyer(uow, tenant, user, user_id)
            row = await _lock(uow, tenant, code)
            if row.kind != CREDIT:
                raise PromoNotApplicable("this code gives a discount: enter it when ordering")
            latest = await self._latest_redemption(uow, row, user)
            if latest is not None:
                return latest
            check_usable(row, now)
            assert row.credit_asset is not None
            assert row.credit_amount is not None
            use = await take_use(uow, row, user, now)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, row.credit_asset, [_posting(row, user)], now)
            use.transfer_id = transfer.id
            await uow.session.flush()
            promo = to_promo(row)
            await emit(uow, self._deps.feed, tenant, "promo.redeemed", _redeemed(promo, user, transfer), now)
            await uow.commit()
        return Redemption(promo=promo, transfer=transfer)

    async def redeem_fast(self, unit: FastUnit, user_id: str, code: str) -> Redemption:
        """`redeem` on a fast unit, for a new use of a usable credit code; anything else (an unknown
        user or code, a discount code, a user with no use left, whose latest redemption is the
        answer, a refusal) takes the ORM path, which answers exactly."""
        v = Violations()
        user = v.id("user_id", user_id)
        code = _check_code(v, "code", code)
        v.raise_if_any()
        assert user is not None
        found = await repo.lock_for_use(unit.tx, unit.tenant, code, user)
        if found is None:
            raise TakeOrmPath("an unknown code")
        row, user_blocked, used = found
        if user_blocked is None or row.kind != CREDIT or used >= max(row.per_user_limit, 1):
            raise TakeOrmPath("an unknown user, a discount code or a replay")
        if user_blocked:  # read in the code's locking statement: no round trip of its own
            raise UserBlocked(user_id)
        check_usable(row, unit.now)
        assert row.credit_asset is not None
        use = new_use(row, user, used, unit.now)
        if unit.tx.dialect == "postgresql":  # the credit joins the use's writes in the last statement
            transfer, wallet = ledger.post_later(unit, row.credit_asset, _posting(row, user))
            unit.answer_with(wallet.balance)  # the transfer's balance after (the caller's patch)
        else:
            [transfer] = await ledger.post_raw(unit, [(row.credit_asset, _posting(row, user))])
        use.transfer_id = transfer.id
        repo.count_use(unit.tx, row, use)
        promo = to_promo(row)
        unit.emit("promo.redeemed", _redeemed(promo, user, transfer))
        return Redemption(promo=promo, transfer=transfer)

    async def _latest_redemption(self, uow: UnitOfWork, row: PromoRow, user: uuid.UUID) -> Redemption | None:
        """The user's latest redemption when they have no use of the code left, else None."""
        uses = await repo.uses_of_user(uow, row.tenant_id, row.code, user)
        if not uses or len(uses) < max(row.per_user_limit, 1):
            return None
        assert uses[0].transfer_id is not None
        transfer_row = await ledger_repo.get_transfer(uow, row.tenant_id, uses[0].transfer_id)
        assert transfer_row is not None
        [transfer] = await ledger.to_transfers(uow, row.tenant_id, [transfer_row])
        return Redemption(promo=to_promo(row), transfer=transfer)
