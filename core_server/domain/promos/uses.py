"""Promo codes: credit codes redeemed into wallets, discount codes applied when an order is created.

HOOKS used by orders.py (keep their signatures):
- reserve_discount(...) when CreateOrder is given a promo code;
- release_use(...) when a pending order is cancelled or expires.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

from core_server.domain.reasons import PromoCodeNotFound, PromoExhausted, PromoInvalid, PromoNotApplicable
from core_server.store.ids import new_id
from core_server.store.models import PackageRow, PromoRow, PromoUseRow
from core_server.store.repositories import promos as repo
from core_server.store.unit_of_work import UnitOfWork


class PromoKind(StrEnum):
    """What a code gives: a credit to the wallet (redeemed), or a percentage off an order."""

    CREDIT = "credit"
    PERCENT_DISCOUNT = "percent_discount"


CREDIT = PromoKind.CREDIT
PERCENT_DISCOUNT = PromoKind.PERCENT_DISCOUNT


@dataclass(frozen=True, slots=True, kw_only=True)
class Discount:
    code: str
    amount: int  # minor units of the order's asset taken off the subtotal (0 < amount <= subtotal)


async def reserve_discount(
    uow: UnitOfWork,
    tenant: uuid.UUID,
    user: uuid.UUID,
    code: str,
    package: PackageRow,
    subtotal: int,
    order_id: uuid.UUID,
    now: dt.datetime,
) -> Discount:
    """Validate a discount code for this user and package and take one use of it (atomically, so a
    code can never be used beyond its total or per-user limit however many orders race). Raises
    FailedPrecondition with reason PROMO_INVALID, PROMO_EXHAUSTED or PROMO_NOT_APPLICABLE, NotFound
    for an unknown code."""
    code = normalize(code)
    # The row lock serializes every use of one code: limits are checked and counted under it.
    promo = await repo.get_promo(uow, tenant, code, for_update=True)
    if promo is None:
        raise PromoCodeNotFound(code)
    if promo.kind != PERCENT_DISCOUNT:
        raise PromoInvalid("this code credits the wallet: redeem it instead")
    check_usable(promo, now)
    if (promo.package_ids and str(package.id) not in promo.package_ids) or (
        promo.categories and package.category not in promo.categories
    ):
        raise PromoNotApplicable("the code does not apply to this package")
    amount = min(subtotal, subtotal * promo.percent_bps // 10_000)
    if amount <= 0:
        raise PromoNotApplicable("the code takes nothing off this price")
    await take_use(uow, promo, user, now, order_id=order_id)
    return Discount(code=code, amount=amount)


async def release_use(uow: UnitOfWork, tenant: uuid.UUID, order_id: uuid.UUID) -> None:
    """Give back the use an order's discount took (the order was cancelled or expired)."""
    for use in await repo.uses_of_order(uow, tenant, order_id):
        use.released = True
        await repo.uncount_use(uow, tenant, use.code)
    await uow.session.flush()


def normalize(code: str) -> str:
    return code.strip().upper()


def check_usable(promo: PromoRow, now: dt.datetime) -> None:
    if promo.disabled:
        raise PromoInvalid("the promo code is disabled")
    if (promo.starts_at and now < promo.starts_at) or (promo.ends_at and now >= promo.ends_at):
        raise PromoInvalid("the promo code is not valid at this time")
    if promo.total_limit and promo.used_count >= promo.total_limit:
        raise PromoExhausted("the promo code has no uses left")


async def take_use(
    uow: UnitOfWork, promo: PromoRow, user: uuid.UUID, now: dt.datetime, *, order_id: uuid.UUID | None = None
) -> PromoUseRow:
    """Count one use by `user` (the caller holds the code's row lock)."""
    use = new_use(promo, user, await repo.count_uses(uow, promo.tenant_id, promo.code, user), now, order_id=order_id)
    await repo.add_use(uow, use)
    return use


def new_use(
    promo: PromoRow, user: uuid.UUID, used: int, now: dt.datetime, *, order_id: uuid.UUID | None = None
) -> PromoUseRow:
    """One more use by a user who holds `used` of them (the code counts it; the caller stores both)."""
    if promo.per_user_limit and used >= promo.per_user_limit:
        raise PromoExhausted("you have already used this promo code")
    promo.used_count += 1
    return PromoUseRow(
        tenant_id=promo.tenant_id, id=new_id(), code=promo.code, user_id=user, order_id=order_id, created_at=now
    )
