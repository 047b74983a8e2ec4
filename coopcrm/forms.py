"""What every domain's forms share."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them; values as strings, as forms post them."""
    return [SelectChoice(str(value), label) for value, label in pairs]
