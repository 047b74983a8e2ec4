"""Retention by status: whom the file no longer needs, counted first, erased once approved.

Durations from the CNIL's guidance for the management of members and prospects
(référentiel "gestion des activités commerciales", 2021; "associations", 2023),
each a setting (coopcrm/config.py): a prospect three years after the last contact,
a former coopérateur five years after the last reimbursement of their shares, a
person the file cannot reach (no valid email, no postal address, not a current
coopérateur) five years after their file last changed. Nothing is anonymised by
a job: the monthly `privacy.retention` job counts the candidates, clears sent
messages' payloads past COOPCRM_RETENTION_OUTBOX_MONTHS and deletes the identities
legal records kept past their retention (privacy/legal.py); a user with the
"anonymise" right approves each rule's list, with a reason (`anonymise_rule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.privacy import erasure, periods


def years_before(day: date, years: int) -> date:
    return clock.years_after(day, -years)


def months_before(now: datetime, months: int) -> datetime:
    """`months` before `now`, a month being its mean length (a period's edge, not a day)."""
    return now - timedelta(days=round(30.44 * months))


@dataclass(frozen=True)
class Rule:
    """One retention rule: which members it concerns once `years` have passed."""

    key: str
    label: str
    setting: str  # the app.config key of its duration in years
    explained: str  # "{years}" is replaced by the duration
    condition: Callable[[date], ColumnElement[bool]]

    def years(self) -> int:
        """The period in force (privacy/periods.py: an admin's value, else the setting)."""
        return periods.value(self.setting)

    def description(self) -> str:
        return self.explained.format(years=self.years())


def _prospect(cutoff: date) -> ColumnElement[bool]:
    from coopcrm.journeys.models import Moment
    from coopcrm.members.models import Member

    return and_(Member.status == "prospect", Member.created_dt < clock.start_of(cutoff),
                ~exists().where(Moment.member_id == Member.id, Moment.occurs_on >= cutoff))


def _former(cutoff: date) -> ColumnElement[bool]:
    from coopcrm.members.models import Member, ShareMovement

    return and_(Member.status == "ancien", Member.updated_dt < clock.start_of(cutoff),
                ~exists().where(ShareMovement.member_id == Member.id,
                                ShareMovement.kind == "reimbursement",
                                ShareMovement.occurred_on >= cutoff))


def _unreachable(cutoff: date) -> ColumnElement[bool]:
    from coopcrm.members.models import Member

    return and_(Member.status != "cooperateur", ~Member.has_deliverable_email,
                or_(Member.address.is_(None), func.trim(Member.address) == ""),
                Member.updated_dt < clock.start_of(cutoff))


RULES = {r.key: r for r in (
    Rule("prospect", "Prospects sans contact", "RETENTION_PROSPECT_YEARS",
         "prospects sans moment depuis {years} ans", _prospect),
    Rule("former", "Anciens coopérateurs", "RETENTION_FORMER_YEARS",
         "anciens coopérateurs dont le dernier remboursement de parts date de plus de "
         "{years} ans", _former),
    Rule("unreachable", "Injoignables", "RETENTION_UNREACHABLE_YEARS",
         "non coopérateurs sans email valide ni adresse postale, fiche inchangée depuis "
         "{years} ans", _unreachable),
)}


def candidates(rule: Rule, today: date, user=None) -> Select:
    """The ids of the members the rule concerns today (of the user's scope when given)."""
    from coopcrm.members.models import Member
    from coopcrm.members.scoping import scope

    query = select(Member.id).where(Member.anonymised_dt.is_(None),
                                    rule.condition(years_before(today, rule.years())))
    return scope(query, user) if user is not None else query


def counts(today: date, user=None) -> dict[str, int]:
    """Each rule's number of members to review (the dry run)."""
    return {key: db.session.scalar(select(func.count()).select_from(
        candidates(rule, today, user).subquery())) or 0 for key, rule in RULES.items()}


def anonymise_rule(key: str, reason: str, user, now: datetime) -> int:
    """Approve a rule's list: anonymise its members of the user's scope; how many."""
    rule = RULES[key]
    ids = list(db.session.scalars(candidates(rule, clock.day_of(now), user)))
    return erasure.anonymise(ids, reason=f"Durée de conservation ({rule.label}) : {reason}",
                             user=user, now=now)


def clear_sent_payloads(now: datetime) -> int:
    """Empty the personal context of messages sent more than the retention ago: the
    outbox keeps what was sent to whom and when, not the merge data."""
    from coopcrm.sending.models import OutboxMessage

    before = months_before(now, periods.value("RETENTION_OUTBOX_MONTHS"))
    result = cast(CursorResult, db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sent", OutboxMessage.sent_dt < before)
        .values(context={}).execution_options(synchronize_session=False)))
    return result.rowcount or 0


def clear_received(now: datetime) -> int:
    """Empty what the unsubscribe mailbox's messages received more than the retention ago
    said and who sent them: the row stays, with its kind and dates, for the counts and as
    the ledger (its message key) that keeps a message still in the mailbox from being read
    again."""
    from coopcrm.inbox.models import InboundMessage

    before = months_before(now, periods.value("RETENTION_INBOX_MONTHS"))
    emptied = {"from_address": "", "from_name": "", "subject": "", "excerpt": "", "detail": ""}
    result = cast(CursorResult, db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.recorded_dt < before,
               or_(*(getattr(InboundMessage, name) != "" for name in emptied)))
        .values(**emptied).execution_options(synchronize_session=False)))
    return result.rowcount or 0


def prune_audit(now: datetime) -> int:
    """Delete the entries of the change history older than its retention: the history
    proves who changed a file and when, for as long as that can be disputed."""
    from coopcrm.privacy.models import AuditEntry

    before = clock.years_after(now, -periods.value("RETENTION_AUDIT_YEARS"))
    result = cast(CursorResult, db.session.execute(
        delete(AuditEntry).where(AuditEntry.recorded_dt < before)
        .execution_options(synchronize_session=False)))
    return result.rowcount or 0


def summary(found: dict[str, int]) -> str:
    """The counts in French, as the job and the command print them."""
    return " ; ".join(f"{RULES[k].label} : {n}" for k, n in found.items())


def drop_expired_identities(today: date) -> int:
    """Delete the identities legal records no longer need (`kept_until` passed): from then
    on those records show the pseudonym only."""
    from coopcrm.privacy.models import LegalIdentity

    result = cast(CursorResult, db.session.execute(
        delete(LegalIdentity).where(LegalIdentity.kept_until < today)))
    return result.rowcount or 0
