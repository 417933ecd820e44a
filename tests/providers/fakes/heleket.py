"""A fake Heleket merchant API: Cryptomus's fake (fakes/cryptomus.py) on Heleket's pay host.

Heleket documents the same endpoints, fields, statuses and signing as Cryptomus, so one fake
serves both; only the payment page host differs."""

from __future__ import annotations

from tests.providers.fakes.cryptomus import API_KEY, MERCHANT, FakeMerchantApi


def fake_heleket(*, api_key: str = API_KEY, merchant: str = MERCHANT) -> FakeMerchantApi:
    return FakeMerchantApi(pay_host="pay.heleket.com", api_key=api_key, merchant=merchant)
