"""A discount code on an order, on a fast unit: `uses.reserve_discount` for a raw transaction.

The same rules in the same order, under the same lock: the code's row is locked first (every use
of a code queues there, before any wallet: the lock order), then the user's uses are counted in a
statement of their own (in READ COMMITTED a count inside the locking statement would read the
snapshot taken before the wait and miss the use the previous holder just added), then the limits
are checked, the code counted and the use inserted with the order's id. Refusals are the ORM
path's own errors: by the time a code is checked, everything the ORM path checks first has passed.
"""

from __future__ import annotations

import uuid

from core_server.domain.fast_unit import FastUnit
from core_server.domain.promos.uses import PERCENT_DISCOUNT, Discount, check_usable, new_use, normalize
from core_server.domain.reasons import PromoCodeNotFound, PromoInvalid, PromoNotApplicable
from core_server.store.repositories import promos as repo


async def reserve_fast(
    unit: FastUnit, user: uuid.UUID, code: str, package: uuid.UUID, subtotal: int, order_id: uuid.UUID
) -> Discount:
    """Validate the code for this user and package and take one use of it (see reserve_discount)."""
    code = normalize(code)
    found = await repo.lock_for_discount(unit.tx, unit.tenant, code, user, package)
    if found is None:
        raise PromoCodeNotFound(code)
    promo, category, used = found
    if promo.kind != PERCENT_DISCOUNT:
        raise PromoInvalid("this code credits the wallet: redeem it instead")
    check_usable(promo, unit.now)
    if (promo.package_ids and str(package) not in promo.package_ids) or (
        promo.categories and category not in promo.categories
    ):
        raise PromoNotApplicable("the code does not apply to this package")
    amount = min(subtotal, subtotal * promo.percent_bps // 10_000)
    if amount <= 0:
        raise PromoNotApplicable("the code takes nothing off this price")
    use = new_use(promo, user, used, unit.now, order_id=order_id)
    repo.count_use(unit.tx, promo, use)
    return Discount(code=code, amount=amount)
