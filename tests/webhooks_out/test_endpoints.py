"""WebhookEndpointService as a tenant admin meets it: create (the secret shown once), list, get,
update and switch off, rotate; bad URLs and filters refused with nothing changed; another
tenant's endpoint is NOT_FOUND and stays as it was."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.billinghub.v1 import webhook_pb2 as wh
from sdk.billinghub.v1 import webhook_service_pb2 as pb
from tests.hub import Hub, TenantHandle

URL = "https://hooks.example.com/billing"


async def _create(hub: Hub, name: str = "Hooks") -> tuple[TenantHandle, pb.CreateWebhookEndpointResponse]:
    shop = await hub.new_tenant(name)
    request = pb.CreateWebhookEndpointRequest(url=URL, description="orders feed")
    return shop, await shop.admin.webhooks.CreateWebhookEndpoint(request)


async def test_create_shows_the_secret_once_and_reads_never(hub: Hub) -> None:
    shop = await hub.new_tenant("Hooks")
    created = await shop.admin.webhooks.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(url=URL, event_types=["order.*", "user.registered"], description="feed")
    )
    endpoint = created.webhook_endpoint
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    assert (endpoint.url, list(endpoint.event_types), endpoint.description, endpoint.enabled) == (
        URL,
        ["order.*", "user.registered"],
        "feed",
        True,
    )
    got = await shop.admin.webhooks.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(webhook_endpoint_id=endpoint.id))
    listed = await shop.admin.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())
    assert got.webhook_endpoint == endpoint
    assert list(listed.webhook_endpoints) == [endpoint]
    assert created.secret not in str(got) + str(listed)
    entries = await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(target_id=endpoint.id))
    assert [e.action for e in entries.audit_entries] == ["webhook_endpoint.created"]
    assert created.secret not in str(entries)


async def test_a_replayed_create_returns_the_same_endpoint_and_secret(hub: Hub) -> None:
    shop = await hub.new_tenant("Replay")
    request = pb.CreateWebhookEndpointRequest(request_id="create-1", url=URL)
    first = await shop.admin.webhooks.CreateWebhookEndpoint(request)
    again = await shop.admin.webhooks.CreateWebhookEndpoint(request)
    assert again == first
    listed = await shop.admin.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())
    assert len(listed.webhook_endpoints) == 1
    with pytest.raises(InvalidArgument) as reused:
        await shop.admin.webhooks.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(request_id="create-1", url=URL + "/other")
        )
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "must start with https://"),
        ("http://127.0.0.1:8080/x", "must start with https://"),
        ("ftp://hooks.example.com/x", "must start with https://"),
        ("https://", "must name a host"),
        ("https:///path", "must name a host"),
        ("https://user:pw@hooks.example.com/", "must not contain credentials"),
        ("https://10.0.0.5/hook", "must be a public address"),
        ("https://localhost/hook", "must be a public address"),
        ("https://hooks.example.com/" + "a" * 2048, "must be at most 2048 characters"),
        ("", "is required"),
    ],
)
async def test_a_bad_url_is_refused_and_nothing_is_created(hub: Hub, url: str, problem: str) -> None:
    shop = await hub.new_tenant("Bad URL")
    with pytest.raises(InvalidArgument) as refused:
        await shop.admin.webhooks.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(url=url))
    assert [(v.field, v.description) for v in refused.value.field_violations] == [("url", problem)]
    listed = await shop.admin.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())
    assert list(listed.webhook_endpoints) == []


async def test_a_bad_event_type_filter_is_refused(hub: Hub) -> None:
    shop = await hub.new_tenant("Bad filter")
    with pytest.raises(InvalidArgument) as refused:
        await shop.admin.webhooks.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(url=URL, event_types=["order.paid", "Order Paid", "order.*.x"])
        )
    assert [v.field for v in refused.value.field_violations] == ["event_types[1]", "event_types[2]"]


async def test_update_changes_the_masked_fields_and_enabled_false_switches_off(hub: Hub) -> None:
    shop, created = await _create(hub)
    endpoint_id = created.webhook_endpoint.id
    changed = wh.WebhookEndpoint(id=endpoint_id, url=URL + "/v2", event_types=["wallet.*"], description="ignored")
    updated = await shop.admin.webhooks.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(
            webhook_endpoint=changed, update_mask=field_mask_pb2.FieldMask(paths=["url", "event_types"])
        )
    )
    assert (updated.webhook_endpoint.url, list(updated.webhook_endpoint.event_types)) == (URL + "/v2", ["wallet.*"])
    assert updated.webhook_endpoint.description == "orders feed"
    off = await shop.admin.webhooks.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(
            webhook_endpoint=wh.WebhookEndpoint(id=endpoint_id, enabled=False),
            update_mask=field_mask_pb2.FieldMask(paths=["enabled"]),
        )
    )
    assert off.webhook_endpoint.enabled is False
    entries = await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(target_id=endpoint_id))
    assert [e.action for e in entries.audit_entries] == [
        "webhook_endpoint.disabled",
        "webhook_endpoint.updated",
        "webhook_endpoint.created",
    ]


async def test_bad_updates_change_nothing(hub: Hub) -> None:
    shop, created = await _create(hub)
    endpoint = created.webhook_endpoint
    for mask, problem_field in ((["url"], "url"), ([], "update_mask"), (["secret"], "update_mask")):
        with pytest.raises(InvalidArgument) as refused:
            await shop.admin.webhooks.UpdateWebhookEndpoint(
                pb.UpdateWebhookEndpointRequest(
                    webhook_endpoint=wh.WebhookEndpoint(id=endpoint.id, url="http://hooks.example.com"),
                    update_mask=field_mask_pb2.FieldMask(paths=mask),
                )
            )
        assert problem_field in [v.field for v in refused.value.field_violations]
    got = await shop.admin.webhooks.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(webhook_endpoint_id=endpoint.id))
    assert got.webhook_endpoint == endpoint


async def test_another_tenants_endpoint_is_not_found_and_unchanged(hub: Hub) -> None:
    owner, created = await _create(hub, "Owner")
    endpoint = created.webhook_endpoint
    other = await hub.new_tenant("Other")
    calls = [
        other.admin.webhooks.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(webhook_endpoint_id=endpoint.id)),
        other.admin.webhooks.UpdateWebhookEndpoint(
            pb.UpdateWebhookEndpointRequest(
                webhook_endpoint=wh.WebhookEndpoint(id=endpoint.id, enabled=False),
                update_mask=field_mask_pb2.FieldMask(paths=["enabled"]),
            )
        ),
        other.admin.webhooks.RotateWebhookSecret(pb.RotateWebhookSecretRequest(webhook_endpoint_id=endpoint.id)),
        other.admin.webhooks.RedeliverEvent(pb.RedeliverEventRequest(endpoint_id=endpoint.id, event_id=1)),
    ]
    for call in calls:
        with pytest.raises(NotFound) as missing:
            await call
        assert missing.value.reason == "WEBHOOK_ENDPOINT_NOT_FOUND"
    assert (
        list((await other.admin.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())).webhook_endpoints)
        == []
    )
    got = await owner.admin.webhooks.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(webhook_endpoint_id=endpoint.id))
    assert got.webhook_endpoint == endpoint


async def test_rotation_returns_a_new_secret_and_a_grace_period(hub: Hub) -> None:
    shop, created = await _create(hub)
    endpoint = created.webhook_endpoint
    rotated = await shop.admin.webhooks.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(webhook_endpoint_id=endpoint.id, grace_period_seconds=3600)
    )
    assert rotated.secret != created.secret
    grace = rotated.webhook_endpoint.previous_secret_expire_time.seconds - rotated.webhook_endpoint.update_time.seconds
    assert grace == 3600
    with pytest.raises(InvalidArgument) as refused:
        await shop.admin.webhooks.RotateWebhookSecret(
            pb.RotateWebhookSecretRequest(webhook_endpoint_id=endpoint.id, grace_period_seconds=8 * 86400)
        )
    assert [v.field for v in refused.value.field_violations] == ["grace_period_seconds"]


async def test_the_endpoint_limit(hub: Hub) -> None:
    shop = await hub.new_tenant("Many")
    for n in range(16):
        await shop.admin.webhooks.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(url=f"{URL}/{n}"))
    with pytest.raises(FailedPrecondition) as full:
        await shop.admin.webhooks.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(url=f"{URL}/17"))
    assert full.value.reason == "WEBHOOK_ENDPOINT_LIMIT"
    first = await shop.admin.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(page_size=10))
    second = await shop.admin.webhooks.ListWebhookEndpoints(
        pb.ListWebhookEndpointsRequest(page_size=10, page_token=first.next_page_token)
    )
    urls = [e.url for e in [*first.webhook_endpoints, *second.webhook_endpoints]]
    assert urls == [f"{URL}/{n}" for n in range(16)] and second.next_page_token == ""


async def test_only_admin_keys_manage_endpoints(hub: Hub) -> None:
    shop = await hub.new_tenant("Roles")
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    with pytest.raises(PermissionDenied):
        await partner.webhooks.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest())
    platform_in_tenant = hub.platform.for_tenant(shop.id)
    created = await platform_in_tenant.webhooks.CreateWebhookEndpoint(pb.CreateWebhookEndpointRequest(url=URL))
    assert created.webhook_endpoint.url == URL
