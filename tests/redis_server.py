"""The local Redis for tests of shared bot state, each test under a key prefix of its own.

Locally these tests skip with a reason when Redis is unreachable; with CI=true they fail instead,
as the PostgreSQL tests do (tests/postgres.py), so a broken service never turns the suite green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

REDIS_URL = os.environ.get("BILLING_HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class RedisPrefix:
    """A reachable Redis and the key prefix one test owns."""

    url: str
    prefix: str
    client: Redis


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Redis is required in CI and unreachable at {REDIS_URL}: {reason}")
    pytest.skip(f"Redis unreachable at {REDIS_URL} ({reason}); set CI=true to make this a failure")


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[RedisPrefix]:
    """Yield a prefix no other test uses; every key under it is deleted afterwards."""
    client: Redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        await client.aclose()
        _unavailable(str(error))
        raise  # unreachable: skip/fail raise
    prefix = f"billing_hub_test_{uuid.uuid4().hex[:12]}"
    try:
        yield RedisPrefix(REDIS_URL, prefix, client)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
