"""The broadcast variant of bench/bots.py (`--broadcast N`): one tenant bot sends a broadcast to N
Telegram users through the gateway's sender, against the load fake Bot API and the real core.

1. lifted: the sender with no rate limit (`rate=0`, batches of 1 000) sends the whole broadcast —
   lease, sendMessage per recipient, reports every 50 messages — until the core says it finished;
   recipients/s, and the CPU of the gateway (this process), the core and PostgreSQL over that window
   (the core's share: core / (gateway + core + PostgreSQL));
2. paced: a second broadcast to the same users with the default 25/s for `--pace-seconds` (then
   cancelled): the pace measured from the fake server's timestamps, the most sends it saw in any
   one second, and the time that pace implies for 100 000 recipients against the 4 000 s the 25/s
   budget implies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from bench import _sampling as sampling
from bot_gateway.broadcasts.sender import BroadcastSender
from bot_gateway.session import BotSession
from sdk.billinghub.v1 import broadcast_pb2, broadcast_service_pb2, common_pb2, platform_service_pb2, tenant_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.client import BillingHubClient

BUDGET_PER_S = 25.0
REFERENCE_RECIPIENTS = 100_000
BOT_ID = 800_000_000
FIRST_CHAT = 10_000_000


async def register_users(tenant: BillingHubClient, count: int, concurrency: int = 32) -> None:
    """`count` Telegram users with chat ids FIRST_CHAT, FIRST_CHAT + 1, ..."""
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            await tenant.users.RegisterUser(
                users_pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=str(FIRST_CHAT + n))
            )

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def start_broadcast(tenant: BillingHubClient, text: str) -> broadcast_pb2.Broadcast:
    draft = await tenant.broadcasts.CreateBroadcast(
        broadcast_service_pb2.CreateBroadcastRequest(
            content=broadcast_pb2.BroadcastContent(text=text),
            segment=broadcast_pb2.BroadcastSegment(kind=broadcast_pb2.BROADCAST_SEGMENT_KIND_ALL),
        )
    )
    started = await tenant.broadcasts.StartBroadcast(
        broadcast_service_pb2.StartBroadcastRequest(broadcast_id=draft.broadcast.id)
    )
    return started.broadcast


async def until_finished(tenant: BillingHubClient, broadcast_id: str) -> broadcast_pb2.Broadcast:
    while True:
        response = await tenant.broadcasts.GetBroadcast(
            broadcast_service_pb2.GetBroadcastRequest(broadcast_id=broadcast_id)
        )
        if response.broadcast.status == broadcast_pb2.BROADCAST_STATUS_FINISHED:
            return response.broadcast
        await asyncio.sleep(0.2)


async def send_times(api_url: str, since: float) -> tuple[float, list[float]]:
    async with httpx.AsyncClient(timeout=60) as client:
        body = (await client.get(f"{api_url}/send_times", params={"since": since})).json()
    return float(body["now"]), [float(at) for at in body["times"]]


def most_in_a_second(times: list[float]) -> int:
    """The most sends any one-second window [t, t + 1) holds."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def run_sender(sender: BroadcastSender) -> asyncio.Task[None]:
    return asyncio.create_task(sender.run())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def measure_broadcast(
    recipients: int, pace_seconds: float, target: str, platform_key: str, api_url: str, core: Any, database: str
) -> dict[str, Any]:
    """Both runs; the result written to bench/results/bots_broadcast.json."""
    async with BillingHubClient(target, platform_key) as platform:
        token = f"{BOT_ID}:BENCH-{'0' * 32}"
        tenant_id = (
            await platform.platform.CreateTenant(
                platform_service_pb2.CreateTenantRequest(name="Bench broadcast", bot_token=token)
            )
        ).tenant.id
        gateway_key = (
            await platform.platform.CreateApiKey(
                platform_service_pb2.CreateApiKeyRequest(
                    role=tenant_pb2.API_KEY_ROLE_GATEWAY, tenant_id=tenant_id, name="bench broadcast"
                )
            )
        ).secret
        admin = platform.for_tenant(tenant_id)
        began = time.monotonic()
        await register_users(admin, recipients)
        print(f"{recipients} Telegram users registered in {time.monotonic() - began:.1f} s")
        bot = Bot(token, session=BotSession(api=TelegramAPIServer.from_base(api_url)))
        async with BillingHubClient(target, gateway_key) as gateway:
            hub = gateway.for_tenant(tenant_id)
            # 1. lifted
            lifted = await start_broadcast(admin, "Bench broadcast, no limit")
            sender = BroadcastSender(hub, bot, tenant_id, rate=0, batch=1000, poll_seconds=0.2)
            gateway_process = psutil.Process()
            sampler = sampling.CpuSampler(core, database)
            sampler.start()
            gateway_cpu = sampling.cpu_seconds(gateway_process)
            began = time.monotonic()
            task = await run_sender(sender)
            done = await until_finished(admin, lifted.id)
            elapsed = time.monotonic() - began
            gateway_cpu = sampling.cpu_seconds(gateway_process) - gateway_cpu
            window = sampler.stop()
            await stop(task)
            if done.sent != recipients:
                raise SystemExit(f"{done.sent} of {recipients} sent")
            # 2. paced at the default budget, over a short window
            paced = await start_broadcast(admin, "Bench broadcast, 25/s")
            since, _ = await send_times(api_url, 0.0)
            task = await run_sender(BroadcastSender(hub, bot, tenant_id, rate=BUDGET_PER_S, poll_seconds=0.2))
            await asyncio.sleep(pace_seconds)
            await stop(task)
            _, times = await send_times(api_url, since)
            await admin.broadcasts.CancelBroadcast(broadcast_service_pb2.CancelBroadcastRequest(broadcast_id=paced.id))
        await bot.session.close()
    pace = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    total_cpu = gateway_cpu + window.core_s + window.postgres_own_s
    rate = recipients / elapsed
    return {
        "metric": "broadcast_recipients_per_second",
        "value": round(rate, 1),
        "unit": "recipients/s",
        "details": {
            "recipients": recipients,
            "lifted_seconds": round(elapsed, 2),
            "cpu_s": {
                "gateway": round(gateway_cpu, 2),
                "core": round(window.core_s, 2),
                "postgres_bench": round(window.postgres_own_s, 2),
            },
            "core_cpu_share": round(window.core_s / total_cpu, 3) if total_cpu else None,
            "core_cpu_ms_per_recipient": round(window.core_s * 1000 / recipients, 3),
            "paced": {
                "rate_limit_per_s": BUDGET_PER_S,
                "window_seconds": pace_seconds,
                "sent": len(times),
                "measured_per_s": round(pace, 2),
                "most_in_any_second": most_in_a_second(times),
                "budget_seconds_for_100000": round(REFERENCE_RECIPIENTS / BUDGET_PER_S),
                "measured_seconds_for_100000": round(REFERENCE_RECIPIENTS / pace) if pace else None,
            },
            "cores": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "per_recipient": "leased in batches of 1000 (LeaseBroadcastRecipients), one sendMessage on the load fake "
            "Bot API, reported every 50 (ReportBroadcastResults), one sender (one bot), sequential sends",
        },
    }
