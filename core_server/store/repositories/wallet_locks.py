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

_COLUMNS = "SELECT user_id, asset, balance - held FROM ledger_accounts WHERE tenant_id = $1 AND (asset, user_id) IN "


@cache
def _lock(count: int) -> Sql:
    pairs = ", ".join(f"(${2 * n + 2}, ${2 * n + 3})" for n in range(count))
    order = " ORDER BY user_id, asset"
    return Sql(f"{_COLUMNS}({pairs}){order} FOR UPDATE", f"{_COLUMNS}({pairs}){order}")  # the writer's lock on SQLite


async def lock_wallets(
    tx: RawTx, tenant: uuid.UUID, wallets: Collection[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], int]:
    """Lock the (user, asset) wallets that exist, in the lock order; their available balances.
    Addressed by (asset, user), the wallets' unique key: `ledger.lock_wallets` asks by user alone,
    which no index leads with, and reads every wallet of the tenant to find them."""
    if not wallets:
        return {}
    pairs = sorted(wallets)
    rows = await tx.fetch(_lock(len(pairs)), tenant, *[value for user, asset in pairs for value in (asset, user)])
    return {(uuid_of(row[0]), str(row[1])): int(row[2]) for row in rows}
