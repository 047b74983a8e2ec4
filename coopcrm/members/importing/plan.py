"""Planning a batch of lead rows: what to create, what to change, what to warn about; never writing.

The batch's existing members are loaded (columns, links, whether they have
shares), each lead row becomes a write.Create or a write.Update, and the
report counts them by member. A row that cannot hold gets its error here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import write
from coopcrm.members.importing.match import among, chunks
from coopcrm.members.importing.merge import refuse_together
from coopcrm.members.importing.report import ImportReport, Problem
from coopcrm.members.importing.rows import FIELDS, Lookups, Row
from coopcrm.members.models import Member, MemberEntity, ShareMovement
from coopcrm.members.shares import status_for
from coopcrm.members.text import search_text
from coopcrm.models import text_limit
from coopcrm.privacy.audit import plain
from coopcrm.privacy.models import ConsentRecord

_LOADED = (*FIELDS, "status", "share_count", "share_amount", "newsletter_consent",
           "econvocation_consent", "search_text", "anonymised_dt")
_DEFAULTS = {
    "civility": "", "first_name": "", "email": None, "phone": "", "address": "",
    "postal_code": "", "city": "", "residence_id": None, "track": "accession",
    "college_id": None, "reservation_signed_on": None, "moved_in_on": None,
}


def _load(member_ids: list[int]) -> tuple[dict, dict, set]:
    """Existing members' columns, their links {entity id: reference}, and who has shares."""
    members: dict[int, dict] = {}
    links: defaultdict[int, dict[int, str | None]] = defaultdict(dict)
    with_shares: set[int] = set()
    columns = [getattr(Member, c) for c in _LOADED]
    for chunk in chunks(member_ids):
        found = db.session.execute(select(Member.id, *columns).where(among(Member.id, chunk)))
        for record in found:
            members[record[0]] = dict(zip(_LOADED, record[1:], strict=True))
        for mid, entity_id, reference in db.session.execute(
                select(MemberEntity.member_id, MemberEntity.entity_id, MemberEntity.reference)
                .where(among(MemberEntity.member_id, chunk))):
            links[mid][entity_id] = reference
        with_shares.update(db.session.scalars(
            select(ShareMovement.member_id).distinct()
            .where(among(ShareMovement.member_id, chunk))))
    return members, links, with_shares


def plan_batch(leads: list[Row], labels: dict[str, str], lookups: Lookups, report: ImportReport,
          filename: str) -> write.Plan:
    """Decide, for a batch of lead rows, what to create and what to change; count; never write."""
    members, links, with_shares = _load([r.member_id for r in leads if r.member_id is not None])
    now = lookups.now or clock.now()
    source = f"import {filename}"[:text_limit(ConsentRecord, "source")]
    plan = write.Plan(now=now, source=source, filename=filename)
    for row in leads:
        if row.member_id is None:
            _plan_create(row, plan, lookups, labels)
        else:
            _plan_update(row, members[row.member_id], links[row.member_id],
                         row.member_id in with_shares, plan, lookups, labels, report)
        refuse_together([row, *row.merged], labels)
    # Counted by member, not by line.
    report.created += len(plan.creates)
    report.updated += sum(1 for u in plan.updates if u.visible)
    return plan


def _subscription(row: Row, signed_on: date | None, lookups: Lookups) -> dict | None:
    if not row.parts:
        return None
    unit = row.unit_amount or row.known_entity.share_unit_amount or Decimal("16.00")
    on = row.subscribed_on
    if on is None:
        on = signed_on if signed_on is not None and signed_on <= lookups.today else lookups.today
    return {"kind": "subscription", "quantity": row.parts, "unit_amount": unit, "occurred_on": on}


def _status(row: Row, current: str | None, had: bool, count: int, labels) -> str | None:
    """The status after the import; None (with a row error) when it cannot hold."""
    if had:
        return status_for(count, True)
    declared = row.status or current or "prospect"
    if declared != "cooperateur" or current == "cooperateur":
        # A coopérateur whose register was never filled in stays as they are.
        return declared
    row.error(labels["statut"], "Un coopérateur détient au moins une part : renseignez "
                                "nombre_parts (ou indiquez le statut prospect).")
    return None


def _plan_create(row: Row, plan, lookups: Lookups, labels) -> None:
    values = {**_DEFAULTS, **row.values}
    share = _subscription(row, values["reservation_signed_on"], lookups)
    count = share["quantity"] if share else 0
    status = _status(row, None, share is not None, count, labels)
    if status is None:
        return
    values["status"] = status
    values["share_count"] = count
    values["share_amount"] = share["quantity"] * share["unit_amount"] if share else Decimal("0")
    consents = []
    for kind in ("newsletter", "econvocation"):
        granted = row.consents.get(kind, False)
        values[f"{kind}_consent"] = granted
        values[f"{kind}_consent_dt"] = plan.now if granted else None
        values[f"{kind}_consent_source"] = plan.source if granted else ""
        if granted:
            consents.append((kind, True))
    values["email_status"] = "valid"
    links = [(entity.id, reference) for entity, reference in row.links]
    values["search_text"] = search_text(values["last_name"], values["first_name"],
                                        values["email"], [ref for _, ref in links])
    values["created_dt"] = values["updated_dt"] = plan.now
    plan.creates.append(write.Create(values, links, share, consents))


