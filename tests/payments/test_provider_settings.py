"""A tenant's provider settings: secrets are write-only, every bad field is named and changes
nothing, a provider cannot be enabled half set up, and an address must be a public https one."""

from __future__ import annotations

import pytest

from core_server.domain.provider_api import ProviderRejected
from sdk import FailedPrecondition, InvalidArgument, NotFound
from sdk.billinghub.v1 import payment_pb2
from sdk.billinghub.v1 import payment_service_pb2 as pb
from tests.commerce.catalog import ensure_rub
from tests.hub import Hub, TenantHandle
from tests.payments.shop import RUB_LIMIT, SIGNING_KEY, set_testpay
from tests.payments.testpay import GOOD_KEY, PROVIDER


async def _configs(shop: TenantHandle) -> list[payment_pb2.ProviderConfig]:
    return list((await shop.admin.payments.ListProviderConfigs(pb.ListProviderConfigsRequest())).configs)


async def _set(
    shop: TenantHandle, secrets: dict[str, str] | None = None, **fields: object
) -> pb.SetProviderConfigResponse:
    fields.setdefault("provider", "testpay")
    config = payment_pb2.ProviderConfig(**fields)  # type: ignore[arg-type]
    return await shop.admin.payments.SetProviderConfig(pb.SetProviderConfigRequest(config=config, secrets=secrets))


async def test_secrets_are_write_only_and_kept_when_not_named(hub: Hub) -> None:
    shop = await hub.new_tenant("Settings")
    await ensure_rub(shop)
    config = await set_testpay(shop)
    assert config.secrets_set == ["api_key", "signing_key"]
    assert config.webhook_url == f"https://hub.example.test/webhooks/{shop.id}/testpay"
    listed = await shop.admin.payments.ListProviderConfigs(pb.ListProviderConfigsRequest())
    assert GOOD_KEY not in str(listed) and SIGNING_KEY not in str(listed)
    changed = (await _set(shop, enabled=True, limits=[RUB_LIMIT], title={"en": "Renamed"})).config
    assert changed.secrets_set == ["api_key", "signing_key"]  # not named: kept
    await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="testpay"))
    cleared = (await _set(shop, {"signing_key": ""}, enabled=False, limits=[RUB_LIMIT])).config
    assert cleared.secrets_set == ["api_key"]


async def test_every_bad_field_is_named_and_nothing_changes(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad settings")
    await ensure_rub(shop)
    before = await set_testpay(shop)
    bad_limits = [
        payment_pb2.PaymentLimit(asset="rub!", min_minor=0),
        payment_pb2.PaymentLimit(asset="RUB", min_minor=500, max_minor=100),
        payment_pb2.PaymentLimit(asset="RUB", max_minor=10**16),
    ]
    with pytest.raises(InvalidArgument) as caught:
        await _set(
            shop,
            {"nope": "x", "api_key": "bad\x00key"},
            enabled=True,
            limits=bad_limits,
            options={"colour": "red"},
            title={"xx": "Title"},
            base_url="ftp://pay.example.test",
        )
    fields = {v.field for v in caught.value.field_violations}
    assert {
        "secrets[nope]",
        "secrets[api_key]",
        "config.limits[0].asset",
        "config.limits[1].max_minor",
        "config.limits[2].max_minor",
        "config.options[colour]",
        "config.title[xx]",
        "config.base_url",
    } <= fields
    with pytest.raises(InvalidArgument) as unknown:
        await _set(shop, provider="no_such_provider")
    assert "unknown provider" in unknown.value.field_violations[0].description
    with pytest.raises(NotFound):
        await _set(shop, enabled=True, limits=[payment_pb2.PaymentLimit(asset="DOGE")])
    assert await _configs(shop) == [before]


async def test_a_provider_cannot_be_enabled_half_set_up(hub: Hub) -> None:
    shop = await hub.new_tenant("Half set up")
    await ensure_rub(shop)
    with pytest.raises(FailedPrecondition) as no_secrets:
        await _set(shop, {"api_key": GOOD_KEY}, enabled=True, limits=[RUB_LIMIT])
    assert no_secrets.value.reason == "PROVIDER_CONFIG_INCOMPLETE"
    with pytest.raises(FailedPrecondition) as no_limits:
        await _set(shop, {"api_key": GOOD_KEY, "signing_key": SIGNING_KEY}, enabled=True)
    assert no_limits.value.reason == "PROVIDER_CONFIG_INCOMPLETE"
    assert await _configs(shop) == []
    disabled = (await _set(shop, {"api_key": GOOD_KEY}, enabled=False)).config  # saving a draft is fine
    assert (disabled.enabled, disabled.secrets_set) == (False, ["api_key"])


async def test_testing_settings_reports_the_providers_refusal(hub: Hub) -> None:
    shop = await hub.new_tenant("Tested settings")
    await ensure_rub(shop)
    with pytest.raises(NotFound) as missing:
        await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="testpay"))
    assert missing.value.reason == "PROVIDER_NOT_CONFIGURED"
    await _set(shop, {"api_key": "wrong-key", "signing_key": SIGNING_KEY}, enabled=False)
    with pytest.raises(FailedPrecondition) as refused:
        await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="testpay"))
    assert refused.value.reason == "PROVIDER_REJECTED"
    assert "wrong-key" not in refused.value.message
    PROVIDER.fail_next(ProviderRejected("testpay: answered 403"))
    with pytest.raises(FailedPrecondition):
        await shop.admin.payments.TestProviderConfig(pb.TestProviderConfigRequest(provider="testpay"))


@pytest.mark.parametrize(
    "url",
    [
        "http://pay.example.test",  # not https
        "https://localhost:8443",
        "https://127.0.0.1",
        "https://10.0.0.7/api",
        "https://192.168.1.10",
        "https://169.254.169.254/latest",  # a cloud's metadata service
        "https://[::1]:8443",
        "https://[fd00::1]",
    ],
)
async def test_a_provider_address_must_be_public_https_outside_tests(hub: Hub, url: str) -> None:
    shop = await hub.new_tenant("Public addresses")
    await ensure_rub(shop)
    hub.deps.insecure_provider_urls = False  # as in production (the test hub allows the fakes' http)
    try:
        with pytest.raises(InvalidArgument) as caught:
            await _set(shop, {"api_key": GOOD_KEY, "signing_key": SIGNING_KEY}, base_url=url)
        assert [v.field for v in caught.value.field_violations] == ["config.base_url"]
        accepted = (await _set(shop, {"api_key": GOOD_KEY}, base_url="https://btcpay.example.test/")).config
        assert accepted.base_url == "https://btcpay.example.test"
    finally:
        hub.deps.insecure_provider_urls = True
