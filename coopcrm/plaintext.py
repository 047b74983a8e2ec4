"""What stored text may hold: a one-line value no control character, a text area only
newlines and tabs.

One rule for every way text comes in: forms (coopcrm.forms applies it to every
field), the member import (each cell) and the services (so an API to come is held
to it too). A CR or LF in a name would become a new mail header line or a new
.ics property, a NUL is refused by PostgreSQL and kept by SQLite, and the other
controls are invisible on screen: none of them is ever meant, so they are refused
with a French message rather than silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Never in a one-line value: C0 controls (CR, LF, NUL, tab…), DEL, C1 controls (NEL…)
# and the Unicode line and paragraph separators, which some readers split lines on.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A text area's line breaks, in every form a browser or a paste may give them.
_BREAKS = re.compile(r"\r\n?|[\x85\u2028\u2029]")
# Never in a text area, once its line breaks are \n: the other controls (tab and LF are text).
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_NAMES = {"\n": "retour à la ligne", "\r": "retour à la ligne", "\x85": "retour à la ligne",
          "\u2028": "retour à la ligne", "\u2029": "retour à la ligne",
          "\t": "tabulation", "\x00": "caractère nul"}


def _named(char: str) -> str:
    return _NAMES.get(char, f"caractère de contrôle U+{ord(char):04X}")


def line_problem(value: object) -> str | None:
    """The French message when a one-line value holds a control character, else None.

    Anything that is not text (None, a number, a date) has none.
    """
    if not isinstance(value, str):
        return None
    found = CONTROLS.search(value)
    if found is None:
        return None
    return (f"Caractère interdit ({_named(found.group())}) : ce champ tient sur une ligne, "
            "sans caractère de contrôle.")


def text_problem(value: object) -> str | None:
    """The French message when a text area's value holds a control character other than
    a line break or a tab, else None."""
    if not isinstance(value, str):
        return None
    found = _TEXT_CONTROLS.search(normalise_newlines(value))
    if found is None:
        return None
    return f"Caractère interdit ({_named(found.group())}) : retirez-le du texte."


def normalise_newlines(value: str) -> str:
    """Every line break as \\n (CRLF, a bare CR, NEL, the Unicode separators)."""
    return _BREAKS.sub("\n", value) if value else value


def problems(lines: Mapping[str, object] | None = None,
             texts: Mapping[str, object] | None = None) -> dict[str, str]:
    """French messages by key for the `lines` (one-line values) and `texts` (text areas)
    that hold a control character: what a service adds to its ValidationFailed errors."""
    found: dict[str, str] = {}
    for values, check in ((lines, line_problem), (texts, text_problem)):
        for key, value in (values or {}).items():
            message = check(value)
            if message is not None:
                found[key] = message
    return found
