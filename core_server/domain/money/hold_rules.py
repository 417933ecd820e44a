"""What holds are made of, on either path: the Hold a caller sees, its event, a new hold's row,
and the checks of CreateHold and CaptureHold (holds.py runs them on the ORM or the fast path)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.money.amounts import Money, check_money
from core_server.domain.money.hold_model import PENDING, HoldStatus
from core_server.domain.money.ledger import REVENUE, Posting, System, Wallet
from core_server.domain.reasons import HoldNotPending
from core_server.store.ids import new_id
from core_server.store.models import HoldRow

DEFAULT_TTL = 3600
MAX_TTL = 30 * 24 * 3600
PAYOUT_REFERENCE = "payout:"  # the reference payout holds carry (a label only: a caller may use it too)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold:
    id: uuid.UUID
    user_id: uuid.UUID
    asset: str
    amount: int
    status: HoldStatus
    reference: str
    captured_amount: int | None
    capture_transfer_id: uuid.UUID | None
    expires_at: dt.datetime
    created_at: dt.datetime
    closed_at: dt.datetime | None


def to_hold(row: HoldRow) -> Hold:
    return Hold(
        id=row.id,
        user_id=row.user_id,
        asset=row.asset,
        amount=row.amount,
        status=HoldStatus(row.status),
        reference=row.reference,
        captured_amount=row.captured_amount,
        capture_transfer_id=row.capture_transfer_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def hold_event(hold: HoldRow) -> dict[str, object]:
    return {
        "hold_id": str(hold.id),
        "user_id": str(hold.user_id),
        "asset": hold.asset,
        "amount_minor": hold.amount,
        "status": hold.status,
        "reference": hold.reference,
        "captured_minor": hold.captured_amount,
    }


def new_hold_row(
    tenant: uuid.UUID,
    account: uuid.UUID,
    user: uuid.UUID,
    money: Money,
    reference: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> HoldRow:
    """A pending hold of a reserved amount (on either path)."""
    return HoldRow(
        tenant_id=tenant,
        id=new_id(),
        account_id=account,
        user_id=user,
        asset=money.asset,
        amount=money.amount,
        status=PENDING,
        reference=reference,
        captured_amount=None,
        capture_transfer_id=None,
        expires_at=expires_at,
        created_at=now,
        closed_at=None,
    )


@dataclass(frozen=True, slots=True)
class HoldRequest:
    """A checked CreateHold request (on either path)."""

    user: uuid.UUID
    money: Money
    reference: str
    ttl_seconds: int

    def expires(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.ttl_seconds or DEFAULT_TTL)


def hold_request(user_id: str, money: Money | None, reference: str, ttl_seconds: int) -> HoldRequest:
    violations = Violations()
    user = violations.id("user_id", user_id)
    check_money(violations, "amount", money)
    reference = violations.check_text("reference", reference, max_length=200)
    if not 0 <= ttl_seconds <= MAX_TTL:
        violations.add("ttl_seconds", f"must be between 0 and {MAX_TTL}")
    violations.raise_if_any()
    assert user is not None
    assert money is not None
    return HoldRequest(user, money, reference, ttl_seconds)


def capture_request(hold_id: str, amount: int | None) -> uuid.UUID:
    v = Violations()
    hold = v.id("hold_id", hold_id)
    if amount is not None and amount <= 0:
        v.add("amount_minor", "must be positive")
    v.raise_if_any()
    assert hold is not None
    return hold


def require_pending(row: HoldRow) -> None:
    if row.status != PENDING:
        raise HoldNotPending(f"hold is {row.status}", metadata={"status": row.status})


def capture_take(row: HoldRow, amount: int | None) -> int:
    """What a capture takes of the held amount (all of it unless told)."""
    take = row.amount if amount is None else amount
    if not 0 < take <= row.amount:
        raise InvalidArgument([Violation("amount_minor", f"must be between 1 and the held {row.amount}")])
    return take


def capture_posting(row: HoldRow, take: int) -> Posting:
    """The wallet pays `take` to revenue out of the whole reservation, which ends with it."""
    return Posting(
        Wallet(row.user_id), System(REVENUE), take, "hold_capture", reference=f"hold:{row.id}", from_held=row.amount
    )
