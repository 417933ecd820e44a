"""The Fragment adapter against the fake Fragment API: what it sends, how it signs in (once, and
again on a 401), and what each failure means: refused for good, retryable because nothing was
bought, or an unknown outcome once an order may have reached Fragment."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from core_server.domain.provider_api import (
    DeliveryRefused,
    DeliveryRetryable,
    DeliveryUnknown,
    GiftState,
    ProviderConfig,
    ProviderError,
    ProviderRejected,
    StarsDelivery,
)
from core_server.providers import fragment
from core_server.providers.http import new_client
from core_server.providers.registry import fulfillment_adapters
from tests.providers.fakes.fragment import API_KEY, MNEMONICS, PHONE, RunningFragment, fragment_server
from tests.providers.fakes.server import HANG_TIMEOUT

SECRETS = {"api_key": API_KEY, "phone_number": PHONE, "mnemonics": MNEMONICS}
SHORT = HANG_TIMEOUT


@pytest.fixture
async def server() -> AsyncIterator[RunningFragment]:
    async with fragment_server() as running:
        yield running


@pytest.fixture
async def adapter() -> AsyncIterator[fragment.Fragment]:
    client = new_client(public_only=False)
    yield fragment.Fragment(client)
    await client.aclose()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timeouts short enough for a hang to be a timeout within the test."""
    monkeypatch.setattr(fragment, "ORDER_TIMEOUT", SHORT)
    monkeypatch.setattr(fragment, "READ_TIMEOUT", SHORT)


def config(url: str, **secrets: str) -> ProviderConfig:
    return ProviderConfig(provider="fragment", secrets={**SECRETS, **secrets}, options={}, base_url=url)


def assert_no_secret(error: BaseException, server: RunningFragment | None = None) -> None:
    text = str(error)
    for secret in (API_KEY, PHONE, *MNEMONICS.split()):
        assert secret not in text
    for token in server.fake.tokens if server else ():
        assert token not in text


def test_the_registry_finds_fragment_as_a_stars_delivery() -> None:
    adapters = fulfillment_adapters(httpx.AsyncClient())
    assert isinstance(adapters["fragment"], StarsDelivery)
    assert adapters["fragment"].required_fields == ("api_key", "phone_number", "mnemonics")


async def test_an_order_signs_in_once_and_sends_the_documented_requests(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    first = await adapter.order_stars(config(server.url), "@alice_gift", 100)
    second = await adapter.order_premium(config(server.url), "bob_gift", 6)
    assert (first.state, first.raw_status, second.state) == (GiftState.COMPLETED, "COMPLETED", GiftState.COMPLETED)
    assert [(o.type, o.username, o.quantity) for o in server.fake.bought()] == [
        ("STARS", "alice_gift", 100),
        ("PREMIUM", "bob_gift", 6),
    ]
    sign_in, stars, premium = server.recorded
    assert (sign_in.path, json.loads(sign_in.body)) == (
        "/v1/auth/authenticate/",
        {"api_key": API_KEY, "phone_number": PHONE, "mnemonics": MNEMONICS.split()},
    )
    assert json.loads(stars.body) == {"username": "alice_gift", "quantity": 100, "show_sender": False}
    assert json.loads(premium.body) == {"username": "bob_gift", "months": 6, "show_sender": False}
    [token] = server.fake.tokens
    assert stars.headers["authorization"] == premium.headers["authorization"] == f"JWT {token}"
    assert server.fake.sign_ins == 1


async def test_an_expired_token_signs_in_again_once_and_buys_once(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    await adapter.check_user(config(server.url), "carol_gift")
    server.fake.expire_tokens()
    orders = await asyncio.gather(*(adapter.order_stars(config(server.url), f"user_{n}x", 50) for n in range(5)))
    assert {o.state for o in orders} == {GiftState.COMPLETED}
    assert server.fake.sign_ins == 2  # the concurrent 401s wait for one new sign-in
    assert len(server.fake.bought()) == 5


async def test_tenants_keep_their_own_tokens(server: RunningFragment, adapter: fragment.Fragment) -> None:
    await adapter.check_user(config(server.url), "dave_gift")
    with pytest.raises(DeliveryRetryable) as caught:
        await adapter.order_stars(config(server.url, api_key="another-tenants-key"), "dave_gift", 50)
    assert "sign-in refused" in str(caught.value)
    assert_no_secret(caught.value, server)
    assert server.posts() == []


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        ("20", DeliveryRefused),
        ("11", DeliveryRefused),
        ("0", DeliveryRetryable),
        ("10", DeliveryRetryable),
        ("12", DeliveryRetryable),
        ("13", DeliveryRetryable),
    ],
)
async def test_error_codes_are_final_or_retryable(
    server: RunningFragment, adapter: fragment.Fragment, code: str, refused: type[ProviderError]
) -> None:
    server.fake.refuse_next(code, f"fragment says no ({code})")
    with pytest.raises(ProviderError) as caught:
        await adapter.order_stars(config(server.url), "erin_gift", 50)
    assert type(caught.value) is refused
    assert f"code {code}" in str(caught.value)
    assert server.fake.bought() == []


