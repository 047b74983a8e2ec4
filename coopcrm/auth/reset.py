"""« Mot de passe oublié » : a single-use link, valid RESET_VALID_MINUTES, sent by email.

A request gets the same answer whether or not the address has an account (nothing
to learn from it); only an active account gets a message, through the outbox. The
database keeps the token's SHA-256, never the token. Using the link sets a new
password (the policy applies), ends every session of the user and every other
link; it does not sign in: the second factor, if any, is still asked.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from coopcrm import clock
from coopcrm.auth import addresses, events, passwords, sessions, throttle
from coopcrm.auth.login import find_user
from coopcrm.auth.models import PasswordReset, User
from coopcrm.auth.sessions import token_hash
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db

PATH = "/mot-de-passe-oublie/"
TEMPLATE = "password_reset"
EXPIRED = ("Ce lien n'est plus valable (déjà utilisé, remplacé par un plus récent ou "
           "expiré) : demandez-en un nouveau.")


def valid_minutes() -> int:
    return current_app.config["RESET_VALID_MINUTES"]


def _close_open_links(user: User) -> None:
    db.session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_dt.is_(None))
        .values(used_dt=clock.now()), execution_options={"synchronize_session": False})


def request_reset(email: str, *, client: str) -> None:
    """Send a reset link to this address if an active account has it; commits.

    Throttled per address and per client (RESET_MAX_REQUESTS…): past the limit
    nothing is sent, and the answer is still the same.
    """
    from coopcrm.sending import services as sending

    email = addresses.normalise(email)[:254]
    now = clock.now()
    keys = throttle.reset_keys(email, client)
    if throttle.locked_minutes(keys, now):
        events.record("reset_requested", email=email, client=client,
                      detail="ignorée : trop de demandes")
        db.session.commit()
        return
    throttle.count(keys, now)
    user = find_user(email)
    if user is None or not user.active:
        events.record("reset_requested", user=user, email=email, client=client,
                      detail="aucun message : " + ("compte inconnu" if user is None
                                                    else "compte désactivé"))
        db.session.commit()
        return
    _close_open_links(user)
    minutes = valid_minutes()
    token = secrets.token_urlsafe(32)
    link = PasswordReset(user_id=user.id, token_hash=token_hash(token), created_dt=now,
                         expires_dt=now + timedelta(minutes=minutes))
    db.session.add(link)
    db.session.flush()
    sending.enqueue(TEMPLATE, None, {
        "user_name": user.name, "valid_minutes": minutes,
        "reset_secret_url": current_app.config["BASE_URL"].rstrip("/") + PATH + token,
    }, f"password-reset:{link.id}", to=(user.email, user.name), bulk=False)
    events.record("reset_requested", user=user, email=email, client=client,
                  detail="lien envoyé")
    db.session.commit()


def valid_link(token: str) -> PasswordReset | None:
    """The unused, unexpired link of this token, for an active account; else None."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == token_hash(token), PasswordReset.used_dt.is_(None)))
    if link is None or link.expires_dt <= clock.now() or not link.user.active:
        return None
    return link


def use_link(token: str, password: str, confirm: str, *, client: str) -> User:
    """Set the new password through a valid link; ValidationFailed in French. Commits."""
    link = valid_link(token)
    if link is None:
        raise ValidationFailed({"token": EXPIRED})
    user = link.user
    if password != confirm:
        raise ValidationFailed({"confirm": "Les deux mots de passe ne sont pas identiques."})
    passwords.check(password, name=user.name, email=user.email)
    # Claimed atomically: of two uses of one link at the same moment, one wins.
    claimed = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == link.id, PasswordReset.used_dt.is_(None))
        .values(used_dt=clock.now()), execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        db.session.rollback()
        raise ValidationFailed({"token": EXPIRED})
    user.set_password(password)
    _close_open_links(user)
    throttle.forget_account(user.email)
    events.record("reset_used", user=user, client=client)
    events.record("password_changed", user=user, client=client,
                  detail="par le lien « mot de passe oublié »")
    sessions.end_all(user, "mot de passe réinitialisé", client=client)
    db.session.commit()
    return user
