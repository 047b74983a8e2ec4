"""Retention periods: each a setting (COOPCRM_RETENTION_*, its default), changeable by an
admin on the *Durées de conservation* page.

`value(key)` (or `values()` for all of them) is the one way to read a period: the
retention rules, the legal records, the monthly job, the read journal's pruning and the
register of processing all ask it, so a period changed in the app holds everywhere at
once. The bounds are config.RETENTION_BOUNDS, the same the setting is read with.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from coopcrm import clock, config, params
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.privacy.models import AuditEntry, RetentionPeriod

UNITS = {"years": "ans", "months": "mois", "days": "jours"}
# The audit trail's object_type of a change of period (no member is concerned).
AUDIT_KIND = "retention_period"


@dataclass(frozen=True)
class Period:
    """One period: its app.config key, what it keeps, its unit and why that long."""

    key: str
    label: str
    unit: str  # a key of UNITS
    reference: str

    @property
    def bounds(self) -> tuple[int, int]:
        return config.RETENTION_BOUNDS[self.key]

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit]

    def default(self) -> int:
        """The setting's value (the period while no admin changed it)."""
        return int(current_app.config[self.key])

    def field(self) -> str:
        """The name of its field in the form."""
        return self.key.lower()


PERIODS = {p.key: p for p in (
    Period("RETENTION_PROSPECT_YEARS", "Prospect sans contact", "years",
           "CNIL, référentiel « gestion commerciale » (2021) : 3 ans après le dernier contact"),
    Period("RETENTION_FORMER_YEARS", "Ancien coopérateur, après le dernier remboursement",
           "years", "Prescription des actions entre associés (5 ans, C. civ. 2224)"),
    Period("RETENTION_UNREACHABLE_YEARS", "Non-coopérateur injoignable, fiche inchangée",
           "years", "CNIL : pas de conservation sans finalité ; 5 ans par défaut"),
    Period("RETENTION_OUTBOX_MONTHS", "Données de fusion des messages envoyés", "months",
           "Minimisation (art. 5.1.c RGPD) : la date, l'objet et le statut restent"),
    Period("RETENTION_INBOX_MONTHS", "Messages reçus sur la boîte de désinscription",
           "months", "Minimisation (art. 5.1.c RGPD) : la nature et les dates restent"),
    Period("RETENTION_READS_DAYS", "Journal des consultations des fiches", "days",
           "CNIL, journalisation : 6 mois à 1 an"),
    Period("RETENTION_AUDIT_YEARS", "Historique des modifications des fiches", "years",
           "Preuve des modifications, au-delà de la prescription de droit commun "
           "(5 ans, C. civ. 2224) : 6 ans par défaut"),
    Period("RETENTION_SHARE_REGISTER_YEARS",
           "Identité d'un anonymisé dans le registre des parts sociales", "years",
           "Code de commerce, art. L123-22 et R228-8 : 10 ans au moins"),
    Period("RETENTION_AG_ATTENDANCE_YEARS",
           "Identité d'un anonymisé dans les feuilles de présence et pouvoirs des AG",
           "years", "Code de commerce, art. R225-95 : les trois dernières années au moins"),
)}


def values() -> dict[str, int]:
    """Every period in force: an admin's value, else the setting's."""
    changed = dict(db.session.execute(select(RetentionPeriod.key, RetentionPeriod.value)).all())
    return {key: int(changed.get(key, period.default())) for key, period in PERIODS.items()}


def value(key: str) -> int:
    """One period in force (`key`: its app.config key, a key of PERIODS)."""
    period = PERIODS[key]
    changed = db.session.get(RetentionPeriod, key)
    return changed.value if changed is not None else period.default()


def out_of_bounds(period: Period) -> str:
    low, high = period.bounds
    return f"Indiquez un nombre entier de {low} à {high} {period.unit_label}."


def change(wanted: dict[str, str], user) -> dict[str, tuple[int, int]]:
    """Set the periods of `wanted` (form field → text); the changes made, key → (old, new).

    Every value is checked first (French message on its field, nothing written when one
    is wrong); a value equal to the setting's removes the admin's row, so the setting
    holds again. One audit entry names who changed which period from what to what.
    """
    errors, parsed = {}, {}
    for period in PERIODS.values():
        raw = wanted.get(period.field())
        try:
            number = params.parse_int(raw, *period.bounds)
        except ValueError:
            number = None
        if number is None:
            errors[period.field()] = out_of_bounds(period)
        else:
            parsed[period.key] = number
    if errors:
        raise ValidationFailed(errors)
    current = values()
    done = {key: (current[key], new) for key, new in parsed.items() if new != current[key]}
    for key, (_old, new) in done.items():
        row = db.session.get(RetentionPeriod, key)
        if new == PERIODS[key].default():
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(RetentionPeriod(key=key, value=new, updated_by_id=user.id))
        else:
            row.value, row.updated_by_id, row.updated_dt = new, user.id, clock.stamp()
    if done:
        db.session.add(AuditEntry(
            user_id=user.id, action="update", object_type=AUDIT_KIND, member_id=None,
            changes={key.lower(): list(pair) for key, pair in done.items()},
            summary="Durées de conservation : " + " ; ".join(
                f"{PERIODS[k].label.lower()} {old} → {new} {PERIODS[k].unit_label}"
                for k, (old, new) in done.items())))
    return done


def history(limit: int = 20) -> list[AuditEntry]:
    """The latest changes of periods, newest first (who, when, what)."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == AUDIT_KIND)
        .order_by(AuditEntry.recorded_dt.desc(), AuditEntry.id.desc()).limit(limit)))
