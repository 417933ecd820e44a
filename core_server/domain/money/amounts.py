"""Money: an integer count of minor units of an asset. No floats, anywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core_server.domain.errors import FailedPrecondition, Violations

# Standard scales; any other code needs an explicit scale when declared.
WELL_KNOWN_SCALES = {"RUB": 2, "USD": 2, "EUR": 2, "UAH": 2, "USDT": 6, "TON": 9, "BTC": 8, "XTR": 0, "TOKEN": 0}
DEFAULT_ASSETS = (("XTR", 0, "Telegram Stars"), ("TOKEN", 0, "Tokens"))
ASSET_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_AMOUNT = 10**17  # far below 2**63, so sums of many amounts cannot overflow a BIGINT


@dataclass(frozen=True, slots=True)
class Money:
    asset: str
    amount: int


class InsufficientFunds(FailedPrecondition):
    """The wallet's available balance is below the amount."""

    default_reason = "INSUFFICIENT_FUNDS"

    def __init__(self, asset: str, needed: int) -> None:
        super().__init__(f"insufficient {asset} balance", metadata={"asset": asset, "needed_minor": str(needed)})


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
    elif money.amount > MAX_AMOUNT:
        violations.add(f"{field}.amount_minor", f"must be at most {MAX_AMOUNT}")
