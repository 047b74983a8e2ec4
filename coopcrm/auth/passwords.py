"""The password policy, after CNIL délibération n° 2022-100 (password as the only factor).

At least PASSWORD_MIN_LENGTH (12) characters, not one of the common or breached
passwords shipped with the app (coopcrm/auth/data/common-passwords.txt), and
not containing the account's name or the local part of its email. Comparisons
ignore case and accents: "Dupont" is refused in "dÜPONT-2027-maison".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from flask import current_app

from coopcrm import resources
from coopcrm.errors import ValidationFailed

COMMON_PASSWORDS = "data/common-passwords.txt"
# Shorter name parts would refuse too much by chance ("al" in "calme").
_MIN_PART = 3
_PARTS = re.compile(r"[^\w]+|_")


def fold(text: str) -> str:
    """`text` without accents or case, for comparisons (NFKD, marks dropped, casefold)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, folded; read once per process."""
    text = resources.text(resources.AUTH, COMMON_PASSWORDS)
    return frozenset(fold(line) for line in text.splitlines()
                     if line and not line.startswith("#"))


def _personal_parts(name: str, email: str) -> set[str]:
    local = fold(email.partition("@")[0])
    parts = {p for p in _PARTS.split(fold(name)) + _PARTS.split(local) if len(p) >= _MIN_PART}
    compact_name = "".join(_PARTS.split(fold(name)))
    for whole in (compact_name, local):
        if len(whole) >= _MIN_PART:
            parts.add(whole)
    return parts


def problem(password: str, *, name: str = "", email: str = "") -> str | None:
    """Why `password` is refused for this account (French), or None when it is fine."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    password = password or ""
    if len(password) < minimum:
        return f"Le mot de passe doit contenir au moins {minimum} caractères."
    folded = fold(password)
    if folded in common_passwords():
        return ("Ce mot de passe fait partie des mots de passe les plus courants ou déjà "
                "divulgués : choisissez-en un autre, par exemple une phrase de quelques mots.")
    compact = "".join(_PARTS.split(folded))
    if any(part in folded or part in compact for part in _personal_parts(name, email)):
        return ("Le mot de passe ne doit contenir ni le nom ni l'adresse email du compte : "
                "choisissez-en un autre.")
    return None


def check(password: str, *, name: str = "", email: str = "") -> None:
    """Raise ValidationFailed({"password": …}) when `password` breaks the policy."""
    message = problem(password, name=name, email=email)
    if message:
        raise ValidationFailed({"password": message})
