"""Racing REST purchases from one wallet: the wallet never goes negative and each success is paid
exactly once, whatever the interleaving (on PostgreSQL, real concurrent sessions)."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.money import assert_ledger_ok
from tests.rest.shop import PACK_PRICE, PACK_TOKENS, funded_user, pack, posted
from tests.rest.site import Site

AFFORDABLE = 10
ATTEMPTS = 30


async def test_thirty_racing_purchases_from_a_wallet_that_affords_ten(site: Site) -> None:
    package = await pack(site)
    buyer = await funded_user(site, "racer", AFFORDABLE * PACK_PRICE + PACK_PRICE // 2)
    body = {"user_id": buyer, "package_id": package.id}
    answers = await asyncio.gather(*(site.post("/orders/purchase", body) for _ in range(ATTEMPTS)))
    outcomes = Counter((a.status, a.error["code"] if a.status != 200 else "") for a in answers)
    assert outcomes == {(200, ""): AFFORDABLE, (409, "INSUFFICIENT_FUNDS"): ATTEMPTS - AFFORDABLE}, outcomes
    paid = {a.body["order"]["id"] for a in answers if a.status == 200}
    assert len(paid) == AFFORDABLE
    assert await posted(site, buyer) == PACK_PRICE // 2
    assert await posted(site, buyer, "TOKEN") == AFFORDABLE * PACK_TOKENS
    listed = await site.get("/orders", query={"user_id": buyer, "page_size": "100"})
    assert {o["id"] for o in listed.body["orders"]} == paid  # the refused ones left no order behind
    balances = await site.get(f"/users/{buyer}/balances", query={"assets": "XTR"})
    assert balances.body["balances"][0]["available"]["amount_minor"] == str(PACK_PRICE // 2)
    report = await assert_ledger_ok(site.tenant)
    assert int(report.transfers_checked) > 0
