"""Cryptomus: the merchant API contract (tests/providers/merchant_api_contract.py) against its fake."""

from __future__ import annotations

from core_server.providers.cryptomus import CryptomusAdapter
from tests.providers.merchant_api_contract import MerchantApiContract


class TestCryptomus(MerchantApiContract):
    adapter_class = CryptomusAdapter
    pay_host = "pay.cryptomus.com"


def test_cryptomus_is_called_on_its_own_host() -> None:
    assert (CryptomusAdapter.name, CryptomusAdapter.default_base_url) == ("cryptomus", "https://api.cryptomus.com")
