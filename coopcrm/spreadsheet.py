"""Text cells bound for a spreadsheet (CSV or XLSX): never a live formula, read back exactly.

Every export that writes stored values into a spreadsheet passes its text
cells through `neutral`; the member import reads them back through `restore`,
so an export re-imports unchanged.
"""

from __future__ import annotations

# What makes Excel or LibreOffice start a formula (or DDE) when the cell comes first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    """A formula once any leading apostrophes are taken off."""
    return text.lstrip("'")[:1] in FORMULA_STARTS if text else False


def neutral(value):
    """The value as inert text: an apostrophe before what a spreadsheet would run.

    "=HYPERLINK(…)" becomes "'=HYPERLINK(…)", "+33 6…" becomes "'+33 6…". A text
    that already starts with apostrophes before such a character gets one more,
    so that `restore` can tell it from one this function neutralised.
    Anything that is not text is returned as it is.
    """
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text `neutral` was given (its inverse); other text is returned as it is."""
    if text[:1] == "'" and _formula_like(text):
        return text[1:]
    return text
