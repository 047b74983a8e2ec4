"""French formats, written once: dates, Paris time, euros, decimals, percentages.

Every page, email, letter, export, command-line message and the mail catcher
format through these functions, so a date or an amount reads the same
everywhere. Times are shown in Europe/Paris (stored values are aware UTC; a
naive datetime is taken as already local). The spaces differ between
forms, kept as the application printed them before they were gathered here:

- `money` (pages, exports): thousands grouped by a narrow no-break space
  (U+202F, as CLDR's French locale does), a plain space before "€";
- `money_prose` and `count` (figures quoted in a newsletter's sentences): a
  no-break space (U+00A0) so "1 750" or "16 €" never wraps across lines;
- `percent` and `time`: no-break spaces too ("12,5 %", "18 h 30").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from coopcrm import clock

NBSP = "\u00a0"  # no-break space
NNBSP = "\u202f"  # narrow no-break space

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

_Moment = dt.date | dt.datetime | str | None


def _moment(value: _Moment) -> dt.date | dt.datetime | None:
    """A date or a Paris-time datetime from a date, datetime or ISO string ('' and None: None)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if "T" in value or " " in value:
            value = dt.datetime.fromisoformat(value)
        else:
            return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.PARIS) if value.tzinfo else value
    return value


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# -- dates and times -----------------------------------------------------------

def date(value: _Moment, empty: str = "—") -> str:
    """'17/06/2027' (dd/mm/yyyy); a datetime gives its date in Paris time."""
    moment = _moment(value)
    if moment is None:
        return empty
    return f"{_day(moment):%d/%m/%Y}"


def datetime(value: _Moment, *, at: bool = False, seconds: bool = False, year: bool = True,
             empty: str = "—") -> str:
    """'17/06/2027 18:30' in Paris time.

    at: '17/06/2027 à 18:30'; seconds: '17/06/2027 18:30:05'; year=False: '17/06 18:30'.
    A date alone gives the date alone.
    """
    moment = _moment(value)
    if moment is None:
        return empty
    if not isinstance(moment, dt.datetime):
        return date(moment)
    day = f"{moment:%d/%m/%Y}" if year else f"{moment:%d/%m}"
    clock_time = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{day} à {clock_time}" if at else f"{day} {clock_time}"


def long_date(value: _Moment, empty: str = "") -> str:
    """'jeudi 1er juillet 2027': the day in words, as emails and letters write it (Paris time)."""
    moment = _moment(value)
    if moment is None:
        return empty
    d = _day(moment)
    day = f"{d.day}er" if d.day == 1 else str(d.day)
    return f"{_DAYS[d.weekday()]} {day} {MONTHS[d.month - 1]} {d.year}"


def month_year(value: dt.date | dt.datetime) -> str:
    """'mars 2027': the month of `value` (Paris time) and its year."""
    d = _day(_moment(value))  # type: ignore[arg-type]  # a date or datetime is never None
    return f"{MONTHS[d.month - 1]} {d.year}"


def time(value: dt.datetime, space: str = NBSP) -> str:
    """'18 h 30' in Paris time (no-break spaces unless told otherwise)."""
    local = value.astimezone(clock.PARIS) if value.tzinfo else value
    return f"{local.hour}{space}h{space}{local.minute:02d}"


def long_datetime(value: _Moment, empty: str = "") -> str:
    """'jeudi 17 juin 2027 à 18 h 30' in Paris time (a date alone: the long date)."""
    moment = _moment(value)
    if moment is None:
        return empty
    if not isinstance(moment, dt.datetime):
        return long_date(moment)
    return f"{long_date(moment)} à {time(moment, space=' ')}"


# -- numbers -------------------------------------------------------------------

def _number(value: Decimal | float | int, places: int, group: str | None) -> str:
    """value with `places` decimals, a decimal comma and, if `group`, grouped thousands."""
    text = f"{value:,.{places}f}" if group else f"{value:.{places}f}"
    # One pass, so the grouping commas and the decimal point cannot be confused.
    return text.translate({ord(","): group or "", ord("."): ","})


def decimal(value: Decimal | float | int, places: int | None = None) -> str:
    """'4,0' with `places` decimals; places=None keeps the value's own digits ('16,50').

    No thousands grouping (sizes, durations, votes and amounts typed back in a form).
    """
    if places is None:
        # "f", not str(): a normalised Decimal would print 100 as "1E+2".
        text = f"{value:f}" if isinstance(value, Decimal) else str(value)
        return text.replace(".", ",")
    return _number(value, places, None)


def count(value: int) -> str:
    """'1 750': a whole number with no-break-space thousands."""
    return _number(value, 0, NBSP)


def percent(value: float, places: int = 1) -> str:
    """'12,5 %' (value is already a percentage: 12.5 for 12.5 %)."""
    return f"{_number(value, places, None)}{NBSP}%"


def money(value: Decimal | float | int | None) -> str:
    """'1 234,50 €' (none counts as zero): narrow no-break space thousands, always cents."""
    return f"{_number(Decimal(str(value or 0)), 2, NNBSP)} €"


def money_prose(value: Decimal | float | int | str) -> str:
    """'16 €', '1 234,50 €' for a sentence: no cents when whole, no-break spaces."""
    amount = Decimal(str(value))
    places = 0 if amount == amount.to_integral_value() else 2
    return f"{_number(amount, places, NBSP)}{NBSP}€"


def file_size(size: int) -> str:
    """'350 Ko', '1,2 Mo' (1 Ko = 1,024 bytes, as file managers count)."""
    if size < 1024 * 1024:
        return f"{_number(max(1, round(size / 1024)) if size else 0, 0, NBSP)}{NBSP}Ko"
    return f"{_number(size / (1024 * 1024), 1, None)}{NBSP}Mo"


# -- Jinja ---------------------------------------------------------------------

def page_filters() -> dict[str, Callable[..., Any]]:
    """The Jinja filters of web pages and printed letters (the app's and the mail catcher's)."""
    return {"date_fr": date, "datetime_fr": datetime, "money": money,
            "percent_fr": percent, "decimal_fr": decimal, "size_fr": file_size}


def email_filters() -> dict[str, Callable[..., Any]]:
    """The Jinja filters of email templates: the long forms, empty for a missing value."""
    return {"date_fr": long_date, "datetime_fr": long_datetime}
