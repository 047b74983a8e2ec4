"""The register of data subjects' requests: one month to answer, three when extended.

RGPD art. 12.3: the controller answers "within one month of receipt of the request";
the period "may be extended by two further months where necessary", the person
being told within the first month. A request shows on the dashboard until answered.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from coopcrm import plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.models import text_limit, too_long
from coopcrm.privacy.models import REQUEST_CHANNELS, REQUEST_KINDS, DataRequest

# Months to answer, then the months an extension adds (art. 12.3).
ANSWER_MONTHS = 1
EXTENSION_MONTHS = 2


def months_after(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 January + 1 = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received_on: date, extended: bool = False) -> date:
    return months_after(received_on, ANSWER_MONTHS + (EXTENSION_MONTHS if extended else 0))


@dataclass
class RequestData:
    kind: str
    channel: str
    received_on: date | None
    requester: str = ""
    member_id: int | None = None
    notes: str = ""


def _checked(data: RequestData, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.kind not in REQUEST_KINDS:
        errors["kind"] = "Choisissez la nature de la demande."
    if data.channel not in REQUEST_CHANNELS:
        errors["channel"] = "Choisissez le canal de réception."
    if data.received_on is None:
        errors["received_on"] = "Indiquez la date de réception."
    elif data.received_on > today:
        errors["received_on"] = "La date de réception ne peut pas être dans le futur."
    if data.member_id is None and not data.requester.strip():
        errors["requester"] = "Indiquez le demandeur, ou la référence du coopérateur."
    limit = text_limit(DataRequest, "requester")
    if len(data.requester.strip()) > limit:
        errors["requester"] = too_long(limit)
    errors.update(plaintext.problems(lines={"requester": data.requester},
                                     texts={"notes": data.notes}))
    return errors


def record(data: RequestData, user, today: date) -> DataRequest:
    """Log a request as received; ValidationFailed (French) with nothing written."""
    errors = _checked(data, today)
    if errors:
        raise ValidationFailed(errors)
    assert data.received_on is not None
    request = DataRequest(kind=data.kind, channel=data.channel, received_on=data.received_on,
                          due_on=due_date(data.received_on), requester=data.requester.strip(),
                          member_id=data.member_id, notes=data.notes.strip(),
                          recorded_by_id=user.id)
    db.session.add(request)
    db.session.flush()
    return request


def extend(request: DataRequest) -> None:
    """Two more months (once), for a complex or numerous request."""
    if request.answered_on is not None:
        raise ValidationFailed({"extended": "Cette demande a déjà reçu sa réponse."})
    if request.extended:
        raise ValidationFailed({"extended": "Le délai de cette demande est déjà prolongé."})
    request.extended = True
    request.due_on = due_date(request.received_on, extended=True)
    db.session.flush()


def answer(request: DataRequest, text: str, on: date, today: date) -> None:
    """Record the answer given (what, and when)."""
    errors = plaintext.problems(texts={"answer": text})
    if not text.strip():
        errors["answer"] = "Résumez la réponse apportée."
    if on > today:
        errors["answered_on"] = "La date de réponse ne peut pas être dans le futur."
    elif on < request.received_on:
        errors["answered_on"] = "La réponse ne peut pas précéder la demande."
    if request.answered_on is not None:
        errors["answer"] = "Cette demande a déjà reçu sa réponse."
    if errors:
        raise ValidationFailed(errors)
    request.answered_on, request.answer = on, text.strip()
    db.session.flush()


def visible(user) -> Select:
    """The requests this user may see: those of members in their scope, and, for users
    of the whole group, those of people not in the file (a name that is nobody's entity)."""
    from coopcrm.members.models import Member
    from coopcrm.members.scoping import scope

    query = select(DataRequest)
    if user.sees_all_entities:
        return query
    seen = scope(select(Member.id), user, anonymised=True)
    return query.where(DataRequest.member_id.is_not(None), DataRequest.member_id.in_(seen))


def listed(user, *, open_only: bool = False) -> Select:
    """Open requests first, the most urgent first; then the answered, latest first."""
    query = visible(user)
    if open_only:
        query = query.where(DataRequest.answered_on.is_(None))
    return query.order_by(DataRequest.answered_on.is_not(None), DataRequest.due_on,
                          DataRequest.id.desc())


def late(request: DataRequest, today: date) -> bool:
    return request.answered_on is None and request.due_on < today


def open_requests(user) -> list[DataRequest]:
    """What the dashboard shows until answered."""
    return list(db.session.scalars(listed(user, open_only=True).limit(20)))

