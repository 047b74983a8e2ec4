"""A member with a 20-year history, for the subject-access figure (issue 14: "under one
second for a member with a 20-year history").

The demo's richest member has a few years of moments and little else; a tenant who
joined in 2007 has, by 2027: about 300 emails (newsletters, convocations, reminders),
80 newsletter receipts, 10 surveys answered by name, 20 AGs (invitation, answer,
attendance or proxy) and 20 workshops, 80 moments of their journey, share movements,
consent changes, 40 changes of their file (audited through the ORM like a referent's),
two requests about their data. Rows go in through the models (the ORM where the audit
trail should follow, Core inserts elsewhere), as the app writes them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

YEARS = 20
MESSAGES = 300
FIRST_YEAR = 2007


def _at(year: int, month: int, day: int = 10, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def build(member_id: int, admin, rng: random.Random) -> dict[str, int]:
    """Give `member_id` twenty years of history; the number of rows added by kind."""
    from sqlalchemy import insert, select

    from coopcrm.cycle.models import Edition, NewsletterIssue, Receipt
    from coopcrm.events.models import Attendance, Event, Invitation
    from coopcrm.extensions import db
    from coopcrm.journeys.models import Moment, MomentType
    from coopcrm.members.models import Member, ShareMovement
    from coopcrm.privacy import audit
    from coopcrm.privacy.models import ConsentRecord, DataRequest
    from coopcrm.sending.models import OutboxMessage
    from coopcrm.surveys.models import Survey, SurveyInvitation, SurveyResponse

    made: dict[str, int] = {}
    member = db.session.get(Member, member_id)
    years = range(FIRST_YEAR, FIRST_YEAR + YEARS)

    # Moments: four a year (visits, workshops, calls), with a referent's note each.
    types = list(db.session.scalars(select(MomentType.id)))
    with audit.acting_as(admin):
        for year in years:
            for quarter in range(4):
                db.session.add(Moment(member_id=member_id, type_id=rng.choice(types),
                                      status="done", occurs_on=date(year, 1 + 3 * quarter, 15),
                                      notes=f"Échange du trimestre {quarter + 1} : logement, "
                                            "voisinage, projet de jardin partagé."))
        db.session.flush()
        made["moments"] = YEARS * 4
        # Forty changes of the file (phone, address, email status): audited entries.
        for n in range(40):
            member.phone = f"06{rng.randint(10_000_000, 99_999_999)}"
            if n % 4 == 0:
                member.address = f"{rng.randint(1, 90)} rue des Tilleuls"
            db.session.flush()
        made["changes"] = 40
        # Consents given and withdrawn over the years.
        for n in range(10):
            db.session.add(ConsentRecord(
                member_id=member_id, kind=("newsletter", "econvocation")[n % 2],
                granted=n % 4 < 2, recorded_dt=_at(FIRST_YEAR + 2 * n, 3),
                source="bulletin papier", wording="J'accepte de recevoir…",
                user_id=admin.id))
        made["consents"] = 10
        db.session.flush()

    # Shares: subscribed in 2007, more in 2012, a reimbursement in 2020.
    for kind, quantity, year in (("subscription", 1, 2007), ("subscription", 2, 2012),
                                 ("reimbursement", 1, 2020)):
        db.session.add(ShareMovement(member_id=member_id, kind=kind, quantity=quantity,
                                     unit_amount=Decimal("16.00"), occurred_on=date(year, 5, 2),
                                     created_dt=_at(year, 5, 2)))
    made["share_movements"] = 3

    # Messages: about 300 emails over 20 years, sent.
    rows = []
    for n in range(MESSAGES):
        sent = _at(FIRST_YEAR, 1) + timedelta(days=n * YEARS * 365 // MESSAGES)
        rows.append({"idempotency_key": f"bench:history:{member_id}:{n}",
                     "template": ("newsletter", "ag_convocation", "reminder")[n % 3],
                     "member_id": member_id, "to_address": member.email or "",
                     "to_name": member.full_name, "subject": f"Message n° {n + 1}",
                     "status": "sent", "created_dt": sent, "sent_dt": sent,
                     "context": {"first_name": member.first_name, "n": n}})
    db.session.execute(insert(OutboxMessage), rows)
    made["outbox_messages"] = MESSAGES

    # Newsletter: four issues a year, a receipt of each edition.
    issues = []
    for number in range(4):
        issue = NewsletterIssue(number=900 + number, theme=f"Saison {number + 1}",
                                send_month=1 + 3 * number, title=f"Lettre {number + 1}")
        db.session.add(issue)
        issues.append(issue)
    db.session.flush()
    receipts = []
    for year in years:
        for issue in issues:
            edition = Edition(issue_id=issue.id, year=year, title=f"{issue.title} {year}",
                              send_dt=_at(year, issue.send_month))
            db.session.add(edition)
            db.session.flush()
            receipts.append({"edition_id": edition.id, "member_id": member_id,
                             "outcome": "sent", "decided_dt": edition.send_dt})
    db.session.execute(insert(Receipt), receipts)
    made["newsletter_receipts"] = len(receipts)

    # Surveys: one every two years, answered by name.
    for n in range(YEARS // 2):
        year = FIRST_YEAR + 2 * n
        survey = Survey(title=f"Enquête de satisfaction {year}", anonymous=False)
        db.session.add(survey)
        db.session.flush()
        db.session.add(SurveyInvitation(survey_id=survey.id, member_id=member_id,
                                        channel="courrier", outbox_key=f"bench:{survey.id}",
                                        answered_dt=_at(year, 6), answer_channel="courrier"))
        db.session.add(SurveyResponse(survey_id=survey.id, respondent_key=f"b{survey.id}",
                                      member_id=member_id, channel="courrier",
                                      answered_on=date(year, 6, 10),
                                      answers={"1": "Plutôt satisfait, chauffage à revoir."}))
    made["surveys"] = YEARS // 2

    # Events: an AG a year (invited, answered, present or represented), a workshop a year.
    for year in years:
        for kind, title in (("ag_ordinaire", f"AG {year}"), ("atelier", f"Atelier {year}")):
            start = _at(year, 6 if kind == "ag_ordinaire" else 10, 14, 18)
            event = Event(kind=kind, title=title, starts_dt=start,
                          ends_dt=start + timedelta(hours=2))
            db.session.add(event)
            db.session.flush()
            db.session.add(Invitation(event_id=event.id, member_id=member_id,
                                      response=("yes", "proxy")[year % 2]))
            if kind == "ag_ordinaire" and year % 2 == 0:
                db.session.add(Attendance(event_id=event.id, member_id=member_id,
                                          status="present", mode="in_person"))
    made["events"] = 2 * YEARS

    for year, kind in ((2018, "access"), (2025, "rectification")):
        day = date(year, 3, 1)
        db.session.add(DataRequest(kind=kind, channel="email", received_on=day,
                                   due_on=day + timedelta(days=30), member_id=member_id,
                                   requester=member.full_name, answered_on=day,
                                   answer="Répondu."))
    made["data_requests"] = 2
    db.session.commit()
    return made
