"""Helpers of the commerce REST tests: a site selling a token pack (100 XTR -> 1000 TOKEN) to users
the website registered and the tenant funded, and the figures a test checks afterwards."""

from __future__ import annotations

from typing import Any

from sdk.billinghub.v1 import package_pb2
from tests.commerce.catalog import token_pack
from tests.money import balance, fund
from tests.rest.site import Site

PACK_PRICE = 100  # XTR
PACK_TOKENS = 1000


async def pack(site: Site) -> package_pb2.Package:
    return await token_pack(site.tenant, stars=PACK_PRICE, tokens=PACK_TOKENS)


async def funded_user(site: Site, external_id: str, stars: int) -> str:
    """A user the website registered, holding `stars` XTR (funded by a tenant admin)."""
    user_id = str((await site.register(external_id))["id"])
    if stars:
        await fund(site.tenant, user_id, stars, "XTR")
    return user_id


async def posted(site: Site, user_id: str, asset: str = "XTR") -> int:
    return int((await balance(site.tenant.admin, user_id, asset)).posted.amount_minor)


def money(amount: int, asset: str) -> dict[str, Any]:
    """Money as the REST API writes it: the amount a string, never a JSON number."""
    return {"asset": asset, "amount_minor": str(amount)}
