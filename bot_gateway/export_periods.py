"""The periods of the admin export: ready-made ones ending now, or whole days an admin types.

A period is [start, end) as the core's export RPCs take it (None: unbounded). Typed days are whole
days in UTC, both included: "2026-11-01..2026-11-28" is [2026-11-01T00:00Z, 2026-11-29T00:00Z).
The bot does not know the tenant's time zone (a BotTenant carries none), so UTC, and says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from bot_gateway.callbacks import ExportKind, ExportPeriod

DAYS = {ExportPeriod.WEEK: 7, ExportPeriod.MONTH: 30}
# what the core accepts (common.proto, Times): [1970-01-01, 9000-01-01)
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(8999, 12, 30)
TYPED = re.compile(r"\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.\s*(\d{4}-\d{2}-\d{2})\s*)?")


class PeriodError(StrEnum):
    """Why typed days are not a period."""

    FORMAT = "format"  # not YYYY-MM-DD..YYYY-MM-DD, or no such day
    REVERSED = "reversed"  # the first day after the last
    RANGE = "range"  # before 1970 or too far ahead


@dataclass(frozen=True, slots=True)
class Period:
    """The bounds the export asks for and the days its file is named after."""

    start: dt.datetime | None
    end: dt.datetime | None
    first_day: dt.date | None  # None: from the beginning
    last_day: dt.date

    def filename(self, kind: ExportKind) -> str:
        """orders_2026-11-01_2026-11-28.csv; everything up to today: orders_all_2026-11-28.csv."""
        first = self.first_day.isoformat() if self.first_day else "all"
        return f"{kind.value}_{first}_{self.last_day.isoformat()}.csv"

    def label(self) -> str:
        """ "2026-11-01 – 2026-11-28" (the caption names "all time" itself)."""
        first = self.first_day.isoformat() if self.first_day else "…"
        return f"{first} – {self.last_day.isoformat()}"


def ready_made(period: ExportPeriod, now: dt.datetime | None = None) -> Period:
    """The last 7 or 30 days up to now, or everything up to now."""
    end = now or dt.datetime.now(dt.UTC)
    if period is ExportPeriod.ALL:
        return Period(None, None, None, end.date())
    start = end - dt.timedelta(days=DAYS[period])
    return Period(start, end, start.date(), end.date())


def typed(text: str) -> Period | PeriodError:
    """ "YYYY-MM-DD..YYYY-MM-DD" (or one day "YYYY-MM-DD") as whole UTC days, both included."""
    match = TYPED.fullmatch(text)
    if match is None:
        return PeriodError.FORMAT
    try:
        first = dt.date.fromisoformat(match[1])
        last = dt.date.fromisoformat(match[2] or match[1])
    except ValueError:
        return PeriodError.FORMAT
    if first > last:
        return PeriodError.REVERSED
    if first < FIRST_DAY or last > LAST_DAY:
        return PeriodError.RANGE
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    return Period(start, end, first, last)
