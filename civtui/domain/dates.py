"""Dates as people type them: 2026-11-20, 2026/11/20, 2026.11.20, 20261120, or 11-20 for this year;
months as 2026-11 or 2026年11月.

Anything else is left as typed, so the model says, in one message, which forms are accepted.
"""

from __future__ import annotations

import datetime as dt
import re

from civtui.domain.clock import CHINA_TZ

_FULL = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_THIS_YEAR = re.compile(r"(\d{1,2})[-/.月](\d{1,2})日?")
_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")
_MONTH = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """The day `text` names, or None when it is not one of the accepted forms."""
    text = text.strip()
    for pattern in (_FULL, _COMPACT):
        if match := pattern.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return _day(year, month, day)
    if match := _THIS_YEAR.fullmatch(text):
        month, day = (int(g) for g in match.groups())
        return _day(today.year, month, day)
    return None


def parse_moment(text: str, today: dt.date) -> dt.datetime | None:
    """A day in any accepted form followed by a time (`2026/11/22 9:30`), in China time."""
    parts = text.strip().split()
    if len(parts) != 2 or not (match := _TIME.fullmatch(parts[1])):
        return None
    day = parse_day(parts[0], today)
    hour, minute = (int(g) for g in match.groups())
    if day is None or hour > 23 or minute > 59:
        return None
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def parse_month(text: str) -> dt.date | None:
    """The first day of the month `text` names (2026-11, 2026/11, 2026.11, 2026年11月), or
    None: one reading of a month for every command and the app, as forms read days."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        return None
    year, month = (int(g) for g in match.groups())
    return _day(year, month, 1)


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
