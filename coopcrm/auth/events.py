"""The security log: what happened to staff accounts, written in the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from coopcrm import clock, fr
from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from coopcrm.pagination import Page, paginate

KINDS = {
    "login": "Connexion",
    "login_failed": "Échec de connexion",
    "logout": "Déconnexion",
    "password_changed": "Mot de passe changé",
    "sessions_revoked": "Sessions fermées",
    "totp_enabled": "Double authentification activée",
    "totp_disabled": "Double authentification désactivée",
    "recovery_code_used": "Code de secours utilisé",
    "recovery_codes_renewed": "Codes de secours renouvelés",
    "reset_requested": "Mot de passe oublié : demande",
    "reset_used": "Mot de passe oublié : lien utilisé",
    "export": "Export de données",
}

# Where an export came from when no request did (`coopcrm members export`).
COMMAND_LINE = "ligne de commande"


def export_detail(what: str, rows: int) -> str:
    """The entry's detail for an export: the file's name and how many rows it held."""
    return f"{what} : {fr.count(rows)} ligne(s)"


def record(kind: str, *, user=None, actor=None, email: str = "", client: str = "",
           detail: str = "") -> SecurityEvent:
    """Add one entry (committed with the caller's change, or with the failure it records)."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event {kind!r}")
    event = SecurityEvent(
        recorded_dt=clock.now(), kind=kind,
        user_id=user.id if user is not None else None,
        actor_id=actor.id if actor is not None and actor is not user else None,
        email=(email or (user.email if user is not None else ""))[:254],
        client_addr=client[:64], detail=detail[:300])
    db.session.add(event)
    return event


def purge() -> None:
    """Drop entries older than SECURITY_LOG_DAYS (CNIL: keep access logs 6 to 12 months)."""
    days = current_app.config["SECURITY_LOG_DAYS"]
    db.session.execute(delete(SecurityEvent).where(
        SecurityEvent.recorded_dt < clock.now() - timedelta(days=days)))


def page(number: int, *, kind: str = "", email: str = "", per_page: int = 50) -> Page:
    """One page of the log, newest first, optionally one kind or one address."""
    query = select(SecurityEvent).order_by(SecurityEvent.recorded_dt.desc(),
                                           SecurityEvent.id.desc())
    if kind in KINDS:
        query = query.where(SecurityEvent.kind == kind)
    if email:
        # Stored addresses are lower-case; what was typed is matched literally (no wildcards).
        query = query.where(SecurityEvent.email.contains(email.lower(), autoescape=True))
    return paginate(db.session, query, number, per_page)
