"""The optional second factor: TOTP codes (RFC 6238, any authenticator app) and recovery codes.

Enrolment shows an otpauth:// URI and its QR code (SVG made here, nothing fetched
from elsewhere); the secret is kept only once a first code proves the app has it.
Ten recovery codes are then shown once and stored hashed; each works once. A code
is accepted in the 30-second step before, at or after now, and never twice.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, select

from coopcrm import clock
from coopcrm.auth.models import RecoveryCode, User
from coopcrm.extensions import db

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread on paper
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    return pyotp.random_base32()


def issuer() -> str:
    return f"CoopCRM {current_app.config['COOP_NAME']}"


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer())


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (no script, no external image).

    Markup is safe here: segno writes only path data, none of the URI's text."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=4))


def matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step whose code is `code` (one step of clock drift either way), if it is
    later than `after`, the last step accepted."""
    code = _SEPARATORS.sub("", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(clock.now())
    for step in (now_step - 1, now_step, now_step + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str) -> bool:
    """True when `code` is the user's current TOTP code, not used before (then it is used)."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _code_hash(code: str) -> str:
    return hashlib.sha256(_SEPARATORS.sub("", code).lower().encode()).hexdigest()


def drop_recovery_codes(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes by ten fresh ones, returned in clear this once."""
    drop_recovery_codes(user)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """True when `code` is one of the user's unused recovery codes (it is now used)."""
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(code or ""),
        RecoveryCode.used_dt.is_(None)))
    if row is None:
        return False
    row.used_dt = clock.now()
    return True


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_dt.is_(None))).all())
