"""Provider webhooks through the HTTP gateway (Quart test client) into a real in-process core:
the gateway forwards raw bytes and answers what the core says the provider expects."""

from __future__ import annotations

import asyncio
import json

from core_server.domain.provider_api import ProviderUnavailable
from http_gateway.app import create_app
from sdk.billinghub.v1 import tenant_pb2
from sdk.client import BillingHubClient
from sdk.interceptors import NO_RETRY
from tests.hub import Hub
from tests.money import balance
from tests.payments.shop import SIGNING_KEY, invoice_of, open_topup, shop_with_testpay
from tests.payments.testpay import PROVIDER, notification


async def _gateway_app(hub: Hub) -> tuple[BillingHubClient, object]:
    key = await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="http gateway")
    client = BillingHubClient(hub.target, key, retry=NO_RETRY)
    return client, create_app(client).test_client()


async def test_a_signed_delivery_through_the_gateway_credits_once(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Gateway delivery")
    payment = await open_topup(shop, user, 4_200)
    PROVIDER.pay(payment.provider_ref)
    headers, body = notification(invoice_of(payment), SIGNING_KEY)
    client, http = await _gateway_app(hub)
    try:
        url = f"/webhooks/{shop.id}/testpay"
        answers = await asyncio.gather(*(http.post(url, data=body, headers=headers) for _ in range(20)))  # type: ignore[attr-defined]
        assert {a.status_code for a in answers} == {200}
        assert {await a.get_data() for a in answers} == {b"OK"}
        assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 4_200
        forged = await http.post(url, data=body, headers={**headers, "X-TestPay-Signature": "00" * 32})  # type: ignore[attr-defined]
        assert forged.status_code == 401
    finally:
        await client.close()


async def test_the_gateway_refuses_what_is_no_webhook_of_a_tenant(hub: Hub) -> None:
    shop, _user = await shop_with_testpay(hub, "Gateway refusals")
    client, http = await _gateway_app(hub)
    body = json.dumps({"ref": "tp_x"}).encode()
    try:
        for url in ("/webhooks/not-a-uuid/testpay", f"/webhooks/{shop.id}/NOPE!", f"/webhooks/{shop.id}/unknownpay"):
            answer = await http.post(url, data=body)  # type: ignore[attr-defined]
            assert answer.status_code == 404, url
        unknown_tenant = await http.post("/webhooks/00000000-0000-7000-8000-000000000000/testpay", data=body)  # type: ignore[attr-defined]
        assert 400 <= unknown_tenant.status_code < 500
        huge = await http.post(f"/webhooks/{shop.id}/testpay", data=b"x" * (1024 * 1024 + 1))  # type: ignore[attr-defined]
        assert huge.status_code == 413
    finally:
        await client.close()


async def test_a_provider_that_cannot_confirm_now_gets_503_and_its_retry_credits(hub: Hub) -> None:
    shop, user = await shop_with_testpay(hub, "Gateway retry", unsigned="yes")
    payment = await open_topup(shop, user, 1_500)
    PROVIDER.pay(payment.provider_ref)
    headers, body = notification(invoice_of(payment), SIGNING_KEY, facts=False)
    client, http = await _gateway_app(hub)
    try:
        PROVIDER.fail_next(ProviderUnavailable("testpay: GET timed out"))
        url = f"/webhooks/{shop.id}/testpay"
        assert (await http.post(url, data=body, headers=headers)).status_code == 503  # type: ignore[attr-defined]
        assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 0
        assert (await http.post(url, data=body, headers=headers)).status_code == 200  # type: ignore[attr-defined]
        assert (await balance(shop.admin, user, "RUB")).posted.amount_minor == 1_500
    finally:
        await client.close()
