"""Wallet row locks on the fast write path (store/raw_tx.py): `ledger.lock_wallets` without the ORM.

A rule that must read balances before deciding what to post (a refund's clawbacks, a payout's
withdrawable amount) locks the wallets first, in THE LOCK ORDER of store/repositories/ledger.py
(by user id, then asset), and decides on balances nobody else is changing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from functools import cache

from core_server.store.raw_tx import RawTx, Sql, uuid_of

_COLUMNS = "SELECT user_id, asset, balance - held FROM ledger_accounts WHERE tenant_id = $1 AND user_id IN "


@cache
def _lock(count: int) -> Sql:
    users = ", ".join(f"${n + 2}" for n in range(count))
    order = " ORDER BY user_id, asset"
    return Sql(f"{_COLUMNS}({users}){order} FOR UPDATE", f"{_COLUMNS}({users}){order}")  # the writer's lock on SQLite


async def lock_wallets(
    tx: RawTx, tenant: uuid.UUID, wallets: Collection[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], int]:
    """Lock every wallet of these users, in the lock order; the available balances of the (user,
    asset) wallets asked for that exist."""
    if not wallets:
        return {}
    users = sorted({user for user, _asset in wallets})
    rows = await tx.fetch(_lock(len(users)), tenant, *users)
    found = {(uuid_of(row[0]), str(row[1])): int(row[2]) for row in rows}
    return {key: value for key, value in found.items() if key in wallets}
