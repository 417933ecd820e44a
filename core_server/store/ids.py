"""Time-ordered UUIDs (version 7, RFC 9562) for new rows.

Ordered ids keep B-tree inserts at the right edge of the index and let lists page by id alone
(keyset paging on one column), where a random UUID4 would need a (time, id) pair.

Within a millisecond the order must hold too: the fast paths make several rows of one tenant in
the same millisecond, and "newest first" lists sort by id. The 12 bits after the version hold the
fraction of the millisecond (RFC 9562 §6.2, method 3), and an id that would not sort after the
process's previous one is made one above it (method 1's monotonic counter, over the 74 bits below
the milliseconds). Ids of two replicas made in the same millisecond still interleave at random.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_MASK_12 = (1 << 12) - 1
_MASK_48 = (1 << 48) - 1
_MASK_62 = (1 << 62) - 1
_NANOS_PER_MILLI = 1_000_000

_lock = threading.Lock()  # ids are made on the event loop and on worker threads
_last = 0  # the last id's 122 ordered bits: milliseconds (48), fraction (12), random (62)


def new_id() -> uuid.UUID:
    """A UUIDv7 greater than every id made before it in this process."""
    global _last
    nanos = time.time_ns()
    millis, below = divmod(nanos, _NANOS_PER_MILLI)
    fraction = below * (_MASK_12 + 1) // _NANOS_PER_MILLI
    ordered = ((millis & _MASK_48) << 74) | (fraction << 62) | (int.from_bytes(os.urandom(8), "big") & _MASK_62)
    with _lock:
        if ordered <= _last:
            ordered = _last + 1
        _last = ordered
    return uuid.UUID(
        int=((ordered >> 74) << 80)
        | (0x7 << 76)
        | (((ordered >> 62) & _MASK_12) << 64)
        | (0b10 << 62)
        | (ordered & _MASK_62)
    )
