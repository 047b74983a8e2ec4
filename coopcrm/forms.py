"""What every domain's forms share."""

from __future__ import annotations

from collections.abc import Mapping

import wtforms
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet
from wtforms.validators import Length

from coopcrm.extensions import Model
from coopcrm.models import text_limit, too_long
from coopcrm.params import MAX_ID, parse_int


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them; values as strings, as forms post them."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def longest(limit: int) -> Length:
    """A Length validator with the French message (for a limit that is the form's own)."""
    return Length(max=limit, message=too_long(limit))


def max_length(model: type[Model], column: str) -> Length:
    """A Length validator at the model column's String(n)."""
    return longest(text_limit(model, column))


def coerce_id(value) -> int:
    """A SelectField's coerce for an id: ValueError (the field's error) unless 1 … MAX_ID."""
    number = parse_int(value)
    if number is None:
        raise ValueError("Aucun choix.")
    return number


def attach_errors(form, errors: Mapping[str, str], *, fallback=None,
                  aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Put a service's French messages (ValidationFailed.errors) on the form's fields.

    A message goes on the field of its key (or of `aliases[key]`); one no field
    takes goes on `fallback` when given, else it is returned for the caller to show.
    """
    rest = {}
    for key, message in errors.items():
        field = getattr(form, (aliases or {}).get(key, key), None)
        if field is None or not hasattr(field, "errors"):
            field = fallback
        if field is None:
            rest[key] = message
        elif message not in field.errors:  # the form's own check may have said it already
            field.errors = [*field.errors, message]
    return rest


def first_field(form):
    """The form's first visible field (where a message about the whole form goes)."""
    return next(f for f in form if f.name != "csrf_token")


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField held to what a database integer holds, refusing in French.

    WTForms takes any Python int (20 digits, "1_000", "١٢"): the database then fails.
    Every form uses this one instead (tests/test_params.py checks it).
    """

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        try:
            self.data = parse_int(valuelist[0], -MAX_ID, MAX_ID)
        except ValueError:
            digits = str(valuelist[0]).strip().lstrip("-")
            raise ValueError("Ce nombre est trop grand." if digits.isascii() and digits.isdigit()
                             else "Indiquez un nombre entier.") from None
        if self.data is None:
            raise ValueError("Indiquez un nombre entier.")
