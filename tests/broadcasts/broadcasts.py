"""Helpers of the broadcast tests: a shop with Telegram users, drafts, and a gateway that sends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from sdk import BillingHubClient
from sdk.billinghub.v1 import broadcast_pb2 as b
from sdk.billinghub.v1 import broadcast_service_pb2 as pb
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from tests.commerce.promos import settled_events
from tests.hub import Hub, TenantHandle

ALL = b.BroadcastSegment(kind=b.BROADCAST_SEGMENT_KIND_ALL)
SENT, BLOCKED, FAILED = b.BROADCAST_OUTCOME_SENT, b.BROADCAST_OUTCOME_BLOCKED, b.BROADCAST_OUTCOME_FAILED
St = b.BroadcastStatus


async def register(
    client: BillingHubClient, external_id: str, language: str = "", platform: int = common_pb2.PLATFORM_TELEGRAM
) -> str:
    request = users_pb.RegisterUserRequest(platform=platform, external_id=external_id, language_code=language)  # type: ignore[arg-type]
    return str((await client.users.RegisterUser(request)).user.id)


async def telegram_users(shop: TenantHandle, count: int, first: int = 1000, language: str = "en") -> list[str]:
    """`count` Telegram users with ids first, first+1, ... (registered 50 at a time)."""
    users: list[str] = []
    for start in range(first, first + count, 50):
        batch = range(start, min(start + 50, first + count))
        users += await asyncio.gather(*(register(shop.admin, str(n), language) for n in batch))
    return users


async def gateway_of(hub: Hub, shop: TenantHandle) -> BillingHubClient:
    """A gateway key bound to the tenant, as the tenant's bot process holds."""
    return hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, shop.id, "bot"))


async def create(
    client: BillingHubClient,
    text: str = "Big sale today",
    segment: b.BroadcastSegment = ALL,
    request_id: str = "",
    **content: object,
) -> b.Broadcast:
    request = pb.CreateBroadcastRequest(
        request_id=request_id,
        content=b.BroadcastContent(text=text, **content),  # type: ignore[arg-type]
        segment=segment,
    )
    return (await client.broadcasts.CreateBroadcast(request)).broadcast


async def start(client: BillingHubClient, broadcast: str, request_id: str = "") -> b.Broadcast:
    request = pb.StartBroadcastRequest(broadcast_id=broadcast, request_id=request_id)
    return (await client.broadcasts.StartBroadcast(request)).broadcast


async def started(client: BillingHubClient, **fields: object) -> b.Broadcast:
    return await start(client, (await create(client, **fields)).id)  # type: ignore[arg-type]


async def get(client: BillingHubClient, broadcast: str) -> b.Broadcast:
    return (await client.broadcasts.GetBroadcast(pb.GetBroadcastRequest(broadcast_id=broadcast))).broadcast


async def lease(
    client: BillingHubClient, broadcast: str = "", max_recipients: int = 0, lease_seconds: int = 0
) -> pb.LeaseBroadcastRecipientsResponse:
    request = pb.LeaseBroadcastRecipientsRequest(
        broadcast_id=broadcast, max_recipients=max_recipients, lease_seconds=lease_seconds
    )
    return await client.broadcasts.LeaseBroadcastRecipients(request)


def results(
    recipients: Sequence[b.BroadcastRecipient], outcome: int = SENT, error: str = ""
) -> list[b.BroadcastResult]:
    return [b.BroadcastResult(recipient_id=r.recipient_id, outcome=outcome, error=error) for r in recipients]  # type: ignore[arg-type]


async def report(
    client: BillingHubClient,
    broadcast: str,
    outcomes: Sequence[b.BroadcastResult],
    request_id: str = "",
    *,
    released: Sequence[int] = (),
    lease_end: timestamp_pb2.Timestamp | None = None,
) -> pb.ReportBroadcastResultsResponse:
    """Report outcomes and give back `released` recipients of the lease that ends at `lease_end`."""
    request = pb.ReportBroadcastResultsRequest(
        broadcast_id=broadcast,
        results=outcomes,
        request_id=request_id,
        released_recipient_ids=released,
        released_lease_expire_time=lease_end,
    )
    return await client.broadcasts.ReportBroadcastResults(request)


async def send_all(client: BillingHubClient, broadcast: str = "", batch: int = 100) -> list[int]:
    """What a gateway does: lease, 'send', report sent, until nothing is handed out; the chat ids."""
    chats: list[int] = []
    while True:
        leased = await lease(client, broadcast, batch)
        if not leased.recipients:
            return chats
        chats += [r.chat_id for r in leased.recipients]
        await report(client, leased.broadcast.id, results(leased.recipients))


async def broadcast_events(shop: TenantHandle, broadcast: str) -> list[str]:
    """The broadcast's events, in order, once every event written so far is listed."""
    events = await settled_events(shop, "broadcast.")
    return [e.type for e in events if json.loads(e.data)["broadcast_id"] == broadcast]
