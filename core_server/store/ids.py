"""Time-ordered UUIDs (version 7, RFC 9562) for new rows.

Ordered ids keep B-tree inserts at the right edge of the index and let lists page by id alone
(keyset paging on one column), where a random UUID4 would need a (time, id) pair.
"""

from __future__ import annotations

import os
import time
import uuid

_MASK_48 = (1 << 48) - 1
_MASK_62 = (1 << 62) - 1


def new_id() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random bits, variant 10."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = (rand >> 68) & 0xFFF
    rand_b = rand & _MASK_62
    return uuid.UUID(int=((millis & _MASK_48) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
