"""Text normalisation for matching what referents type against what files hold."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced: 'Élodie  LÉGER' -> 'elodie leger'."""
    if not text:
        return ""
    if text.isascii():  # nothing to strip: the common case, and 10x faster (imports)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def search_text(last_name: str, first_name: str, email: str | None, references=()) -> str:
    """The member's search_text column value."""
    words = [last_name or "", first_name or "", email or "", *[r for r in references if r]]
    return fold(" ".join(words))
