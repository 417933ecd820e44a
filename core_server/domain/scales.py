"""Decimal places of the assets everyone knows. A tenant declaring one of these codes gets this
scale unless it says otherwise; any other code needs an explicit scale (CreateAsset). Payment
adapters read providers' decimal amounts with the tenant's scales over these (provider_api.py)."""

from __future__ import annotations

WELL_KNOWN_SCALES = {"RUB": 2, "USD": 2, "EUR": 2, "UAH": 2, "USDT": 6, "TON": 9, "BTC": 8, "XTR": 0, "TOKEN": 0}
