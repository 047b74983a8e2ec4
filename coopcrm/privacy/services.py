"""Reading the audit trail of a member, in words a referent understands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from coopcrm import fr
from coopcrm.extensions import db
from coopcrm.members.models import EMAIL_STATUSES, SHARE_KINDS, TRACKS
from coopcrm.pagination import Page, paginate
from coopcrm.privacy.models import CONSENT_KINDS, AuditEntry

FIELD_LABELS = {
    "civility": "Civilité",
    "first_name": "Prénom",
    "last_name": "Nom",
    "email": "Email",
    "phone": "Téléphone",
    "address": "Adresse",
    "postal_code": "Code postal",
    "city": "Ville",
    "residence_id": "Résidence",
    "track": "Parcours",
    "college_id": "Collège",
    "reservation_signed_on": "Signature réservation",
    "moved_in_on": "Entrée dans les lieux",
    "newsletter_consent": "Accord lettre d'information",
    "newsletter_consent_dt": "Date accord lettre d'information",
    "newsletter_consent_source": "Origine accord lettre d'information",
    "econvocation_consent": "Accord convocation électronique",
    "econvocation_consent_dt": "Date accord convocation électronique",
    "econvocation_consent_source": "Origine accord convocation électronique",
    "email_status": "État de l'email",
    "anonymised_dt": "Anonymisation",
    "entity_id": "Entité",
    "reference": "Référence",
    "member_id": "Coopérateur",
    "kind": "Type",
    "quantity": "Nombre de parts",
    "unit_amount": "Montant unitaire",
    "occurred_on": "Date",
    "note": "Note",
    "created_by_id": "Saisi par",
    "granted": "Accord",
    "recorded_dt": "Enregistré le",
    "source": "Origine",
    "wording": "Texte",
    "user_id": "Utilisateur",
    "occurs_on": "Date",
    "moment_type_id": "Type de moment",
    "channel": "Canal",
    "state": "État",
    "notes": "Notes",
    "owner_id": "Responsable",
}
OBJECT_LABELS = {
    "member": "Fiche",
    "entity_link": "Entité",
    "share": "Parts sociales",
    "moment": "Moment clé",
    "consent": "Consentement",
}
ACTION_LABELS = {"create": "création", "update": "modification", "delete": "suppression",
                 "anonymise": "anonymisation", "access_export": "export de ses données (RGPD)"}
# Fields whose values are ids: shown as names.
_REFERENCES = {"residence_id", "college_id", "entity_id"}
_CODES = {
    "track": TRACKS,
    "email_status": EMAIL_STATUSES,
    "kind": {**SHARE_KINDS, **CONSENT_KINDS},
}
_MONEY = {"unit_amount", "share_amount", "share_unit_amount"}
# Bookkeeping columns of sub-objects, not worth a line in the trail.
_HIDDEN = {"member_id", "created_by_id", "user_id", "recorded_dt", "created_dt"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class AuditLine:
    when: datetime
    who: str
    what: str
    changes: list[Change]
    summary: str


def member_audit(member_id: int, page: int = 1, per_page: int = 20) -> Page:
    """The member's audit entries, newest first, one page, translated for display."""
    query = (select(AuditEntry).where(AuditEntry.member_id == member_id)
             .order_by(AuditEntry.recorded_dt.desc(), AuditEntry.id.desc()))
    result = paginate(db.session, query, page, per_page)
    names = _names(result.items)
    result.items = [_line(e, names) for e in result.items]
    return result


def _names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """Display names for every id mentioned, in three queries at most."""
    from coopcrm.members.models import College, Entity, Residence

    wanted: dict[str, set[int]] = {k: set() for k in _REFERENCES}
    for e in entries:
        for key, pair in (e.changes or {}).items():
            if key in _REFERENCES:
                wanted[key].update(v for v in pair if isinstance(v, int))
        if e.object_type == "entity_link" and e.object_id:
            wanted["entity_id"].add(e.object_id)
    names = {}
    for key, model, label in (("residence_id", Residence, Residence.name),
                              ("college_id", College, College.name),
                              ("entity_id", Entity, Entity.code)):
        if wanted[key]:
            for id_, name in db.session.execute(
                select(model.id, label).where(model.id.in_(wanted[key]))
            ):
                names[(key, id_)] = name
    return names


def _line(entry: AuditEntry, names) -> AuditLine:
    if entry.user is not None:
        who = entry.user.name
    else:
        who = entry.actor or "système"
    what = f"{OBJECT_LABELS.get(entry.object_type, entry.object_type)} : " \
           f"{ACTION_LABELS.get(entry.action, entry.action)}"
    if entry.object_type == "entity_link" and entry.object_id:
        what += f" ({names.get(('entity_id', entry.object_id), entry.object_id)})"
    changes = [
        Change(FIELD_LABELS.get(key, key), _show(key, pair[0], names), _show(key, pair[1], names))
        for key, pair in (entry.changes or {}).items()
        if key not in _HIDDEN and isinstance(pair, list) and len(pair) == 2
    ]
    return AuditLine(entry.recorded_dt, who, what, changes, entry.summary or "")


def _show(key: str, value, names) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if key in _REFERENCES:
        return names.get((key, value), f"n° {value}")
    if key in _CODES:
        return _CODES[key].get(value, str(value))
    if key in _MONEY:
        try:
            return fr.money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if isinstance(value, str) and key.endswith(("_on", "_date")):
        try:
            return fr.date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and key.endswith("_dt"):
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return fr.datetime(moment)
        except ValueError:
            return value
    return str(value)
