"""What every domain's forms share: the base form, its fields and helpers."""

from __future__ import annotations

from collections.abc import Mapping

import wtforms
from flask_wtf import FlaskForm
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet
from wtforms.validators import Length, StopValidation

from coopcrm.extensions import Model
from coopcrm.models import text_limit, too_long
from coopcrm.params import MAX_ID, parse_int
from coopcrm.plaintext import line_problem, normalise_newlines, text_problem


class OneLine:
    """Validator: no posted value of the field holds a control character (CR, LF, NUL…).

    It reads what was posted (`raw_data`), so it holds for any field: text, email,
    hidden, select, date. It stops the field's other checks: `Optional` would
    otherwise take "\r\n" for an empty value and clear the message.
    """

    def __call__(self, form, field) -> None:
        for raw in field.raw_data or ():
            message = line_problem(raw)
            if message is not None:
                raise StopValidation(message)


class MultiLine:
    """Validator of a text area: newlines and tabs are text, other controls are refused."""

    def __call__(self, form, field) -> None:
        message = text_problem(field.data)
        if message is not None:
            raise StopValidation(message)


def _newlines(value):
    """A text area's filter: its line breaks stored as \n whatever the browser sent."""
    return normalise_newlines(value) if isinstance(value, str) else value


def guard(field: wtforms.Field) -> wtforms.Field:
    """Put the control-character rule first on a bound field (Form does it to every field).

    A text area gets MultiLine and the newline filter; a password none (a secret is
    hashed, never shown nor put in a header, and must be taken as typed); the CSRF
    token none (its own check refuses anything unexpected); a file none (bytes, checked
    by what stores them); every other field OneLine.
    """
    if isinstance(field, wtforms.PasswordField | wtforms.FileField | CSRFTokenField):
        return field
    if isinstance(field, wtforms.TextAreaField):
        field.filters = (*field.filters, _newlines)
        field.validators = [MultiLine(), *field.validators]
    else:
        field.validators = [OneLine(), *field.validators]
    return field


class Form(FlaskForm):
    """The base of every form of the app (tests/test_forms.py checks it).

    Each field is guarded as it is bound (`guard`): no one-line field takes a
    control character, so a form written tomorrow gets the rule without asking.
    """

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return guard(super().bind_field(form, unbound_field, options))


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
