"""The load client of bench/ledger.py: keeps N ChargeUsage calls in flight against a core.

It is a separate process so that the core's CPU is the core's alone (the client shares the
machine, as a real gateway would). It talks to the core with the raw generated stub on a plain
grpc.aio channel (no client interceptors: the SDK's retry and error mapping would cost the client
CPU that the benchmark is not about), one fresh request_id per call, 1 TOKEN per call, a random
user per call. The window protocol with the orchestrator is bench/_loadgen.py's.

Run on its own (`make bench` runs every bench/*.py) it prints a note and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._loadgen import CALL_TIMEOUT_SECONDS, channel, drive, user_uuid
from sdk.billinghub.v1 import common_pb2, wallet_service_pb2_grpc
from sdk.billinghub.v1 import wallet_service_pb2 as pb


async def run(args: argparse.Namespace) -> dict[str, Any]:
    users = [user_uuid(n) for n in range(1, args.users + 1)]
    metadata = (("authorization", f"Bearer {args.key}"),)
    amount = common_pb2.Money(asset="TOKEN", amount_minor=1)
    choice = random.choice
    async with channel(args.target) as opened:
        await asyncio.wait_for(opened.channel_ready(), 10)
        call = wallet_service_pb2_grpc.WalletServiceStub(opened).ChargeUsage

        async def charge() -> object:
            request = pb.ChargeUsageRequest(
                request_id=uuid.uuid4().hex, user_id=choice(users), amount=amount, reference="bench"
            )
            return await call(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)

        summary = await drive(charge, args.concurrency, args.warmup, args.seconds)
    return {**summary, "users": args.users}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="host:port of the core (loopback)")
    parser.add_argument("--key", help="an API key that may call ChargeUsage (tenant_admin)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not args.target or not args.key:
        print("bench/ledger_client.py is the load client of bench/ledger.py; run that instead.")
        return
    if not 1 <= args.concurrency <= 10_000 or not 0 < args.seconds <= 3600 or not 0 <= args.warmup <= 600:
        parser.error("concurrency 1..10000, seconds 0..3600, warmup 0..600")
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
