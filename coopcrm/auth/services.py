"""Creating users and checking credentials, with throttling."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.auth.models import ROLES, User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db

# A hash to compare against when the email is unknown, so the response time
# does not reveal which emails have an account. Made on first use: building a
# model object at import time would configure every mapper before all the
# domains' models are imported.
_DUMMY: User | None = None


def check_password_policy(password: str) -> None:
    """CNIL: at least 12 characters when the password is the only factor."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise ValidationFailed(
            {"password": f"Le mot de passe doit contenir au moins {minimum} caractères."}
        )


def create_user(email: str, name: str, password: str, role: str = "referent",
                entities=(), all_entities: bool = False) -> User:
    if role not in ROLES:
        raise ValidationFailed({"role": f"Rôle inconnu : {role}."})
    check_password_policy(password)
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise ValidationFailed({"email": "Un utilisateur existe déjà avec cet email."})
    user = User(email=email, name=name, role=role, all_entities=all_entities,
                entities=list(entities))
    user.set_password(password)
    db.session.add(user)
    return user


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _dummy() -> User:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = User(password_hash="")
        _DUMMY.set_password("x" * 16)
    return _DUMMY


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or LoginRefused with a French message.

    After LOGIN_MAX_FAILURES wrong passwords the account is locked for
    LOGIN_LOCK_MINUTES: slows guessing without a permanent lock-out.
    """
    cfg = current_app.config
    now = clock.now()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        _dummy().check_password(password)
        raise LoginRefused("Email ou mot de passe incorrect.")
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise LoginRefused(
            f"Trop de tentatives. Compte bloqué pendant encore {minutes} minute(s)."
        )
    if not user.check_password(password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        db.session.commit()
        raise LoginRefused("Email ou mot de passe incorrect.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_dt = now
    db.session.commit()
    return user


def update_user(user: User, *, acting: User, name: str, role: str, entities=(),
                all_entities: bool = False, password: str | None = None) -> User:
    """An admin changes a user's name, role, entity scope and (optionally) password."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Indiquez le nom."
    if role not in ROLES:
        errors["role"] = f"Rôle inconnu : {role}."
    elif user.id == acting.id and role != "admin":
        errors["role"] = "Vous ne pouvez pas retirer votre propre rôle d'administrateur."
    if role != "admin" and not all_entities and not list(entities):
        errors["entities"] = "Choisissez au moins une entité, ou « Toutes les entités »."
    if password:
        try:
            check_password_policy(password)
        except ValidationFailed as failed:
            errors.update(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    user.name, user.role, user.all_entities = name, role, all_entities
    user.entities = [] if all_entities else list(entities)
    if password:
        user.set_password(password)
    db.session.flush()
    return user


def set_active(user: User, active: bool, *, acting: User) -> None:
    """Deactivate (the account stays, for the audit trail) or reactivate a user."""
    if user.id == acting.id and not active:
        raise ValidationFailed({"active": "Vous ne pouvez pas désactiver votre propre compte."})
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    db.session.flush()


def check_new_user(email: str, name: str, password: str, role: str, entities=(),
                   all_entities: bool = False) -> dict[str, str]:
    """Every French error a new user's details have (the admin form shows them all at once)."""
    from email_validator import EmailNotValidError, validate_email

    errors = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = "Adresse email invalide."
    else:
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            errors["email"] = "Un utilisateur existe déjà avec cet email."
    if not (name or "").strip():
        errors["name"] = "Indiquez le nom."
    if role not in ROLES:
        errors["role"] = f"Rôle inconnu : {role}."
    elif role != "admin" and not all_entities and not list(entities):
        errors["entities"] = "Choisissez au moins une entité, ou « Toutes les entités »."
    try:
        check_password_policy(password)
    except ValidationFailed as failed:
        errors.update(failed.errors)
    return errors
