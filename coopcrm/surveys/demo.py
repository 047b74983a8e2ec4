"""Demo data: the "Sondage état des lieux" sent three weeks ago, with about 10 % of answers."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import answers, services
from coopcrm.surveys.models import Survey, SurveyInvitation

DEMO_TITLE = "Sondage état des lieux 2026"


def load_demo(now: datetime | None = None, invited: int = 400, random_seed: int = 2026) -> str:
    """Send the ready template to `invited` coopérateurs 21 days before `now`; commits.

    Idempotent: does nothing if the demo survey exists. The emails are marked
    delivered (a demo must not flush them into the mail catcher).
    """
    now = now or clock.now()
    services.seed_templates()
    if db.session.scalar(select(Survey.id).where(Survey.title == DEMO_TITLE)) is not None:
        db.session.commit()
        return "Sondage de démonstration déjà chargé."
    rng = random.Random(random_seed)
    (template,) = services.seed_templates()
    sent_at = now - timedelta(days=21)
    with clock.frozen(sent_at):
        survey = services.duplicate(template, title=DEMO_TITLE)
        survey.opens_on = clock.today()
        survey.closes_on = (now + timedelta(days=20)).astimezone(clock.PARIS).date()
        members = db.session.scalars(
            select(Member).where(Member.status == "cooperateur", Member.anonymised_dt.is_(None))
            .order_by(Member.id).limit(invited)).all()
        count = services.invite(survey, members, key_prefix=f"survey:{survey.id}")
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.startswith(f"survey:{survey.id}:"),
               OutboxMessage.status == "queued")
        .values(status="sent", sent_dt=sent_at, attempts=1))
    db.session.commit()
    invitations = db.session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id).order_by(SurveyInvitation.id)).all()
    answered = 0
    for inv in invitations:
        if rng.random() > 0.11:
            continue
        link = answers.Link(survey, inv, answers.respondent_key(survey, inv.member_id, None))
        values = {str(q.id): rng.choice(("oui", "oui", "non")) for q in survey.questions}
        at = sent_at + timedelta(days=rng.randint(0, 15), hours=rng.randint(8, 12))
        with clock.frozen(at):
            answers.submit(link, values,
                           channel="email" if inv.channel == "email" else "courrier")
        answered += 1
    db.session.commit()
    return f"Sondage de démonstration : {count} invité(s), {answered} réponse(s)."
