"""The coalescer that lets concurrent screen reads share a statement (store/reads/coalescer.py):
what each caller gets back when its read shares a statement with others, fails, or is given up."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from core_server.store.reads.coalescer import Coalescer


class Source:
    """fetch_many over a dict, recording the batches it was asked (one `await` apart)."""

    def __init__(self, poison: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.poison = poison

    async def fetch_many(self, keys: Sequence[str]) -> list[str]:
        self.batches.append(list(keys))
        await asyncio.sleep(0.01)
        if self.poison in keys:
            raise ValueError(f"bad key {self.poison}")
        return [key.upper() for key in keys]


async def test_a_lone_read_runs_at_once_and_a_crowd_shares_statements() -> None:
    source = Source()
    coalescer = Coalescer(source.fetch_many, in_flight=2)
    assert await coalescer.get("a") == "A"
    assert source.batches == [["a"]]
    keys = [f"k{n}" for n in range(40)]
    assert await asyncio.gather(*(coalescer.get(key) for key in keys)) == [key.upper() for key in keys]
    later = source.batches[1:]
    assert sorted(key for batch in later for key in batch) == sorted(keys)
    assert len(later) < 10  # two ran at once; the rest waited and went together


async def test_a_key_that_fails_its_statement_fails_only_its_own_call() -> None:
    source = Source(poison="bad")
    coalescer = Coalescer(source.fetch_many, in_flight=1)
    first = asyncio.ensure_future(coalescer.get("first"))
    await asyncio.sleep(0)  # "first" runs alone; the next three wait and go together
    crowd = [asyncio.ensure_future(coalescer.get(key)) for key in ("x", "bad", "y")]
    assert await first == "FIRST"
    results = await asyncio.gather(*crowd, return_exceptions=True)
    assert results[0] == "X" and results[2] == "Y"
    assert isinstance(results[1], ValueError)
    assert ["x", "bad", "y"] in source.batches  # shared, failed, then each alone
    assert ["x"] in source.batches and ["bad"] in source.batches


async def test_a_caller_that_gives_up_leaves_the_others_their_answers() -> None:
    source = Source()
    coalescer = Coalescer(source.fetch_many, in_flight=1)
    busy = asyncio.ensure_future(coalescer.get("busy"))
    await asyncio.sleep(0)
    impatient = asyncio.ensure_future(asyncio.wait_for(coalescer.get("impatient"), 0.001))
    patient = asyncio.ensure_future(coalescer.get("patient"))
    with pytest.raises(TimeoutError):
        await impatient
    assert (await busy, await patient) == ("BUSY", "PATIENT")
