"""Parsing and checking member fields: one set of rules for forms and imports."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from coopcrm import fr
from coopcrm.members.text import fold
from coopcrm.params import MAX_ID

TRUE_WORDS = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
FALSE_WORDS = {"non", "n", "no", "false", "faux", "0", ""}
EARLIEST = date(1900, 1, 1)

# Plain ASCII addresses that email_validator is sure to accept unchanged (bar
# case): checking them with one regex keeps a 100,000-row import fast. Anything
# else (accents, quotes, special-use names like .test) takes the full check.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


class FieldError(ValueError):
    """A French message for one bad value."""


def email(value: str | None) -> str | None:
    """A normalised email, None when empty; FieldError when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    plain = value.lower()
    if len(plain) <= 254 and _PLAIN_EMAIL.fullmatch(plain):
        local, _, domain = plain.partition("@")
        if (len(local) <= 64 and "--" not in domain
                and domain.rsplit(".", 1)[1] not in _SPECIAL_USE_TLDS):
            return plain
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise FieldError(f"« {value} » n'est pas une adresse email valide.") from None
    return result.normalized.lower()


def day(value, *, allow_future: bool = True, today: date | None = None) -> date | None:
    """DD/MM/YYYY, D/M/YY, ISO, or an Excel date; FieldError when impossible."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = str(value).strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y",
                    "%Y-%m-%d %H:%M:%S"):
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:  # no format matched
            raise FieldError(f"« {text} » n'est pas une date valide (attendu JJ/MM/AAAA).")
    if parsed < EARLIEST:
        raise FieldError(f"La date {fr.date(parsed)} est invraisemblable.")
    if not allow_future and today is not None and parsed > today:
        raise FieldError(f"La date {fr.date(parsed)} est dans le futur.")
    return parsed


def yes_no(value) -> bool:
    """oui/non (and the usual variants); FieldError otherwise."""
    if isinstance(value, bool):
        return value
    word = fold(str(value if value is not None else ""))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(f"« {value} » : répondre oui ou non.")


def positive_int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise FieldError(f"« {value} » n'est pas un nombre.") from None
    if number != number.to_integral_value() or number < 0:
        raise FieldError(f"« {value} » doit être un nombre entier positif.")
    if number > MAX_ID:  # the database could not hold it
        raise FieldError(f"« {value} » : nombre trop grand.")
    return int(number)


def amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    text = str(value).strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError(f"« {value} » n'est pas un montant.") from None
    if not number.is_finite():  # Decimal accepts "NaN" and "Infinity"
        raise FieldError(f"« {value} » n'est pas un montant.")
    if number < 0:
        raise FieldError("Le montant ne peut pas être négatif.")
    return number.quantize(Decimal("0.01"))


def choice(value, choices: dict, label: str) -> str | None:
    """A key of `choices` matched on folded key or label; FieldError otherwise."""
    if value in (None, ""):
        return None
    word = fold(str(value))
    for key, display in choices.items():
        if word in (fold(key), fold(display)):
            return key
    allowed = ", ".join(choices)
    raise FieldError(f"{label} « {value} » inconnu (valeurs possibles : {allowed}).")
