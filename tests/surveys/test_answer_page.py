"""The member's page /s/<token>: every question type, bad input, bad links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment
from coopcrm.links import services as links
from coopcrm.surveys.models import SurveyInvitation, SurveyResponse
from tests import factories
from tests.factories.surveys import NOW, invite_and_links
from tests.helpers import post


@pytest.fixture
def setup():
    survey = factories.survey()
    member = factories.member(first_name="Jeanne")
    url = invite_and_links(survey, [member])[member.id]
    q = {question.kind: f"q{question.id}" for question in survey.questions}
    return survey, member, url, q


def full(q, **over):
    data = {q["yesno"]: "oui", q["single"]: "Terrasse", q["multiple"]: ["Jardin", "Atelier"],
            q["scale"]: "4", q["short"]: "Bien", q["long"]: "Rien à signaler\nà part le bruit"}
    data.update(over)
    return data


def response():
    return db.session.scalar(select(SurveyResponse))


def test_every_question_type_is_saved_and_the_moment_logged(client, setup):
    survey, member, url, q = setup
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bonjour Jeanne" in html and "Note globale ?" in html
    r = post(client, url, full(q))
    assert r.status_code == 303 and r.headers["Location"].endswith(url + "/merci")
    assert "Merci beaucoup !" in client.get(url + "/merci").get_data(as_text=True)
    saved = response().answers
    by_kind = {question.kind: saved.get(str(question.id)) for question in survey.questions}
    assert by_kind == {"yesno": "oui", "single": "Terrasse", "multiple": ["Jardin", "Atelier"],
                       "scale": 4, "short": "Bien", "long": "Rien à signaler\nà part le bruit"}
    assert response().member_id == member.id
    invitation = db.session.scalar(select(SurveyInvitation))
    assert invitation.answered_dt == NOW and invitation.answer_channel == "email"
    moment = db.session.scalar(select(Moment))
    assert (moment.member_id, moment.type.code, moment.status) == (member.id, "reponse_sondage",
                                                                   "done")


def test_the_answer_can_be_changed_and_a_double_submit_counts_once(client, setup):
    survey, member, url, q = setup
    post(client, url, full(q))
    post(client, url, full(q))
    assert "Vous avez déjà répondu" in client.get(url).get_data(as_text=True)
    post(client, url, full(q, **{q["yesno"]: "non", q["multiple"]: []}))
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    assert db.session.scalar(select(func.count()).select_from(Moment)) == 1
    answers = response().answers
    assert answers[q["yesno"][1:]] == "non" and q["multiple"][1:] not in answers


@pytest.mark.parametrize("field,value,message", [
    ("single", "Piscine", "ne fait pas partie"),
    ("multiple", ["Jardin", "Piscine"], "ne fait pas partie"),
    ("yesno", "peut-être", "Oui ou par Non"),
    ("scale", "9", "de 1 à 5"),
    ("long", "x" * 100_000, "dépasse"),
    ("short", "x" * 1000, "dépasse"),
])
def test_bad_input_is_refused_and_nothing_saved(client, setup, field, value, message):
    survey, member, url, q = setup
    r = post(client, url, full(q, **{q[field]: value}))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert response() is None
    assert db.session.scalar(select(SurveyInvitation.answered_dt)) is None


def test_required_questions(client):
    survey = factories.survey(("yesno", "multiple", "short"), required=True, title="Obligatoire")
    member = factories.member()
    url = invite_and_links(survey, [member])[member.id]
    r = post(client, url, {})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert html.count("Merci de répondre à cette question.") == 3 * 2  # summary + field
    assert response() is None


def test_html_in_text_answers_is_shown_escaped(client, setup, logged_in):
    survey, member, url, q = setup
    evil = '<script>alert("x")</script><b>gras</b>'
    post(client, url, full(q, **{q["long"]: evil}))
    for page in (client.get(url), logged_in.get(f"/sondages/{survey.id}/resultats")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<b>gras</b>" not in html
        assert "&lt;script&gt;" in html


def test_email_yes_button_preselects_but_never_records(client):
    survey = factories.survey(("yesno", "short"), required=True, title="Oui/Non")
    member = factories.member()
    url = invite_and_links(survey, [member])[member.id]
    html = client.get(url + "?reponse=oui").get_data(as_text=True)
    assert 'value="oui" checked' in html and "présélectionnée" in html
    client.head(url + "?reponse=non")
    assert response() is None
    assert db.session.scalar(select(SurveyInvitation.answered_dt)) is None


def test_bad_links_reveal_nothing(client, setup):
    survey, member, url, q = setup
    other = factories.member(first_name="Zoé")
    event_token = links.issue(other.id, "event", NOW + timedelta(days=9), subject_id=survey.id)
    db.session.commit()
    for bad in ("/s/nimportequoi", url[:-3] + "abc", url + "x", "/s/" + "a" * 500,
                "/s/" + event_token):
        r = client.get(bad)
        assert r.status_code == 404, bad
        html = r.get_data(as_text=True)
        assert "Ce lien ne permet pas de répondre" in html
        assert "Jeanne" not in html and "Zoé" not in html and "Votre avis" not in html
        assert post(client, bad, full(q), token_from=url).status_code == 404
    assert response() is None


def test_expired_or_closed_links(client, setup):
    survey, member, url, q = setup
    clock.set_now(survey.closes_dt)  # links expire when the survey closes
    assert client.get(url).status_code == 404
    clock.set_now(NOW)
    survey.closes_on = NOW.date() - timedelta(days=1)  # closed early by the referent
    db.session.commit()
    assert client.get(url).status_code == 404
    assert "Jeanne" not in client.get(url).get_data(as_text=True)


def test_anonymous_answer_holds_no_member_id_and_logs_no_moment(client):
    survey = factories.survey(("yesno", "short"), anonymous=True, title="Anonyme")
    member = factories.member(first_name="Jeanne", last_name="Unique")
    url = invite_and_links(survey, [member])[member.id]
    q = {question.kind: f"q{question.id}" for question in survey.questions}
    post(client, url, {q["yesno"]: "oui", q["short"]: "ok"})
    post(client, url, {q["yesno"]: "non", q["short"]: "changé"})
    (r,) = db.session.scalars(select(SurveyResponse)).all()
    assert r.member_id is None and r.answered_dt is None
    assert not r.respondent_key.startswith("member") and r.answers[q["yesno"][1:]] == "non"
    assert db.session.scalar(select(func.count()).select_from(Moment)) == 0
    assert db.session.scalar(select(SurveyInvitation.answered_dt)) is not None  # no reminder
    assert "Jeanne" not in client.get(url).get_data(as_text=True)


def test_moving_the_closing_date_moves_the_links_expiry(client, setup):
    survey, member, url, q = setup
    from coopcrm.surveys import services

    data = {"title": survey.title, "closes_on": survey.closes_on + timedelta(days=10),
            "reminder_delay_days": 7, "reminder_max": 1}
    services.update_survey(survey, data)
    db.session.commit()
    clock.set_now(NOW + timedelta(days=35))  # after the first closing date
    assert client.get(url).status_code == 200


def test_anonymous_answered_through_another_link(client):
    from coopcrm.scheduler.runner import run_job

    survey = factories.survey(("yesno",), anonymous=True, reminder_delay_days=1)
    member = factories.member()
    first = invite_and_links(survey, [member])[member.id]
    member_id, field = member.id, f"q{survey.questions[0].id}"
    run_job("surveys.reminders", NOW + timedelta(days=2))
    from tests.factories.surveys import links_of

    reminder = links_of(None, "survey_reminder")[member_id]
    assert post(client, reminder, {field: "oui"}).status_code == 303
    assert "Vous avez déjà répondu" in client.get(first).get_data(as_text=True)
    assert post(client, first, {field: "non"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
