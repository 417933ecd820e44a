"""A fake Telegram Bot API for the Stars tests (the core with a clock the test moves, for the
reconciliation worker's schedule, is the suite's `clocked_hub`)."""

from collections.abc import AsyncIterator

import pytest

from tests.providers.fakes.server import serve
from tests.providers.fakes.telegram import FakeTelegramBotApi


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramBotApi]:
    fake = FakeTelegramBotApi()
    async with serve(fake.app) as url:
        fake.base_url = url
        yield fake
