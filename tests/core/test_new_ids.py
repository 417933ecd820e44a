"""New rows' ids (store/ids.py) sort in the order the rows were made, also within a millisecond.

Lists page newest first by id alone. A purchase or a registration on the fast paths takes a few
hundred microseconds, so several rows of one tenant are made in the same millisecond; with random
bits below the millisecond their order there was a coin toss ("newest first" put a user
registered later below an earlier one, seen in tests/core/test_users.py).
"""

from __future__ import annotations

import threading
import time
import uuid

from core_server.store.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order() -> None:
    ids = [new_id() for _ in range(50_000)]  # many per millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_are_version_7_with_the_rfc_variant_and_the_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_ids_made_on_several_threads_are_unique_and_each_thread_sees_them_rise() -> None:
    made: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def make(into: list[uuid.UUID]) -> None:
        into.extend(new_id() for _ in range(10_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ids == sorted(ids) for ids in made)
    assert len({i for ids in made for i in ids}) == 40_000