async def test_an_unknown_recipient_is_refused_for_good(server: RunningFragment, adapter: fragment.Fragment) -> None:
    server.fake.missing.add("nobody_here")
    with pytest.raises(DeliveryRefused) as by_check:
        await adapter.check_user(config(server.url), "@nobody_here")
    with pytest.raises(DeliveryRefused) as by_order:
        await adapter.order_premium(config(server.url), "nobody_here", 3)
    assert by_check.value.code == by_order.value.code == "20"
    found = await adapter.check_user(config(server.url), "@frank_gift")
    assert (found.username, found.name) == ("frank_gift", "Frank_Gift")


async def test_bad_fields_are_refused_for_good(server: RunningFragment, adapter: fragment.Fragment) -> None:
    with pytest.raises(DeliveryRefused):
        await adapter.order_stars(config(server.url), "gina_gift", 49)  # refused before sending
    with pytest.raises(DeliveryRefused):
        await adapter.order_premium(config(server.url), "gina_gift", 4)
    with pytest.raises(DeliveryRefused) as caught:
        await adapter.order_stars(config(server.url), "1_not_a_username", 50)  # Fragment's field error
    assert "username" in str(caught.value)
    assert [r.path for r in server.posts()] == ["/v1/order/stars/"]
    assert server.fake.bought() == []


@pytest.mark.usefixtures("quick")
async def test_a_timeout_after_the_order_was_sent_is_an_unknown_outcome(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    server.fake.hang_after_buying_next()
    with pytest.raises(DeliveryUnknown) as caught:
        await adapter.order_stars(config(server.url), "hank_gift", 500)
    assert not isinstance(caught.value, DeliveryRetryable)
    assert len(server.fake.bought()) == 1  # Fragment bought: sending again would buy twice
    assert_no_secret(caught.value, server)


async def test_a_5xx_to_an_order_is_an_unknown_outcome(server: RunningFragment, adapter: fragment.Fragment) -> None:
    await adapter.check_user(config(server.url), "ivan_gift")  # signed in
    server.misbehaviour.fail_next(502)
    with pytest.raises(DeliveryUnknown):
        await adapter.order_stars(config(server.url), "ivan_gift", 50)
    assert len(server.posts()) == 1


async def test_an_answer_without_an_order_id_is_an_unknown_outcome(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    server.fake.refuse_next("0", "no id", status=200)  # a 200 whose body names no order
    with pytest.raises(DeliveryUnknown):
        await adapter.order_stars(config(server.url), "jane_gift", 50)


@pytest.mark.usefixtures("quick")
async def test_failures_before_the_order_is_sent_are_retryable(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    server.misbehaviour.fail_next(503)  # the sign-in
    with pytest.raises(DeliveryRetryable):
        await adapter.order_stars(config(server.url), "kate_gift", 50)
    server.misbehaviour.fail_next("hang")  # the sign-in again
    with pytest.raises(DeliveryRetryable) as caught:
        await adapter.order_stars(config(server.url), "kate_gift", 50)
    assert "timed out" in str(caught.value)
    assert server.posts() == []
    with socket.socket() as probe:  # a port nobody listens on: the order never leaves
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(DeliveryRetryable) as refused:
        await adapter.order_stars(config(closed), "kate_gift", 50)
    assert "could not connect" in str(refused.value)


@pytest.mark.usefixtures("quick")
async def test_a_pending_order_is_read_back_until_it_completes(
    server: RunningFragment, adapter: fragment.Fragment
) -> None:
    server.fake.new_status = "BLOCKCHAIN_SENT"
    placed = await adapter.order_stars(config(server.url), "lena_gift", 75)
    assert (placed.state, placed.raw_status) == (GiftState.PENDING, "BLOCKCHAIN_SENT")
    assert (await adapter.order_status(config(server.url), placed.order_id)).state == GiftState.PENDING
    server.misbehaviour.fail_next(500, "hang")
    for _ in range(2):  # a read that fails is only asked again later
        with pytest.raises(DeliveryRetryable):
            await adapter.order_status(config(server.url), placed.order_id)
    server.fake.finish(placed.order_id)
    done = await adapter.order_status(config(server.url), placed.order_id)
    assert (done.order_id, done.state) == (placed.order_id, GiftState.COMPLETED)
    server.fake.finish(placed.order_id, "FAILED", "TON network error")
    failed = await adapter.order_status(config(server.url), placed.order_id)
    assert (failed.state, failed.error) == (GiftState.FAILED, "TON network error")
    with pytest.raises(DeliveryRetryable):
        await adapter.order_status(config(server.url), "no-such-order")


async def test_check_config_signs_in_afresh(server: RunningFragment, adapter: fragment.Fragment) -> None:
    await adapter.check_config(config(server.url))
    await adapter.check_config(config(server.url))
    assert server.fake.sign_ins == 2
    with pytest.raises(ProviderRejected) as wrong:
        await adapter.check_config(config(server.url, phone_number="+19999999999"))
    with pytest.raises(ProviderRejected) as short:
        await adapter.check_config(config(server.url, mnemonics="only three words"))
    assert "24 words" in str(short.value)
    for error in (wrong.value, short.value):
        assert_no_secret(error, server)
    assert server.fake.sign_ins == 2
