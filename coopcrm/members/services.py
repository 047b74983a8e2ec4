"""Creating and editing members, and their consents.

The services take values already parsed (dates as `date`, ids as `int`),
check them all, and only then touch the member: a ValidationFailed leaves
the session clean. They flush but never commit; the caller owns the
transaction. Consents change only through `set_consent` (privacy.consents,
re-exported here), which writes the ConsentRecord.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coopcrm import plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import validation
from coopcrm.members.models import (
    CIVILITIES,
    EMAIL_STATUSES,
    TRACKS,
    College,
    Entity,
    Member,
    MemberEntity,
    Residence,
)
from coopcrm.members.text import search_text
from coopcrm.models import text_limit, too_long
from coopcrm.privacy.audit import acting_as
from coopcrm.privacy.consents import set_consent  # noqa: F401  (the one consent path)
from coopcrm.privacy.models import ConsentRecord

# The member fields a form or an import may set directly.
FIELDS = (
    "civility", "first_name", "last_name", "email", "phone", "address", "postal_code", "city",
    "residence_id", "track", "college_id", "reservation_signed_on", "moved_in_on", "email_status",
)
_TEXTS = ("civility", "first_name", "last_name", "phone", "address", "postal_code", "city")
REFERENCE_TAKEN = "Référence déjà utilisée dans cette entité"


def create_member(data: dict, user) -> Member:
    """A new member from parsed values; ValidationFailed with French messages per field."""
    values, links = _checked(data, user, member=None)
    with acting_as(user):
        member = Member(**values)
        for entity_id, reference in links.items():
            member.entity_links.append(MemberEntity(entity_id=entity_id, reference=reference))
        db.session.add(member)
        db.session.flush()
        _refresh_search_text(member)
        db.session.flush()
    return member


def update_member(member: Member, data: dict, user) -> Member:
    """Apply parsed values to a member; only the keys present in `data` change.

    `data["entities"]` (when present) maps entity id to reference for the
    entities the user manages; links to entities outside a scoped user's
    reach are left as they are.
    """
    values, links = _checked(data, user, member=member)
    if ("email" in values and values["email"] != member.email and member.email_status == "bounced"
            and values.get("email_status", "bounced") == "bounced"):
        # A new address has not bounced: it gets its chance. (An unsubscribe is the
        # person's choice, not the address's, so it stays.)
        values["email_status"] = "valid"
    with acting_as(user):
        for key, value in values.items():
            if getattr(member, key) != value:
                setattr(member, key, value)
        if "entities" in data:
            _apply_links(member, links, user)
        _refresh_search_text(member)
        db.session.flush()
    return member


def check_member(data: dict, user, member: Member | None = None) -> dict[str, str]:
    """The French errors for these values, without changing anything (for forms)."""
    try:
        _checked(data, user, member)
    except ValidationFailed as failed:
        return failed.errors
    return {}


def _checked(data: dict, user, member: Member | None) -> tuple[dict, dict[int, str | None]]:
    errors: dict[str, str] = {}
    values: dict = {}
    creating = member is None
    for key in FIELDS:
        if key in data:
            values[key] = data[key]
        elif creating:
            values[key] = _DEFAULTS.get(key)

    for key in _TEXTS:
        if key in values:
            values[key] = (values[key] or "").strip()
            if len(values[key]) > (limit := text_limit(Member, key)):
                errors[key] = too_long(limit)
    errors.update(plaintext.problems(lines={k: values[k] for k in (*_TEXTS, "email")
                                            if k in values}))
    if "last_name" in values and not values["last_name"]:
        errors["last_name"] = "Le nom est obligatoire."
    if "civility" in values and values["civility"] not in CIVILITIES:
        errors["civility"] = "Civilité inconnue."
    if "track" in values and values["track"] not in TRACKS:
        errors["track"] = "Parcours inconnu (accession ou locatif)."
    if "email_status" in values:
        values["email_status"] = values["email_status"] or "valid"
        if values["email_status"] not in EMAIL_STATUSES:
            errors["email_status"] = "État de l'email inconnu."
    if "email" in values and "email" not in errors:
        try:
            values["email"] = validation.email(values["email"])
        except validation.FieldError as e:
            errors["email"] = str(e)
    for key in ("reservation_signed_on", "moved_in_on"):
        if values.get(key) is not None:
            try:
                if not isinstance(values[key], date):
                    raise validation.FieldError("Date invalide.")
                values[key] = validation.day(values[key])
            except validation.FieldError as e:
                errors[key] = str(e)
    college_id = values.get("college_id")
    if college_id is not None and db.session.get(College, college_id) is None:
        errors["college_id"] = "Collège inconnu."
    if values.get("residence_id") is not None:
        residence = db.session.get(Residence, values["residence_id"])
        if residence is None:
            errors["residence_id"] = "Résidence inconnue."
        elif not user.sees_all_entities and residence.entity_id not in user.entity_ids:
            errors["residence_id"] = (
                "Cette résidence appartient à une entité que vous ne gérez pas.")

    links: dict[int, str | None] = {}
    if "entities" in data or creating:
        links, link_errors = _checked_links(data.get("entities") or {}, user, member)
        errors.update(link_errors)
    if errors:
        raise ValidationFailed(errors)
    return values, links


_DEFAULTS = {"track": "accession", "email_status": "valid", "civility": ""}


def _checked_links(raw, user, member: Member | None) -> tuple[dict[int, str | None], dict]:
    """Entity id -> reference (None when blank), and the French errors."""
    errors: dict[str, str] = {}
    links = {int(k): ((v or "").strip() or None) for k, v in dict(raw).items()}
    known = {e.id: e for e in db.session.scalars(select(Entity).where(Entity.id.in_(links)))}
    longest = text_limit(MemberEntity, "reference")
    for entity_id, reference in links.items():
        entity = known.get(entity_id)
        if entity is None:
            errors["entities"] = "Entité inconnue."
            continue
        if not user.sees_all_entities and entity_id not in user.entity_ids:
            errors["entities"] = f"Vous ne gérez pas l'entité {entity.code}."
            continue
        if reference is not None and len(reference) > longest:
            errors[f"reference_{entity_id}"] = too_long(longest)
            continue
        if (problem := plaintext.line_problem(reference)) is not None:
            errors[f"reference_{entity_id}"] = problem
            continue
        if reference is not None:
            taken = select(MemberEntity.member_id).where(
                MemberEntity.entity_id == entity_id, MemberEntity.reference == reference
            )
            if member is not None and member.id is not None:
                taken = taken.where(MemberEntity.member_id != member.id)
            if db.session.scalar(taken.limit(1)) is not None:
                errors[f"reference_{entity_id}"] = f"{REFERENCE_TAKEN} ({entity.code})."
    if not user.sees_all_entities:
        kept_elsewhere = member is not None and any(
            link.entity_id not in user.entity_ids for link in member.entity_links
        )
        if not links and not kept_elsewhere:
            errors.setdefault("entities", "Choisissez au moins une de vos entités.")
    return links, errors


def _apply_links(member: Member, links: dict[int, str | None], user) -> None:
    """Make the member's links to the user's entities match `links`."""
    managed = None if user.sees_all_entities else set(user.entity_ids)
    current = {link.entity_id: link for link in member.entity_links}
    for entity_id, link in current.items():
        if entity_id not in links and (managed is None or entity_id in managed):
            member.entity_links.remove(link)
    for entity_id, reference in links.items():
        existing = current.get(entity_id)
        if existing is None:
            member.entity_links.append(MemberEntity(entity_id=entity_id, reference=reference))
        elif existing.reference != reference:
            existing.reference = reference


def _refresh_search_text(member: Member) -> None:
    text = search_text(
        member.last_name, member.first_name, member.email,
        [link.reference for link in member.entity_links],
    )
    if member.search_text != text:
        member.search_text = text


def consent_history(member: Member) -> list[ConsentRecord]:
    """Every grant and withdrawal, newest first."""
    return list(db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.member_id == member.id)
        .order_by(ConsentRecord.recorded_dt.desc(), ConsentRecord.id.desc())
    ))
