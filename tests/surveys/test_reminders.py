"""surveys.reminders: only members who have not answered, after the delay, at most N times."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys.models import SurveyInvitation
from tests import factories
from tests.factories.surveys import NOW, invite_and_links, links_of
from tests.helpers import post


def reminded() -> list[tuple[int, str]]:
    db.session.expire_all()
    return sorted(db.session.execute(
        select(OutboxMessage.member_id, OutboxMessage.idempotency_key)
        .where(OutboxMessage.template == "survey_reminder")).all())


def test_reminders_go_only_to_non_respondents(client):
    survey = factories.survey(("yesno",), reminder_delay_days=7, reminder_max=2)
    answered, waiting, no_email = (factories.member(), factories.member(),
                                   factories.member(email=None))
    urls = invite_and_links(survey, [answered, waiting, no_email])
    q = f"q{survey.questions[0].id}"
    post(client, urls[answered.id], {q: "oui"})
    waiting_id, survey_id = waiting.id, survey.id  # run_job starts a new session

    assert run_job("surveys.reminders", NOW + timedelta(days=6)).status == "ok"
    assert reminded() == []  # too early
    run_job("surveys.reminders", NOW + timedelta(days=7, hours=1))
    assert reminded() == [(waiting_id, f"survey:{survey_id}:reminder:1:member:{waiting_id}")]
    run_job("surveys.reminders", NOW + timedelta(days=7, hours=2))  # run twice: nothing new
    assert len(reminded()) == 1

    # The reminder's own link works, and carries the Oui/Non buttons.
    link = links_of(None, "survey_reminder")[waiting_id]
    assert client.get(link + "?reponse=non").status_code == 200
    run_job("surveys.reminders", NOW + timedelta(days=15))
    assert [k for _, k in reminded()][-1].endswith(f"reminder:2:member:{waiting_id}")
    run_job("surveys.reminders", NOW + timedelta(days=23))  # max 2 reached
    assert len(reminded()) == 2
    inv = db.session.scalar(select(SurveyInvitation)
                            .where(SurveyInvitation.member_id == waiting_id))
    assert inv.reminders_sent == 2


def test_no_reminder_once_answered_or_closed(client):
    survey = factories.survey(("yesno",), reminder_delay_days=3, reminder_max=1)
    m = factories.member()
    url = invite_and_links(survey, [m])[m.id]
    post(client, url, {f"q{survey.questions[0].id}": "non"})
    run_job("surveys.reminders", NOW + timedelta(days=4))
    assert reminded() == []
    late = factories.survey(("yesno",), title="Clos", reminder_delay_days=3)
    invite_and_links(late, [factories.member()])
    closes = late.closes_dt
    run_job("surveys.reminders", closes + timedelta(hours=1))
    assert reminded() == []
