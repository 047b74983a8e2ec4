"""Numbers from a URL, a query string or a form, range-checked before any query sees them.

An id is a 32-bit integer in PostgreSQL (SQLite stops at 64 bits): a bigger number from
outside would reach the database and fail there (NumericValueOutOfRange, OverflowError),
a 500 instead of "no such page". Routes name their ids `<id:member_id>` (IdConverter);
views read a number from the query string or a form with `int_arg`, and forms and
services parse one with `parse_int`.
"""

from __future__ import annotations

import re

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's ids never get there either
_WHOLE = re.compile(r"-?[0-9]{1,20}")  # ASCII digits only: int() also takes "١٢" and "1_0"


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id, 1 … MAX_ID; any other number matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def parse_int(value, low: int = 1, high: int = MAX_ID) -> int | None:
    """`value` as a whole number in [low, high]; None when empty; ValueError otherwise."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise ValueError(f"not a whole number in [{low}, {high}]: {text[:40]!r}")
    return int(text)


class BadInput(BadRequest):
    """400 whose description is a French sentence for the error page."""


def int_arg(name: str, default: int | None = None, *, low: int = 1,
            high: int = MAX_ID) -> int | None:
    """The query string's or the form's `name` as a number in [low, high] (an id by default).

    Absent or empty: `default`. Anything else answers 400 with a French message.
    """
    try:
        value = parse_int(request.values.get(name), low, high)
    except ValueError:
        raise BadInput(f"Le paramètre « {name} » doit être un nombre entier "
                       f"entre {low} et {high}.") from None
    return default if value is None else value


def init_app(app) -> None:
    """Register the `id` URL converter."""
    app.url_map.converters["id"] = IdConverter
