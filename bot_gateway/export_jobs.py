"""The admin exports running in the background, one process-wide registry of them.

An export streams a tenant's whole history from the core and uploads it to Telegram: seconds to
minutes. Inside the update handler that would hold the update (and, in webhook mode, Telegram's
webhook request, which Telegram retries when it takes too long) for all that time. So the export
handler answers at once and hands the work to `ExportJobs.start`, which runs it as a task of its
own and keeps it bounded and tracked:

- at most one export at a time per bot and per admin (a Telegram user who administers two bots
  still runs one): a second request while one runs is refused (`start` returns False, the handler
  says "already preparing"), so a tapping admin cannot pile exports onto the core;
- the tasks are owned here, not left to the loop: the runner stops a bot's job when it stops the
  bot (beside its broadcast sender, `BotRunner._stop_bot`), so shutdown cancels and awaits every
  export and no task is left pending;
- a job that fails unexpectedly is logged (its error class only: no token, no traceback reaches
  the admin); what the admin is told is the job's own business (handlers/admin/export.py).

Nothing is kept per idle bot: the registry holds entries only while an export runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)

EXPORT_JOBS_KEY = "export_jobs"  # the dispatcher's workflow data name of the process's registry


@dataclass(frozen=True)
class _Job:
    bot_id: int
    admin_id: int
    task: asyncio.Task[None]


class ExportJobs:
    """The running exports of this process, by bot and by admin."""

    def __init__(self) -> None:
        self._jobs: set[_Job] = set()

    def busy(self, bot_id: int, admin_id: int) -> bool:
        """Whether the bot or the admin has an export running."""
        return any(job.bot_id == bot_id or job.admin_id == admin_id for job in self._jobs)

    def start(self, bot_id: int, admin_id: int, work: Coroutine[Any, Any, None]) -> bool:
        """Run `work` as the export of `admin_id` in `bot_id`; False (and `work` closed unrun)
        when one of them already has an export running."""
        if self.busy(bot_id, admin_id):
            work.close()
            return False
        task = asyncio.create_task(self._guarded(work, bot_id), name=f"export:{bot_id}:{admin_id}")
        job = _Job(bot_id, admin_id, task)
        self._jobs.add(job)
        task.add_done_callback(lambda _: self._jobs.discard(job))
        return True

    async def _guarded(self, work: Coroutine[Any, Any, None], bot_id: int) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the job reports its own failures; this is the last resort
            log.error("export failed", bot_id=bot_id, error=type(error).__name__)

    async def stop(self, bot_id: int) -> None:
        """Cancel the bot's export, if any, and wait until it has ended."""
        await self._cancel([job.task for job in self._jobs if job.bot_id == bot_id])

    async def stop_all(self) -> None:
        """Cancel every export and wait until they have ended."""
        await self._cancel([job.task for job in self._jobs])

    async def idle(self) -> None:
        """Wait until the exports running now have ended (tests; a graceful drain)."""
        while self._jobs:
            await asyncio.gather(*(job.task for job in list(self._jobs)), return_exceptions=True)

    @staticmethod
    async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> int:
        """How many exports run now (no `__len__`: an idle registry must not read as false)."""
        return len(self._jobs)
