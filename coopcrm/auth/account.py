"""What users change on their own account: password and second factor.

Each change ends the user's other sessions (`keep` is the one making the change)
and is written to the security log.
"""

from __future__ import annotations

from coopcrm import clock
from coopcrm.auth import events, passwords, sessions, throttle, totp
from coopcrm.auth.models import StaffSession, User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db

WRONG_PASSWORD = "Mot de passe actuel incorrect."


def _check_current_password(user: User, password: str, client: str) -> None:
    """The current password, throttled like a sign-in: a session left open on a shared
    computer must not become a way to guess it."""
    keys = throttle.login_keys(user.email, client)
    minutes = throttle.locked_minutes(keys, clock.now())
    if minutes:
        raise ValidationFailed({"current_password": f"Trop d'essais. Réessayez dans "
                                                    f"{minutes} minute(s)."})
    if not user.check_password(password or ""):
        throttle.count(keys, clock.now())
        db.session.commit()
        raise ValidationFailed({"current_password": WRONG_PASSWORD})


def change_password(user: User, current: str, new: str, confirm: str, *, client: str,
                    keep: StaffSession | None) -> None:
    """The user replaces their password; their other sessions end."""
    _check_current_password(user, current, client)
    if new != confirm:
        raise ValidationFailed({"confirm": "Les deux mots de passe ne sont pas identiques."})
    passwords.check(new, name=user.name, email=user.email)
    if user.check_password(new):
        raise ValidationFailed({"password": "Choisissez un mot de passe différent de l'actuel."})
    user.set_password(new)
    events.record("password_changed", user=user, client=client, detail="par l'utilisateur")
    sessions.end_all(user, "mot de passe changé", client=client, keep=keep)


def enrolment_secret(here: StaffSession) -> str:
    """The secret this browser is enrolling (made on first use; the caller commits)."""
    if here.totp_pending_secret is None:
        here.totp_pending_secret = totp.new_secret()
    return here.totp_pending_secret


def enable_totp(user: User, code: str, *, client: str, here: StaffSession) -> list[str]:
    """Turn the second factor on once `code` proves the app holds the secret being
    enrolled from `here`; the recovery codes, to show once. Other sessions end."""
    secret = enrolment_secret(here)
    step = totp.matching_step(secret, code, None)
    if step is None:
        raise ValidationFailed({"code": "Code incorrect : vérifiez l'heure du téléphone et "
                                        "saisissez le code affiché maintenant."})
    user.totp_secret, user.totp_last_step, user.totp_enabled_dt = secret, step, clock.now()
    here.totp_pending_secret = None
    codes = totp.new_recovery_codes(user)
    events.record("totp_enabled", user=user, client=client)
    sessions.end_all(user, "double authentification activée", client=client, keep=here)
    return codes


def new_recovery_codes(user: User, password: str, *, client: str) -> list[str]:
    """Ten fresh recovery codes (the old ones stop working), after the password."""
    _check_current_password(user, password, client)
    codes = totp.new_recovery_codes(user)
    events.record("recovery_codes_renewed", user=user, client=client)
    return codes


def disable_totp(user: User, *, actor: User, client: str, password: str | None = None,
                 keep: StaffSession | None = None) -> None:
    """Turn the second factor off: by the user (after their password) or by an admin
    (a lost phone). The user's other sessions end."""
    if actor.id == user.id:
        _check_current_password(user, password or "", client)
    elif not actor.is_admin:
        raise ValidationFailed({"totp": "Seul un administrateur peut faire cela."})
    if not user.has_totp:
        return
    user.totp_secret, user.totp_last_step, user.totp_enabled_dt = None, None, None
    totp.drop_recovery_codes(user)
    events.record("totp_disabled", user=user, actor=actor, client=client,
                  detail="par l'utilisateur" if actor.id == user.id else "par un administrateur")
    sessions.end_all(user, "double authentification désactivée", actor=actor, client=client,
                     keep=keep if actor.id == user.id else None)
