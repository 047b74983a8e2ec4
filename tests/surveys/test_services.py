"""Building surveys, the ready template, and `invite` (the interface other domains call)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.models import MomentType
from coopcrm.links.models import MemberToken
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services as segments
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import services
from coopcrm.surveys.models import Survey, SurveyInvitation
from tests import factories


def test_invite_queues_one_message_and_one_link_per_member_once():
    survey = factories.survey(("yesno",))
    a, b = factories.member(), factories.member()
    no_email = factories.member(email=None)
    assert services.invite(survey, [a, b, no_email, a], key_prefix="followup:3:moment:17") == 3
    db.session.commit()
    keys = set(db.session.scalars(select(OutboxMessage.idempotency_key)))
    assert keys == {f"followup:3:moment:17:member:{m.id}" for m in (a, b, no_email)}
    tokens = db.session.scalars(select(MemberToken)).all()
    assert {t.member_id for t in tokens} == {a.id, b.id, no_email.id}
    assert all(t.purpose == "survey" and t.subject_id == survey.id for t in tokens)
    assert all(t.expires_dt == survey.closes_dt for t in tokens)
    channels = dict(db.session.execute(select(SurveyInvitation.member_id,
                                              SurveyInvitation.channel)).all())
    assert channels == {a.id: "email", b.id: "email", no_email.id: "courrier"}
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.member_id == a.id))
    assert row.context["survey_url"].startswith("http://127.0.0.1/s/")
    assert row.context["yes_url"].endswith("?reponse=oui")  # first question is yes/no
    assert db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.member_id == no_email.id)) == "suppressed"
    # Again: nobody new.
    assert services.invite(survey, [a, b, no_email], key_prefix="survey:x") == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_invite_with_another_template_and_url_name():
    survey = factories.survey(("long",))
    m = factories.member()
    n = services.invite(survey, [m], key_prefix="event:4:thanks", template="event_thanks_present",
                        extra_context={"event_title": "AG 2027",
                                       "event_start": "2027-06-17T18:30:00+02:00"},
                        url_name="feedback_url")
    db.session.commit()
    assert n == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.template == "event_thanks_present"
    assert row.idempotency_key == f"event:4:thanks:member:{m.id}"
    assert "/s/" in row.context["feedback_url"]
    assert "yes_url" not in row.context  # first question is not yes/no


def test_send_to_segment_invites_the_segment():
    survey = factories.survey(("yesno",))
    referent = factories.user(all_entities=True)
    tenant = factories.member(track="locatif")
    factories.member(track="accession")
    f, _ = MemberFilter.parse({"track": "locatif"})
    segment = segments.create("Locataires", f, referent)
    assert services.send_to_segment(survey, segment, referent) == 1
    db.session.commit()
    assert db.session.scalar(select(SurveyInvitation.member_id)) == tenant.id


def test_a_template_or_an_empty_survey_is_not_sent():
    (template,) = services.seed_templates()
    referent = factories.user(all_entities=True)
    segment = segments.create("Tous", MemberFilter.parse({})[0], referent)
    with pytest.raises(ValidationFailed):
        services.send_to_segment(template, segment, referent)
    with pytest.raises(ValidationFailed):
        services.send_to_segment(factories.survey(()), segment, referent)


def test_builder_validates_reorders_duplicates_and_locks():
    survey = factories.survey(("yesno", "short", "scale"))
    with pytest.raises(ValidationFailed) as exc:
        services.add_question(survey, {"kind": "single", "label": "Choix ?", "choices": "Seul"})
    assert "choices" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.add_question(survey, {"kind": "nope", "label": ""})
    assert set(exc.value.errors) == {"kind", "label"}
    with pytest.raises(ValidationFailed):
        services.create_survey({"title": " ", "reminder_delay_days": 0, "reminder_max": 9})
    last = survey.questions[-1]
    assert services.move_question(last, -1)
    assert [q.kind for q in survey.questions] == ["yesno", "scale", "short"]
    assert not services.move_question(survey.questions[0], -1)
    copy = services.duplicate(survey)
    assert copy.title == "Copie de Votre avis" and copy.closes_on is None
    assert [q.kind for q in copy.questions] == ["yesno", "scale", "short"]
    services.invite(survey, [factories.member()], key_prefix=f"survey:{survey.id}")
    with pytest.raises(ValidationFailed):
        services.add_question(survey, {"kind": "yesno", "label": "Encore ?"})
    with pytest.raises(ValidationFailed):
        services.delete_question(survey.questions[0])
    services.add_question(copy, {"kind": "yesno", "label": "Encore ?"})  # the copy is free


def test_seed_templates_is_idempotent_with_the_seed_wording():
    (first,) = services.seed_templates()
    (again,) = services.seed_templates()
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 1
    assert first.is_template
    assert [(q.kind, q.required) for q in first.questions] == [("yesno", True)] * 3
    assert first.questions[0].label.startswith("Savez-vous que vous êtes coopérateur")
    assert first.questions[2].label.endswith("L'avez-vous déjà fait au moins une fois ?")
    mtype = db.session.scalar(select(MomentType).where(MomentType.code == "reponse_sondage"))
    assert mtype.track == "both" and mtype.repeatable
    services.ensure_moment_type()
    assert db.session.scalar(select(func.count()).select_from(MomentType)) == 1


def test_demo_loader_is_idempotent():
    from coopcrm.surveys.demo import load_demo

    for _ in range(30):
        factories.member(status="cooperateur", commit=False)
    db.session.commit()
    assert "30 invité(s)" in load_demo(invited=30)
    assert "déjà" in load_demo()
    invitations = db.session.scalars(select(SurveyInvitation)).all()
    assert len(invitations) == 30
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "queued")) == 0


def test_a_closed_survey_invites_nobody():
    from datetime import timedelta

    from coopcrm import clock

    survey = factories.survey(("yesno",))
    clock.set_now(survey.closes_dt + timedelta(seconds=1))
    assert services.invite(survey, [factories.member()], key_prefix="x") == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