def _plan_update(row: Row, current: dict, links: dict, had: bool, plan: write.Plan,
                 lookups: Lookups, labels, report: ImportReport) -> None:
    if _refused(row, current, links, lookups, labels):
        return
    link_changes = _link_changes(row, links, labels)
    if link_changes is None:
        return
    changes = {k: v for k, v in row.values.items() if current[k] != v}
    holds, share = _share_and_status(row, current, had, changes, lookups, labels, report)
    if not holds:
        return
    consents = []
    for kind, granted in row.consents.items():
        if bool(current[f"{kind}_consent"]) != granted:
            changes[f"{kind}_consent"] = granted
            changes[f"{kind}_consent_dt"] = plan.now
            changes[f"{kind}_consent_source"] = plan.source
            consents.append((kind, granted))
    visible = bool(changes or link_changes)
    _search_text(current, changes, links, link_changes)
    if not changes and not link_changes:
        return
    audit = {k: [plain(current.get(k)), plain(v)] for k, v in changes.items()
             if k not in ("search_text", "share_count", "share_amount")
             and not k.endswith("_consent_dt") and not k.endswith("_consent_source")}
    codes = {entity.id: entity.code for entity, _ in row.links}
    for _kind, entity_id, reference in link_changes:
        audit[f"reference {codes[entity_id]}"] = [links.get(entity_id), reference]
    if share:
        audit["parts"] = [0, share["quantity"]]
    assert row.member_id is not None  # updates are planned for matched lines only
    plan.updates.append(write.Update(row.member_id, changes, link_changes, share,
                                     consents, audit, visible))


def _refused(row: Row, current: dict, links: dict, lookups: Lookups, labels) -> bool:
    """An existing member this line may not change (with the line's error)."""
    if current["anonymised_dt"] is not None:
        row.error(labels["reference"], f"La référence « {row.reference} » désigne une fiche "
                                       "anonymisée : elle ne peut plus être importée.")
        return True
    allowed = lookups.allowed_entity_ids
    if allowed is not None and links and not allowed & set(links):
        # Matched by email to someone followed only by entities this user does not manage:
        # linking them here would pull another entity's member into this user's view.
        row.error(labels["email"], f"L'email {row.email} est celui d'un coopérateur suivi par "
                                   "une autre entité : un administrateur peut le rattacher à "
                                   f"{row.known_entity.code}.")
        return True
    return False


def _link_changes(row: Row, links: dict, labels) -> list[tuple[str, int, str | None]] | None:
    """The member's entity links the line adds or completes; None (with an error) when the
    line would change a reference the member already has."""
    changes: list[tuple[str, int, str | None]] = []
    for entity, reference in row.links:
        if entity.id not in links:
            changes.append(("insert", entity.id, reference))
        elif reference is not None and links[entity.id] != reference:
            if links[entity.id] is not None:
                row.error(labels["reference"],
                          f"L'email {row.email} correspond à un coopérateur qui a déjà la "
                          f"référence « {links[entity.id]} » dans l'entité {entity.code}.")
                return None
            changes.append(("update", entity.id, reference))
    return changes


def _share_and_status(row: Row, current: dict, had: bool, changes: dict, lookups: Lookups,
                      labels, report: ImportReport) -> tuple[bool, dict | None]:
    """Add the shares and status changes: (False, None) when the status cannot hold (with
    the line's error), else (True, the subscription to record or None)."""
    share = None
    count = current["share_count"]
    if had:
        if row.parts is not None and row.parts != count:
            report.warnings.append(_warning(row, labels["nombre_parts"],
                                            "Le registre des parts de ce coopérateur existe déjà : "
                                            "le nombre de parts n'est pas modifié par l'import."))
    else:
        signed_on = changes.get("reservation_signed_on", current["reservation_signed_on"])
        share = _subscription(row, signed_on, lookups)
    if share is not None:
        had, count = True, share["quantity"]
        changes["share_count"] = count
        changes["share_amount"] = count * share["unit_amount"]
    status = _status(row, current["status"], had, count, labels)
    if status is None:
        return False, None
    if had and row.status and row.status != status:
        report.warnings.append(_warning(row, labels["statut"],
                                        f"Statut « {row.status} » ignoré : il suit le registre "
                                        f"des parts ({status})."))
    if status != current["status"]:
        changes["status"] = status
    return True, share


def _search_text(current: dict, changes: dict, links: dict, link_changes: list) -> None:
    """Add the member's new search text to the changes, when its words change."""
    references = dict(links)
    for _kind, entity_id, reference in link_changes:
        references[entity_id] = reference
    merged = {**current, **changes}
    text = search_text(merged["last_name"], merged["first_name"], merged["email"],
                       list(references.values()))
    # The search tests each word on its own: the words' order is not a change.
    if sorted(text.split()) != sorted((current["search_text"] or "").split()):
        changes["search_text"] = text


def _warning(row: Row, column: str, message: str) -> Problem:
    return Problem(row.line, column, message)

