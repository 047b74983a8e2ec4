"""After the event: thanks in two wordings, with the feedback survey link when there is one."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coopcrm.events import checkin, services
from coopcrm.events.models import Event
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from coopcrm.sending import rendering
from coopcrm.sending.models import OutboxMessage, SharedContext
from coopcrm.sending.services import system_context
from tests import factories
from tests.instants import at

AG_DAY = date(2027, 6, 17)


def _ag_with_one_present(staff, paris_now, **kw) -> tuple[int, int, int]:
    paris_now(date(2027, 4, 1))
    here = factories.coop_member(last_name="Present")
    away = factories.coop_member(last_name="Absent")
    event = factories.event(staff, AG_DAY, summary="Les comptes ont été approuvés.", **kw)
    services.ensure_invitations(event)
    checkin.mark_present(event, here.id, "in_person")
    db.session.commit()
    return event.id, here.id, away.id


def _thanks(eid) -> dict[str, OutboxMessage]:
    return {m.template: m for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(f"event:{eid}:thanks-%")))}


def _text(msg: OutboxMessage) -> str:
    shared = db.session.get(SharedContext, msg.shared_context_id) if msg.shared_context_id else None
    context = {**system_context(), **(shared.data if shared else {}), **msg.context}
    return rendering.render(rendering.get(msg.template), context).text


def test_thanks_without_survey_carry_no_link(staff, paris_now):
    eid, here, away = _ag_with_one_present(staff, paris_now)
    run_job("events.timeline", at(date(2027, 6, 18), 9, 0))
    run_job("events.timeline", at(date(2027, 6, 18), 9, 30))
    sent = _thanks(eid)
    assert set(sent) == {"event_thanks_present", "event_thanks_absent"}
    assert sent["event_thanks_present"].member_id == here
    assert sent["event_thanks_absent"].member_id == away
    present, absent = _text(sent["event_thanks_present"]), _text(sent["event_thanks_absent"])
    assert "Merci d'avoir participé" in present and "Donner mon avis" not in present
    assert "Les comptes ont été approuvés." in absent and "Donner mon avis" not in absent


def test_thanks_with_feedback_survey(staff, paris_now):
    from coopcrm.surveys.models import Survey

    survey = Survey(title="Votre avis sur l'AG")
    db.session.add(survey)
    db.session.commit()
    eid, here, away = _ag_with_one_present(staff, paris_now, feedback_survey_id=survey.id)
    run_job("events.timeline", at(date(2027, 6, 18), 9, 0))
    sent = _thanks(eid)
    assert sent["event_thanks_present"].idempotency_key == \
        f"event:{eid}:thanks-present:member:{here}"
    for msg in sent.values():
        assert "/s/" in msg.context["feedback_url"]
        assert "Donner mon avis" in _text(msg)


def test_thanks_too_late_are_skipped_but_moments_are_written(staff, paris_now):
    eid, here, _away = _ag_with_one_present(staff, paris_now)
    run_job("events.timeline", at(date(2027, 7, 20), 9, 0))
    assert _thanks(eid) == {}
    event = db.session.get(Event, eid)
    assert {s.step: s.outcome for s in event.steps}["thanks"] == "skipped"
    from coopcrm.journeys.models import Moment

    assert [m.member_id for m in db.session.scalars(select(Moment))] == [here]
