"""Creating and administering users: checks in French, sessions ended on privilege changes."""

from __future__ import annotations

from sqlalchemy import func, select

from coopcrm import plaintext
from coopcrm.auth import addresses, events, passwords, sessions, throttle
from coopcrm.auth.models import RIGHTS, ROLES, StaffSession, User, UserRight
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db


def _email_error(email: str) -> str | None:
    problem = addresses.problem(email)
    if problem:
        return problem
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        return "Un utilisateur existe déjà avec cet email."
    return None


def _account_errors(email: str, name: str, password: str, role: str) -> dict[str, str]:
    """What create_user refuses: address, name, role, password policy."""
    errors = {}
    email_error = _email_error(email)
    if email_error:
        errors["email"] = email_error
    if not (name or "").strip():
        errors["name"] = "Indiquez le nom."
    errors.update(plaintext.problems(lines={"name": name}))
    if role not in ROLES:
        errors["role"] = f"Rôle inconnu : {role}."
    password_error = passwords.problem(password, name=name or "", email=email)
    if password_error:
        errors["password"] = password_error
    return errors


def check_new_user(email: str, name: str, password: str, role: str, entities=(),
                   all_entities: bool = False) -> dict[str, str]:
    """Every French error a new user's details have (the admin form shows them all at once)."""
    errors = _account_errors(addresses.normalise(email), name, password, role)
    if "role" not in errors and role != "admin" and not all_entities and not list(entities):
        errors["entities"] = "Choisissez au moins une entité, ou « Toutes les entités »."
    return errors


def create_user(email: str, name: str, password: str, role: str = "referent",
                entities=(), all_entities: bool = False, rights=()) -> User:
    """A new user (admin form, `coopcrm users create`); ValidationFailed in French.

    The address is stored normalised (coopcrm.auth.addresses); the password must
    pass the policy (coopcrm.auth.passwords).
    """
    email = addresses.normalise(email)
    errors = _account_errors(email, name, password, role)
    errors.update(_rights_errors(rights))
    if errors:
        raise ValidationFailed(errors)
    user = add_user(email, name.strip(), password, role, entities, all_entities)
    grant(user, rights)
    return user


def _rights_errors(rights) -> dict[str, str]:
    unknown = sorted(set(rights) - set(RIGHTS))
    return {"rights": f"Droit inconnu : {', '.join(unknown)}."} if unknown else {}


def grant(user: User, rights) -> bool:
    """Give the user exactly these RIGHTS keys; whether anything changed.

    The rows are added and removed one by one (not the list replaced): a right kept
    must not be deleted and inserted again in the same flush.
    """
    wanted, held = set(rights), {g.kind for g in user.granted}
    for row in [g for g in user.granted if g.kind not in wanted]:
        user.granted.remove(row)
    for kind in sorted(wanted - held):
        user.granted.append(UserRight(kind=kind))
    return wanted != held


def add_user(email: str, name: str, password: str, role: str, entities=(),
             all_entities: bool = False) -> User:
    """Insert a user as given, without the checks: for the demo accounts only, whose
    passwords the README publishes (a policy would protect nothing there)."""
    user = User(email=email, name=name, role=role, all_entities=all_entities,
                entities=list(entities))
    user.set_password(password)
    db.session.add(user)
    return user


def update_user(user: User, *, acting: User, name: str, role: str, entities=(),
                all_entities: bool = False, password: str | None = None, client: str = "",
                keep: StaffSession | None = None, rights=None) -> User:
    """An admin changes a user's name, role, entity scope, rights (None: unchanged) and
    (optionally) password.

    A new password, role, scope or right ends the user's sessions (but `keep`, the admin's
    own when they edit themselves): they sign in again under the new rules.
    """
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Indiquez le nom."
    errors.update(plaintext.problems(lines={"name": name}))
    if role not in ROLES:
        errors["role"] = f"Rôle inconnu : {role}."
    elif user.id == acting.id and role != "admin":
        errors["role"] = "Vous ne pouvez pas retirer votre propre rôle d'administrateur."
    if role != "admin" and not all_entities and not list(entities):
        errors["entities"] = "Choisissez au moins une entité, ou « Toutes les entités »."
    errors.update(_rights_errors(rights or ()))
    if password:
        password_error = passwords.problem(password, name=name, email=user.email)
        if password_error:
            errors["password"] = password_error
    if errors:
        raise ValidationFailed(errors)
    entities = [] if all_entities else list(entities)
    rights_changed = (role != user.role or all_entities != user.all_entities
                      or {e.id for e in entities} != set(user.entity_ids))
    user.name, user.role, user.all_entities = name, role, all_entities
    user.entities = entities
    granted_changed = rights is not None and grant(user, rights)
    reasons = []
    if password:
        user.set_password(password)
        events.record("password_changed", user=user, actor=acting, client=client,
                      detail="par un administrateur")
        reasons.append("mot de passe changé")
    if rights_changed:
        reasons.append("rôle ou périmètre changé")
    if granted_changed:
        reasons.append("droits changés")
    if reasons:
        sessions.end_all(user, " et ".join(reasons), actor=acting, client=client, keep=keep)
    db.session.flush()
    return user


def set_active(user: User, active: bool, *, acting: User, client: str = "") -> None:
    """Deactivate (the account stays, for the audit trail) or reactivate a user."""
    if user.id == acting.id and not active:
        raise ValidationFailed({"active": "Vous ne pouvez pas désactiver votre propre compte."})
    user.active = active
    if active:
        throttle.forget_account(user.email)
    else:
        sessions.end_all(user, "compte désactivé", actor=acting, client=client)
    db.session.flush()
