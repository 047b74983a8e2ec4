"""The only clock of the application: settable so time is an input.

Everything stores aware UTC datetimes; Europe/Paris is for display and for
business dates (a newsletter "on 15 June at 09:00" is Paris time).

A scheduler job is given its `now` and passes it on. Stamps written by hooks
no argument reaches (column defaults, the audit listener, all inside
SQLAlchemy's flush) read `stamp()`, which the runner sets to the job's `now`
for the run (`stamping`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen: datetime | None = None
# Per thread (the scheduler runs jobs in a pool) and per task, unlike _frozen.
_stamping: ContextVar[datetime | None] = ContextVar("clock_stamping", default=None)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Europe/Paris."""
    return day_of(now())


def day_of(moment: datetime) -> date:
    """The Europe/Paris date of an instant (a job's today is `day_of(now)`)."""
    return moment.astimezone(PARIS).date()


def years_after(day: date, years: int) -> date:
    """The same day `years` later (earlier when negative); 29 February gives the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def start_of(day: date) -> datetime:
    """Midnight in Europe/Paris at the start of `day`, as an aware UTC instant (the lower
    bound of "on or after this date" over timestamp columns)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=PARIS).astimezone(UTC)


def stamp() -> datetime:
    """The time for an automatic stamp (column defaults, audit): `stamping`'s, else now()."""
    at = _stamping.get()
    return at if at is not None else now()


@contextmanager
def stamping(at: datetime) -> Iterator[None]:
    """Within the block, automatic stamps read `at` (the runner: the job's `now`)."""
    token = _stamping.set(_aware(at))
    try:
        yield
    finally:
        _stamping.reset(token)


def running_from(start: datetime | None) -> Callable[[], datetime]:
    """A clock that reads `start` now, then moves on as this one does (None: this clock).

    For work given one instant that lasts (an outbox run takes minutes, hours at a
    low rate): it stamps from that instant, yet its leases and retries see time
    pass. Only durations come from this clock, so a frozen one holds it at `start`.
    """
    origin = now()
    begin = origin if start is None else _aware(start)
    return lambda: begin + (now() - origin)


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
