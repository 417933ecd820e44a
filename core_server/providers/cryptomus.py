"""Cryptomus (cryptomus.com): crypto invoices through its merchant API.

Everything but the name and the host is shared with Heleket in `_merchant_api` (the docs, the
signature, the status mapping and the amounts are described there). API host from
doc.cryptomus.com/business/general/request-format: https://api.cryptomus.com. Webhooks come from
91.227.144.54 (the address Cryptomus publishes for its webhooks); the signature, not the address,
is what the adapter checks, so a proxy in front of the gateway changes nothing.
"""

from __future__ import annotations

from core_server.providers._merchant_api import MerchantApiAdapter


class CryptomusAdapter(MerchantApiAdapter):
    name = "cryptomus"
    default_base_url = "https://api.cryptomus.com"


ADAPTER = CryptomusAdapter
