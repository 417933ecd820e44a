"""Exact conversion between human amounts ("1.80 RUB") and minor units (180).

Amounts cross the API as integer minor units; an asset's scale (its number of decimal places,
from CatalogService.ListAssets) says how to show them. Parsing never goes through float: "0.1"
is exactly 10 minor units of a scale-2 asset, and a value with more decimals than the scale is an
error rather than a silent rounding.
"""

from __future__ import annotations

import re

from sdk.billinghub.v1 import common_pb2

_AMOUNT = re.compile(r"^\s*(?P<sign>[-+]?)(?P<int>\d+)(?:[.,](?P<frac>\d+))?\s*(?P<asset>[A-Za-z0-9]{2,10})?\s*$")


def format_amount(amount_minor: int, scale: int, asset: str = "") -> str:
    """180, 2, "RUB" -> "1.80 RUB"; -5, 0, "XTR" -> "-5 XTR"."""
    if scale < 0:
        raise ValueError("scale must not be negative")
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**scale)
    text = f"{sign}{whole}" + (f".{frac:0{scale}d}" if scale else "")
    return f"{text} {asset}" if asset else text


def format_money(money: common_pb2.Money, scale: int) -> str:
    return format_amount(money.amount_minor, scale, money.asset)


def parse_amount(text: str, scale: int, asset: str = "") -> common_pb2.Money:
    """ "1.8 RUB" (or "1,80", or "1.80" with asset given) -> Money(asset="RUB", amount_minor=180).

    Raises ValueError for malformed text, more decimals than the scale, or an asset in the text
    that differs from the one given."""
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    written = (match["asset"] or "").upper()
    code = asset.upper() or written
    if written and asset and written != asset.upper():
        raise ValueError(f"amount is in {written}, expected {asset.upper()}")
    if not code:
        raise ValueError("the amount names no asset")
    frac = match["frac"] or ""
    if len(frac) > scale:
        raise ValueError(f"{code} has {scale} decimal places; {text!r} has {len(frac)}")
    minor = int(match["int"]) * 10**scale + (int(frac.ljust(scale, "0")) if scale else 0)
    return common_pb2.Money(asset=code, amount_minor=-minor if match["sign"] == "-" else minor)
