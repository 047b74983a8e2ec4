"""The AG timeline: dates, late convocation refused, steps run once, consent frozen at D-35."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.events import services, timeline
from coopcrm.events.models import Event, EventStep, Invitation
from coopcrm.extensions import db
from coopcrm.links.models import MemberToken
from coopcrm.scheduler.runner import run_job
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.instants import at

AG_DAY = date(2027, 6, 17)


def _outbox(prefix: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.idempotency_key.like(prefix + "%")).order_by(OutboxMessage.id)))


def test_timeline_dates_from_the_ag_date(staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, AG_DAY)
    steps = {p.step: p.day for p in timeline.plan(event)}
    assert steps == {
        "consent_freeze": date(2027, 5, 13),  # D-35
        "save_the_date": date(2027, 5, 18),  # D-30
        "convocation": date(2027, 6, 2),  # D-15, the default: the latest legal day
        "reminder": date(2027, 6, 10),  # D-7
        "thanks": date(2027, 6, 18),  # the day after
    }
    assert timeline.plan(event)[0].due_dt == at(date(2027, 5, 13), 9, 0)


def test_second_convocation_allows_ten_days(staff, paris_now):
    paris_now(date(2027, 6, 1))
    event = factories.event(staff, AG_DAY, convocation_number=2)
    assert event.send_on == date(2027, 6, 7)


def test_late_convocation_is_refused_in_french(staff, paris_now):
    paris_now(date(2027, 6, 5))  # 12 days before: too late for a first convocation
    with pytest.raises(ValidationFailed) as exc:
        factories.event(staff, AG_DAY)
    assert "Trop tard pour convoquer" in exc.value.errors["starts_dt"]
    assert "20/06/2027" in exc.value.errors["starts_dt"]  # the earliest possible AG date
    # ...a second convocation (10 days) still fits
    assert factories.event(staff, AG_DAY, convocation_number=2).send_on == date(2027, 6, 7)


def test_convocation_day_after_the_deadline_is_refused(staff, paris_now):
    paris_now(date(2027, 4, 1))
    with pytest.raises(ValidationFailed) as exc:
        factories.event(staff, AG_DAY, send_on=date(2027, 6, 5))
    assert exc.value.errors["send_on"] == ("Convocation trop tardive : elle doit partir au moins "
                                           "15 jours avant l'AG, soit au plus tard le 02/06/2027.")


def test_any_event_needs_seven_days_notice(staff, paris_now):
    paris_now(date(2027, 5, 1))
    with pytest.raises(ValidationFailed) as exc:
        factories.event(staff, date(2027, 5, 6), kind="atelier", title="Atelier")
    assert "au moins 7 jours" in exc.value.errors["starts_dt"]
    factories.event(staff, date(2027, 5, 8), kind="atelier", title="Atelier")


def _consent(member, granted: bool, when):
    factories.consent(member, "econvocation", granted, when)


def test_econvocation_consent_is_frozen_at_d35(staff, paris_now):
    paris_now(date(2027, 1, 10))
    early = factories.coop_member(last_name="Avant")  # consented long before: email
    late = factories.coop_member(last_name="Apres")  # consented after D-35: letter
    withdrew = factories.coop_member(last_name="Retrait")  # withdrew after D-35: still email
    factories.coop_member(last_name="Jamais", email=None)  # no email at all: letter
    _consent(early, True, at(date(2027, 2, 1)))
    _consent(withdrew, True, at(date(2027, 2, 1)))
    event = factories.event(staff, AG_DAY)
    eid = event.id
    _consent(late, True, at(date(2027, 5, 20)))
    _consent(withdrew, False, at(date(2027, 5, 20)))

    emails = sorted([early.email, withdrew.email])
    # The job only runs after both late changes: the history decides, not today's columns.
    clock.set_now(at(date(2027, 6, 2), 9, 5))
    run_job("events.timeline", clock.now())
    db.session.expire_all()
    channels = {i.member.last_name: (i.econvocation, i.channel) for i in db.session.scalars(
        select(Invitation).where(Invitation.event_id == eid))}
    assert channels == {"Avant": (True, "email"), "Apres": (False, "courrier"),
                        "Retrait": (True, "email"), "Jamais": (False, "courrier")}
    convocations = _outbox(f"event:{eid}:convocation:")
    assert sorted(m.to_address for m in convocations) == emails
    assert all("/e/" in m.context["rsvp_url"] for m in convocations)


def test_steps_run_once_even_twice_and_late(staff, paris_now):
    paris_now(date(2027, 4, 1))
    a = factories.coop_member()
    _consent(a, True, at(date(2027, 1, 5)))
    event = factories.event(staff, AG_DAY)
    eid = event.id
    # Down for weeks: the first run is at D-10, after the save-the-date day and the convocation day.
    late = at(date(2027, 6, 7), 9, 30)
    run_job("events.timeline", late)
    run_job("events.timeline", late + timedelta(minutes=15))
    steps = {s.step: s for s in db.session.scalars(select(EventStep))}
    assert set(steps) == {"consent_freeze", "save_the_date", "convocation"}
    # A save-the-date after the convocation would be noise.
    assert steps["save_the_date"].outcome == "skipped"
    assert steps["convocation"].outcome == "late"  # sent, but flagged as past the legal delay
    assert "hors délai" in steps["convocation"].note
    assert len(_outbox(f"event:{eid}:convocation:")) == 1
    assert _outbox(f"event:{eid}:save-the-date:") == []

    run_job("events.timeline", at(date(2027, 6, 10), 9, 1))
    run_job("events.timeline", at(date(2027, 6, 10), 9, 16))
    assert len(_outbox(f"event:{eid}:reminder:")) == 1
    # Each email with a link has its own token, bound to the member and this event.
    assert db.session.scalar(select(func.count()).select_from(MemberToken).where(
        MemberToken.purpose == "event", MemberToken.subject_id == eid)) == 2


def test_save_the_date_on_its_day(staff, paris_now):
    paris_now(date(2027, 4, 1))
    factories.coop_member()
    factories.coop_member(status="prospect")  # not a coopérateur: not called to the AG
    event = factories.event(staff, AG_DAY)
    eid = event.id
    run_job("events.timeline", at(date(2027, 5, 18), 8, 59))
    assert _outbox(f"event:{eid}:save-the-date:") == []
    run_job("events.timeline", at(date(2027, 5, 18), 9, 0))
    [msg] = _outbox(f"event:{eid}:save-the-date:")
    assert msg.template == "event_save_the_date"


def test_workshop_invitations_and_cancel(staff, paris_now):
    paris_now(date(2027, 4, 1), 8)
    factories.coop_member()
    event = factories.event(staff, date(2027, 4, 20), kind="atelier", title="Atelier jardinage")
    eid = event.id
    assert event.send_on == date(2027, 4, 1)
    run_job("events.timeline", at(date(2027, 4, 1), 9, 0))
    [msg] = _outbox(f"event:{eid}:invitation:")
    assert msg.template == "event_invitation" and "Atelier jardinage" in msg.subject
    services.cancel(db.session.get(Event, eid))
    db.session.commit()
    run_job("events.timeline", at(date(2027, 4, 18), 9, 0))
    assert _outbox(f"event:{eid}:reminder:") == []
