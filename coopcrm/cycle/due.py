"""Who is due for which edition, sending it, recording who missed it, and why.

Everything here is set-based SQL: "who is due" is one INSERT … SELECT into
newsletter_receipts whose primary key (edition, member) is the exactly-once.
The receipts of a chunk and their outbox rows are written in one
transaction, so a crash loses nothing and a second scheduler running the same
chunk inserts no receipt, hence queues no message.

A member is due for an edition when their file meets every condition of
cycle.eligibility (a coopérateur who signed on or before the edition's Paris
send date, with consent and a deliverable address…) and they have no receipt
for it. The member page's "why" sentences come from the same conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, literal, select
from sqlalchemy.sql import ColumnElement, Select

from coopcrm import clock, fr
from coopcrm.cycle import schedule
from coopcrm.cycle.eligibility import eligible, why_not
from coopcrm.cycle.models import Edition, NewsletterIssue, Receipt
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import Member, Residence
from coopcrm.models import UTCDateTime
from coopcrm.sending.models import OutboxMessage
from coopcrm.sending.rendering import BODY_MJML

TEMPLATE = "newsletter_edition"
CHUNK = 5000


def _no_receipt(edition_id: int, after: int = 0) -> ColumnElement:
    # `after` repeated inside lets PostgreSQL start its anti-join at the chunk, not at id 1.
    return ~exists().where(Receipt.edition_id == edition_id, Receipt.member_id == Member.id,
                           Receipt.member_id > after)


def due_query(edition: Edition) -> Select:
    """SELECT the ids of the members due for `edition` now."""
    return select(Member.id).where(*eligible(schedule.local_date(edition.send_dt)),
                                   *scoping.audience(edition), _no_receipt(edition.id))


def count_due(edition: Edition) -> int:
    """How many members are due for `edition` now (one COUNT)."""
    return db.session.scalar(
        select(func.count()).select_from(due_query(edition).subquery())) or 0


def reach(edition: Edition) -> int:
    """How many members an edition not yet sent would reach, on today's file."""
    return count_due(edition)


def idempotency_key(edition: Edition, member_id: int) -> str:
    """`cycle:2027:N1:member:42`."""
    return f"{_key_prefix(edition)}{member_id}"


def _key_prefix(edition: Edition) -> str:
    return f"cycle:{edition.year}:N{edition.issue.number}:member:"


# --- acting ------------------------------------------------------------------


def _claim(edition: Edition, outcome: str, now: datetime, limit: int | None,
           after: int = 0) -> list[int]:
    """Insert receipts for due members with id > `after` (up to `limit`, by id); the new ids.

    `after` walks the members in id order, chunk after chunk, so each chunk reads
    only what follows the last one instead of the whole file again.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    chosen = select(literal(edition.id), Member.id, literal(outcome),
                    literal(now, UTCDateTime)).where(
        *eligible(schedule.local_date(edition.send_dt)), *scoping.audience(edition),
        _no_receipt(edition.id, after), Member.id > after)
    if limit is not None:
        chosen = chosen.order_by(Member.id).limit(limit)
    stmt = (insert(Receipt)
            .from_select(["edition_id", "member_id", "outcome", "decided_dt"], chosen)
            .on_conflict_do_nothing(index_elements=["edition_id", "member_id"])
            .returning(Receipt.member_id))
    return list(db.session.scalars(stmt))


def lock(edition: Edition) -> Edition:
    """Re-read the edition, locked on PostgreSQL: two schedulers never both freeze it, and
    an edit never races the freezing."""
    return db.session.scalars(
        select(Edition).where(Edition.id == edition.id).with_for_update(of=Edition)
        .execution_options(populate_existing=True)).one()


def freeze(edition: Edition, now: datetime) -> None:
    """Fix the content that goes out (and that the archive shows) from now on."""
    from coopcrm.cycle.content import frozen_context
    from coopcrm.sending.services import share_context

    if edition.frozen_dt is not None:
        return
    context = frozen_context(edition)
    shared = share_context(context, now=now)
    edition.frozen_content = shared.data
    edition.shared_context_id = shared.id
    edition.frozen_dt = now


def _member_rows(shared) -> Select:
    """The member columns a message stores; with a block document, what its placeholders
    read too (residence, references, shares: sending.services.member_context)."""
    columns = [Member.id, Member.email, Member.email_status, Member.first_name,
               Member.last_name, Member.civility, Member.anonymised_dt]
    if shared is None or BODY_MJML not in shared.data:
        return select(*columns)
    return (select(*columns, Member.share_count, Member.share_amount,
                   Residence.name.label("residence_name"), Member.references.label("references"))
            .outerjoin(Residence, Residence.id == Member.residence_id))


def send_due(edition: Edition, now: datetime, chunk: int = CHUNK) -> int:
    """Queue the edition for every member due now, committing per chunk; how many were queued."""
    from coopcrm.sending.models import SharedContext
    from coopcrm.sending.services import enqueue_many

    edition = lock(edition)
    freeze(edition, now)
    shared = db.session.get(SharedContext, edition.shared_context_id)
    db.session.commit()
    prefix, total, after = _key_prefix(edition), 0, 0
    while True:
        ids = _claim(edition, "sent", now, chunk, after)
        if ids:
            members = db.session.execute(_member_rows(shared).where(Member.id.in_(ids)))
            enqueue_many(TEMPLATE, members, lambda m: f"{prefix}{m.id}", shared=shared,
                         now=now)
        db.session.commit()
        total += len(ids)
        if len(ids) < chunk:
            return total
        after = max(ids)


def close(edition: Edition, now: datetime) -> int:
    """The next issue fell due: record everyone still due as having missed this edition."""
    edition = lock(edition)
    freeze(edition, now)  # the archive shows it even if nobody received it
    missed = len(_claim(edition, "missed", now, None))
    edition.closed_dt = now
    db.session.commit()
    return missed


def run(now: datetime) -> str:
    """The scheduler job: create editions, close the ones whose window ended, send the open ones."""
    schedule.ensure_editions(now)
    db.session.commit()
    issues = schedule.active_issues()
    pending = list(db.session.scalars(
        select(Edition).join(Edition.issue)
        .where(NewsletterIssue.active.is_(True), Edition.closed_dt.is_(None),
               Edition.send_dt <= now)
        .order_by(Edition.send_dt)))
    parts = []
    for edition in pending:  # oldest first: an older edition closes before a newer one sends
        end = schedule.window_end(edition, issues)
        if end is not None and end <= now:
            missed = close(edition, now)
            parts.append(f"{edition.label} clôturée ({missed} manquée(s))")
        else:
            sent = send_due(edition, now)
            if sent:
                parts.append(f"{edition.label} : {sent} envoi(s) mis en file")
    return " ; ".join(parts) or "rien à envoyer"


# --- reading -----------------------------------------------------------------


def edition_counts(edition: Edition) -> dict[str, int]:
    """Receipts by outcome, and how many of the queued messages failed or bounced."""
    counts = {"sent": 0, "missed": 0, "failed": 0}
    for outcome, n in db.session.execute(
            select(Receipt.outcome, func.count()).where(Receipt.edition_id == edition.id)
            .group_by(Receipt.outcome)):
        counts[outcome] = n
    counts["failed"] = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(_key_prefix(edition), autoescape=True),
            OutboxMessage.status.in_(("failed", "bounced", "suppressed")))) or 0
    return counts


@dataclass(frozen=True)
class HistoryLine:
    """One edition on a member's page: what happened, and why, in French."""

    edition: Edition
    state: str  # sent | missed | not_sent | pending | upcoming
    reason: str
    when: datetime | None = None


