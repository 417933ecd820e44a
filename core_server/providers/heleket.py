"""Heleket (heleket.com): crypto invoices through a merchant API of the same shape as Cryptomus's.

Everything but the name and the host is shared with Cryptomus in `_merchant_api` (the docs, the
signature, the status mapping and the amounts are described there). API host from
doc.heleket.com/general/request-format: https://api.heleket.com. Webhooks come from 31.133.220.8
(Heleket's SDK docs, github.com/Heleket/php-sdk docs/06-webhooks.md); the signature, not the
address, is what the adapter checks.
"""

from __future__ import annotations

from core_server.providers._merchant_api import MerchantApiAdapter


class HeleketAdapter(MerchantApiAdapter):
    name = "heleket"
    default_base_url = "https://api.heleket.com"


ADAPTER = HeleketAdapter
