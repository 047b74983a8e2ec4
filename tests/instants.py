"""Paris wall-clock instants, as the tests write them (the app stores aware UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from coopcrm import clock


def paris(*args) -> datetime:
    """A Paris wall-clock time as an aware datetime: paris(2027, 1, 15, 9)."""
    return datetime(*args, tzinfo=clock.PARIS)


def at(day: date, hour=18, minute=30) -> datetime:
    """A Paris wall-clock time on `day` as aware UTC (an evening, unless told)."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.PARIS).astimezone(UTC)
