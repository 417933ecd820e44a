"""The commerce tests' core with a clock the test moves (the reconciliation worker's schedule), and
a fake Telegram Bot API for the Stars tests."""

from collections.abc import AsyncIterator

import pytest

from tests.commerce.conftest import clock, clocked_hub
from tests.providers.fakes.server import serve
from tests.providers.fakes.telegram import FakeTelegramBotApi

__all__ = ["bot_api", "clock", "clocked_hub"]


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramBotApi]:
    fake = FakeTelegramBotApi()
    async with serve(fake.app) as url:
        fake.base_url = url
        yield fake
