"""The one place the app asks what day and time it is.

Tests, snapshots and the demo generator pin the clock so that nothing they
check changes with the calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Clock:
    """Gives today's date and the current instant; pinned when `fixed` is set."""

    fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in China Standard Time."""
        if self.fixed is not None:
            return self.fixed
        return dt.datetime.now(CHINA_TZ)

    def today(self) -> dt.date:
        return self.now().date()

    @classmethod
    def pinned(cls, day: dt.date, hour: int = 10) -> Clock:
        """A clock stopped at `hour` o'clock on `day`."""
        return cls(dt.datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ))


SYSTEM_CLOCK = Clock()