def member_history(member: Member, now: datetime | None = None,
                   limit: int = 12) -> list[HistoryLine]:
    """The editions since the member's signature (newest first), and the next one."""
    now = now or clock.now()
    since = member.reservation_signed_on
    query = select(Edition).join(Edition.issue).order_by(Edition.send_dt.desc())
    past = list(db.session.scalars(query.where(Edition.send_dt <= now).limit(limit)))
    receipts = {r.edition_id: r for r in db.session.scalars(
        select(Receipt).where(Receipt.member_id == member.id,
                              Receipt.edition_id.in_([e.id for e in past])))}
    # Since the signature, and any edition they got before it was (re)entered.
    past = [e for e in past if e.id in receipts
            or (since is not None and schedule.local_date(e.send_dt) >= since)]
    messages = _messages(member, past)
    upcoming = schedule.next_editions(now)[:1]
    # One query: what keeps the member from each edition, as their file stands.
    reasons = why_not(member, [schedule.local_date(e.send_dt) for e in past + upcoming])

    def reason(edition: Edition) -> str | None:
        return reasons[schedule.local_date(edition.send_dt)]

    lines = [_explain(e, member, receipts.get(e.id), messages.get(e.id), reason(e))
             for e in past]
    if upcoming:
        nxt = upcoming[0]
        lines.insert(0, HistoryLine(nxt, "upcoming",
                                    reason(nxt) or f"La recevra le {_fr(nxt.send_dt)}",
                                    nxt.send_dt))
    return lines


def _messages(member: Member, editions: list[Edition]) -> dict[int, OutboxMessage]:
    keys = {idempotency_key(e, member.id): e.id for e in editions}
    if not keys:
        return {}
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.in_(list(keys))))
    return {keys[m.idempotency_key]: m for m in rows}


def _fr(moment: datetime) -> str:
    return fr.datetime(moment, at=True)


def _explain(edition: Edition, member: Member, receipt: Receipt | None,
             message: OutboxMessage | None, reason: str | None) -> HistoryLine:
    """The line of a past edition; `reason` is what keeps the member from it today."""
    if receipt is not None and receipt.outcome == "missed":
        return HistoryLine(edition, "missed", "Manquée : elle n'a pas pu partir avant le numéro "
                                              "suivant (envois interrompus).", receipt.decided_dt)
    if receipt is not None:
        if message is None or message.status in ("queued", "sending"):
            return HistoryLine(edition, "pending", "En file d'envoi", receipt.decided_dt)
        if message.status == "sent":
            assert message.sent_dt is not None  # stamped with the "sent" status (flush)
            return HistoryLine(edition, "sent", f"Envoyée le {_fr(message.sent_dt)}",
                               message.sent_dt)
        detail = message.last_error or message.status_label
        return HistoryLine(edition, "not_sent", f"Non remise : {detail}", receipt.decided_dt)
    if reason is None:
        if edition.closed_dt is None:
            return HistoryLine(edition, "pending",
                               "À envoyer au prochain passage du planificateur")
        reason = _late_consent(edition, member) or (
            "Remplit aujourd'hui les conditions, mais ne les remplissait pas lors de cet envoi.")
    return HistoryLine(edition, "not_sent", reason)


def _late_consent(edition: Edition, member: Member) -> str | None:
    """A closed edition missed because consent came after it (the file says when)."""
    end, given = edition.closed_dt, member.newsletter_consent_dt
    if end is not None and given is not None and given > end:
        return f"Consentement donné le {_fr(given)}, après cette lettre."
    return None
