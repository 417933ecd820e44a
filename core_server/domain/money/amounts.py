"""Money: an integer count of minor units of an asset. No floats, anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core_server.domain.errors import FailedPrecondition, Violations

DEFAULT_ASSETS = (("XTR", 0, "Telegram Stars"), ("TOKEN", 0, "Tokens"))
ASSET_CODE = re.compile(r"^[A-Z0-9]{2,10}$")

# The bounds that keep every figure the core computes inside int64 (a BIGINT, a proto int64),
# stated once here and quoted in the proto comments of the fields they bound:
# - MAX_AMOUNT bounds every amount a request names or the core derives (a price, a credit, a
#   charge, a hold, a delivery = per-unit amount x quantity, a converted referral base, ...);
# - MAX_QUANTITY bounds quantities, and MAX_MULTIPLIER each term of an exact conversion ratio;
# - MAX_BALANCE bounds |balance| of every account (wallets and each bucket of a system account).
#   It is checked by the very UPDATE that changes the balance, so a credit that would carry it
#   past the bound changes nothing and fails with FAILED_PRECONDITION BALANCE_LIMIT; and since
#   MAX_BALANCE + MAX_AMOUNT < 2**63, the SQL `balance + amount` itself can never overflow.
# Sums over many rows (verification, reports) are computed exactly whatever their count (see
# store/sums.py): a bound per amount cannot bound a sum of arbitrarily many amounts.
MAX_AMOUNT = 10**15
MAX_QUANTITY = 10_000_000
MAX_MULTIPLIER = 10**9
MAX_BALANCE = 4 * 10**18
assert MAX_BALANCE + MAX_BALANCE < 2**63  # a posting of up to MAX_BALANCE still fits the SQL sum


@dataclass(frozen=True, slots=True)
class Money:
    asset: str
    amount: int


class InsufficientFunds(FailedPrecondition):
    """The wallet's available balance is below the amount."""

    reason = "INSUFFICIENT_FUNDS"

    def __init__(self, asset: str, needed: int) -> None:
        super().__init__(f"insufficient {asset} balance", metadata={"asset": asset, "needed_minor": str(needed)})


class BalanceLimit(FailedPrecondition):
    """The posting would carry an account's balance past MAX_BALANCE (in either direction)."""

    reason = "BALANCE_LIMIT"

    def __init__(self, asset: str) -> None:
        super().__init__(
            f"the {asset} balance would pass its limit of {MAX_BALANCE} minor units",
            metadata={"asset": asset, "limit_minor": str(MAX_BALANCE)},
        )


def check_amount(violations: Violations, field: str, amount: int, *, minimum: int = 1) -> None:
    """An integer amount of minor units within [minimum, MAX_AMOUNT]."""
    if not minimum <= amount <= MAX_AMOUNT:
        violations.add(field, f"must be between {minimum} and {MAX_AMOUNT}")


def check_asset(violations: Violations, field: str, code: str) -> str:
    """An asset code of a request, upper-cased; a violation unless it is 2 to 10 letters or digits."""
    code = code.strip().upper()
    if not ASSET_CODE.match(code):
        violations.add(field, "must be 2 to 10 upper-case letters or digits")
    return code


def check_money(violations: Violations, field: str, money: Money | None) -> None:
    """A required, positive amount of a well-formed asset code."""
    if money is None:
        violations.add(field, "is required")
        return
    if not ASSET_CODE.match(money.asset):
        violations.add(f"{field}.asset", "must be 2 to 10 upper-case letters or digits")
    if money.amount <= 0:
        violations.add(f"{field}.amount_minor", "must be positive")
    else:
        check_amount(violations, f"{field}.amount_minor", money.amount)
