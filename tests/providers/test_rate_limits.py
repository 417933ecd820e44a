"""A provider's rate limit (HTTP 429) refuses now, not for good: every adapter reports it as
unavailable, so the caller retries later (the reconciliation worker, the bot's check button, the
Fragment worker's next turn), instead of failing the payment or the delivery as if refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from core_server.domain.provider_api import BOT_TOKEN, ProviderConfig, ProviderUnavailable
from core_server.providers.registry import fulfillment_adapters, payment_adapters
from tests.providers.fakes.server import adapter_client, new_app, serve

PAYMENT_ADAPTERS = sorted(payment_adapters(httpx.AsyncClient()))
FULFILLMENT_ADAPTERS = sorted(fulfillment_adapters(httpx.AsyncClient()))


@pytest.fixture
async def limited() -> AsyncIterator[str]:
    """A provider that answers every request 429 with a Retry-After."""

    async def too_many(_request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5"},
            status=429,
            headers={"Retry-After": "5"},
        )

    app = new_app()
    app.router.add_route("*", "/{tail:.*}", too_many)
    async with serve(app) as url:
        yield url


# values the adapters check the shape of before calling out
SHAPED = {"shop_id": "12345", "mnemonics": " ".join(["word"] * 24), BOT_TOKEN: "123456:placeholder-token"}


def config_for(provider: str, fields: tuple[str, ...], secret_fields: tuple[str, ...], url: str) -> ProviderConfig:
    secrets = {name: SHAPED.get(name, "placeholder-value") for name in (*fields, BOT_TOKEN) if name in secret_fields}
    options = {name: SHAPED.get(name, "placeholder-value") for name in fields if name not in secret_fields}
    return ProviderConfig(provider, secrets, options, base_url=url)


@pytest.mark.parametrize("provider", PAYMENT_ADAPTERS)
async def test_a_payment_provider_rate_limiting_is_unavailable(limited: str, provider: str) -> None:
    async with adapter_client() as client:
        adapter = payment_adapters(client)[provider]
        fields = (*adapter.secret_fields, *adapter.option_fields)
        config = config_for(provider, fields, (*adapter.secret_fields, BOT_TOKEN), limited)

        with pytest.raises(ProviderUnavailable, match=r"429 \(rate-limited\)"):
            await adapter.check_config(config)


@pytest.mark.parametrize("provider", FULFILLMENT_ADAPTERS)
async def test_a_fulfillment_provider_rate_limiting_is_unavailable(limited: str, provider: str) -> None:
    async with adapter_client() as client:
        adapter = fulfillment_adapters(client)[provider]
        fields = (*adapter.secret_fields, *adapter.option_fields)
        config = config_for(provider, fields, (*adapter.secret_fields, BOT_TOKEN), limited)

        with pytest.raises(ProviderUnavailable, match=r"429 \(rate-limited\)"):
            await adapter.check_config(config)
