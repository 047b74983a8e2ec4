"""The only clock of the application: settable so time is an input.

Everything stores aware UTC datetimes; Europe/Paris is for display and for
business dates (a newsletter "on 15 June at 09:00" is Paris time).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen: datetime | None = None


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Europe/Paris."""
    return now().astimezone(PARIS).date()


def set_now(dt: datetime | None) -> None:
    """Freeze the clock at dt (naive means UTC); None lets it run again."""
    global _frozen
    _frozen = None if dt is None else _aware(dt)


@contextmanager
def frozen(dt: datetime) -> Iterator[None]:
    """Freeze the clock for the duration of a block."""
    previous = _frozen
    set_now(dt)
    try:
        yield
    finally:
        set_now(previous)


def parse_iso(value: str) -> datetime:
    """An ISO date or datetime as typed on a command line; naive means Paris time."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PARIS)
    return _aware(dt)
