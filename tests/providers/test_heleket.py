"""Heleket: the merchant API contract (tests/providers/merchant_api_contract.py) against its fake."""

from __future__ import annotations

from core_server.providers.heleket import HeleketAdapter
from tests.providers.merchant_api_contract import MerchantApiContract


class TestHeleket(MerchantApiContract):
    adapter_class = HeleketAdapter
    pay_host = "pay.heleket.com"


def test_heleket_is_called_on_its_own_host() -> None:
    assert (HeleketAdapter.name, HeleketAdapter.default_base_url) == ("heleket", "https://api.heleket.com")
