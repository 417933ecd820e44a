"""The core accepts the keepalive pings the SDK sends.

The SDK pings every KEEPALIVE_MS while calls are open (a long WatchEvents stream, a gateway's
idle-looking channel). gRPC servers accept a ping only every 5 minutes by default and close the
connection with GOAWAY "too_many_pings" after two early ones, which clients saw as UNAVAILABLE
"Too many pings" on a busy channel. The core's floor must stay below the SDK's interval."""

from __future__ import annotations

from core_server.api.server import SERVER_OPTIONS
from sdk.client import KEEPALIVE_MS


def test_the_core_takes_pings_at_the_rate_the_sdk_sends_them() -> None:
    options = dict(SERVER_OPTIONS)
    assert options["grpc.http2.min_ping_interval_without_data_ms"] < KEEPALIVE_MS
    assert options["grpc.keepalive_permit_without_calls"] == 1
