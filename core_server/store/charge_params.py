"""What one usage charge asks of the fast path, what it answers and the rows it writes
(store/fastpath_pg.py runs it alone, store/charge_batches_pg.py with the charges queued beside it:
both statements insert through the heads below, so the two cannot drift apart)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import Enum

INSERT_TRANSFER = """INSERT INTO ledger_transfers (tenant_id, id, asset, kind, amount, debit_account_id,
        credit_account_id, debit_balance_after, credit_balance_after, reference, link_id, reason, actor, created_at)"""
INSERT_EVENT = "INSERT INTO events (tenant_id, id, tx_order, type, data, created_at)"
INSERT_CLAIM = (
    "INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, transfer_id, created_at)"
)


class Outcome(Enum):
    POSTED = "posted"
    SHORT = "short"  # no wallet, or its available balance is below the amount
    DUPLICATE = "duplicate"  # the request id is already claimed
    # the bucket named does not exist (a stale cache) or has no room below the balance limit: the
    # caller retries on the ORM path, which tries every bucket and says which
    NO_SYSTEM_ACCOUNT = "no_system_account"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    outcome: Outcome
    balance_after: int | None = None


@dataclass(frozen=True, slots=True)
class ChargeParams:
    tenant: uuid.UUID
    user: uuid.UUID
    asset: str
    amount: int
    system_account: uuid.UUID  # the id of the revenue bucket to credit (addressed by primary key)
    transfer_id: uuid.UUID
    kind: str
    reference: str
    now: dt.datetime
    event_type: str
    event_prefix: str  # the event's JSON up to the balance, which only the statement knows
    event_suffix: str  # (built around the balance, never by searching a text: see events.encode_around)
    balance_limit: int  # the revenue bucket's balance may not pass it (MAX_BALANCE)
    method: str = ""
    request_id: str = ""
    request_hash: bytes = b""
