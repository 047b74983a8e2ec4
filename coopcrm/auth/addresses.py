"""Staff email addresses: one spelling per mailbox, no lookalike letters.

An address is stored NFKC-normalised and lower-cased (a full-width "ａ" typed from a
Japanese keyboard is "a"). A part that mixes alphabets is refused: "pаul@coop.example"
with a Cyrillic "а" looks like Paul's address and is another mailbox, the classic
trick to get a second account that reads as someone else's in every list.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

# Scripts that are written together: Japanese mixes Han and kana, Korean Han and Hangul.
_SAME_WRITING = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "BOPOMOFO": "CJK"}

MIXED = ("Cette adresse mélange plusieurs alphabets (par exemple un « а » cyrillique parmi "
         "des lettres latines) : retapez-la au clavier.")
INVALID = "Adresse email invalide."


def normalise(raw: str | None) -> str:
    """The stored form of a typed address: NFKC, trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0]
    return _SAME_WRITING.get(word, word)


def _mixes_scripts(label: str) -> bool:
    return len({_script(c) for c in label if c.isalpha()}) > 1


def problem(email: str) -> str | None:
    """Why a normalised staff address is refused (French), or None."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return INVALID
    local, _, domain = email.rpartition("@")
    labels = [local]
    for label in domain.split("."):
        if label.startswith("xn--"):  # an IDN written in punycode: judge what it displays
            try:
                label = label.encode("ascii").decode("idna")
            except UnicodeError:
                return INVALID
        labels.append(label)
    if any(_mixes_scripts(label) for label in labels):
        return MIXED
    return None
