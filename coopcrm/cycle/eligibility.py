"""Who may receive a newsletter edition: one ordered table of conditions, read two ways.

Each condition is a SQL predicate on the members table (for an edition sent on
a Paris date) with the French sentence a member's page shows when it fails.
`eligible(on)` ANDs every predicate into the INSERT … SELECT that picks who is
due (cycle.due); `why_not` evaluates the same predicates, in the database, for
one member, so the explanation can never disagree with the selection.
A change to the rule is one row here.

The conditions are independent of each other (a member can fail any one alone)
and ordered by what a referent should fix first; the first failing one is the
sentence shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, select
from sqlalchemy.sql import ColumnElement

from coopcrm import fr
from coopcrm.extensions import db
from coopcrm.members.models import Member


@dataclass(frozen=True)
class Condition:
    """One condition for receiving an edition.

    `holds(on)` is the SQL predicate for an edition sent on the Paris date
    `on`; `reason_fr(member)` the sentence shown when the member fails it
    (worded from the member's file: a signature date, a former coopérateur).
    """

    code: str
    holds: Callable[[date], ColumnElement[bool]]
    reason_fr: Callable[[Member], str]


def _fixed(sentence: str) -> Callable[[Member], str]:
    return lambda member: sentence


def _signature(member: Member) -> str:
    signed = member.reservation_signed_on
    if signed is None:
        return "Pas de date de signature du contrat de réservation."
    return f"Pas encore signataire à cette date (signature le {fr.date(signed)})."


def _status(member: Member) -> str:
    if member.status == "ancien":
        return "Ancien coopérateur : ses parts sociales ont été remboursées."
    return "Pas encore coopérateur : aucune part sociale détenue."


def _email_status(member: Member) -> str:
    if member.email_status == "bounced":
        return "Adresse email en erreur."
    return "Désinscrit des envois groupés."


CONDITIONS: tuple[Condition, ...] = (
    Condition("not_anonymised", lambda on: Member.anonymised_dt.is_(None),
              _fixed("Coopérateur anonymisé.")),
    # A missing signature date fails too (NULL <= on is not true).
    Condition("signed_by_send_date", lambda on: Member.reservation_signed_on <= on, _signature),
    Condition("cooperateur", lambda on: Member.status == "cooperateur", _status),
    Condition("has_email", lambda on: and_(Member.email.is_not(None), Member.email != ""),
              _fixed("Pas d'adresse email : la lettre est à envoyer par courrier.")),
    Condition("email_valid", lambda on: Member.email_status == "valid", _email_status),
    Condition("newsletter_consent", lambda on: Member.newsletter_consent.is_(True),
              _fixed("Pas de consentement à la lettre d'information.")),
)


def eligible(on: date) -> list[ColumnElement[bool]]:
    """The conditions for receiving an edition sent on `on` (Paris date), on today's file."""
    return [condition.holds(on) for condition in CONDITIONS]


def failing(member_id: int, days: Iterable[date]) -> dict[date, list[Condition]]:
    """For each send date, the conditions the member fails today, in table order (one SELECT).

    Each predicate is evaluated by the database, as in the selection: a NULL
    counts as failing, exactly as it keeps a member out of the INSERT … SELECT.
    """
    days = sorted(set(days))
    if not days:
        return {}
    columns = [case((condition.holds(day), True), else_=False)
               for day in days for condition in CONDITIONS]
    row = db.session.execute(select(*columns).where(Member.id == member_id)).one()
    n = len(CONDITIONS)
    return {day: [c for c, held in zip(CONDITIONS, row[i * n:(i + 1) * n], strict=True)
                  if not held]
            for i, day in enumerate(days)}


def why_not(member: Member, days: Iterable[date]) -> dict[date, str | None]:
    """For each send date, the sentence of the first condition the member fails (None: none)."""
    return {day: failed[0].reason_fr(member) if failed else None
            for day, failed in failing(member.id, days).items()}
