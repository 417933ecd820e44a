"""The garbage collector's thresholds for a process serving many calls: the bot gateway, the HTTP
gateway hosting webhook bots, and the core (here, in the SDK, because all three may import it).

CPython runs a young-generation collection every 700 net allocations of container objects, and a
handled update allocates hundreds (the parsed update, aiogram's context, the pydantic models of
the Bot API call). Objects alive at a collection (64 updates in flight hold thousands) are
promoted, so the old generations fill with short-lived objects and full collections, which walk
every bot's settings, sessions and keyboards, follow every few seconds. In bench/bots.py (300 bots,
8 s) that was 257 young, 23 middle and 2 full collections: 0.195 ms of gateway CPU per update, a
sixth of it. With the young threshold at 10 000 the same window ran 1 young collection and
0.002 ms per update. Reference counting frees almost everything anyway; the collector is only for
cycles, which a larger young generation keeps a little longer.

The core is the same case: a call allocates the request and response messages, the interceptor's
context and asyncpg's records. In one bench/purchase.py run (charge_usage, purchase_one_call,
get_user; 8 s each) the core's collector, timed with gc.callbacks, ran 887 young, 81 middle and 6
full collections over the process's life, the full ones 77 ms each on average (pauses every call
in flight waits out). With tune_gc() in core_server.app.main the same run had 336, 30 and 2; set
from the process's first line instead, before the modules are imported, the threshold left 50, 4
and 0, so the remaining ones likely fall in the imports (not checked further).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Collect the young generation every YOUNG_THRESHOLD allocations (the older ones as before)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
