"""Each factory of tests/factories makes a valid, saved object of its domain."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.privacy.models import ConsentRecord
from tests import factories
from tests.factories.surveys import NOW


def test_members_entity_links_residences_and_shares():
    first, second = factories.entity("NORD"), factories.entity("SUD")
    m = factories.member(first, "R-1", residence=factories.residence(first))
    link = factories.member_entity(m, second, "S-9")
    assert {(x.entity.code, x.reference) for x in m.entity_links} == {("NORD", "R-1"),
                                                                       ("SUD", "S-9")}
    assert link.member_id == m.id and m.residence.entity is first
    movement = factories.share(m, 2)
    db.session.expire_all()
    assert movement.id and (m.share_count, m.status) == (2, "cooperateur")
    assert factories.coop_member().status == "cooperateur"
    assert factories.college().id and factories.user().id


def test_journeys_moments_and_followups():
    clock.set_now(NOW)
    factories.moment_types()
    tenant = factories.member(factories.entity(), track="locatif")
    # Logged before the rules exist: recording it makes no follow-up of its own.
    moment = factories.moment(tenant, "arrivee_lieux")
    assert moment.id and moment.status == "done" and moment.occurs_on == factories.today()
    rules = factories.followup_rules()
    rule = next(r for r in rules.values() if r.trigger_type.code == "arrivee_lieux")
    due = factories.followup_due(rule, moment)
    assert (due.rule_id, due.member_id, due.status) == (rule.id, tenant.id, "pending")
    assert clock.day_of(due.due_dt) >= moment.occurs_on


def test_cycle_editions_and_receipts():
    issue = factories.issue(2, month=6)
    edition = factories.edition(issue, 2027)
    reader = factories.member(newsletter_consent=True)
    receipt = factories.receipt(edition, reader, outcome="missed")
    assert (receipt.edition_id, receipt.member_id, receipt.outcome) == (edition.id, reader.id,
                                                                       "missed")


def test_cycle_the_three_issues():
    assert {n: i.send_month for n, i in factories.issues().items()} == {1: 1, 2: 6, 3: 9}


def test_segments():
    segment = factories.segment(filters={"track": "locatif"})
    assert segment.id and segment.filters["track"] == "locatif"


def test_surveys_invitations_and_answers():
    clock.set_now(NOW)
    survey = factories.survey(("yesno", "short"))
    member = factories.member()
    invitation = factories.survey_invitation(survey, member)
    assert invitation.id and invitation.channel == "email"
    yesno, short = survey.questions
    response = factories.survey_response(survey, invitation,
                                         {str(yesno.id): "oui", str(short.id): "Très bien"})
    db.session.expire_all()
    assert response.member_id == member.id and response.answers[str(short.id)] == "Très bien"
    assert invitation.answered_dt is not None


def test_events_invitations_answers_and_attendance(paris_now):
    paris_now(date(2027, 4, 1))
    staff = factories.user(role="referent", all_entities=True)
    event = factories.event(staff, date(2027, 6, 17))
    holder, giver, absent, chair_proxy = (factories.coop_member() for _ in range(4))
    coming = factories.rsvp(factories.event_invitation(event, holder), "yes")
    assert coming.response == "yes" and not coming.waitlisted
    assert factories.rsvp(factories.event_invitation(event, absent), "no").response == "no"
    given = factories.proxy(factories.event_invitation(event, giver), chair=True)
    assert given.response == "proxy" and given.proxy_chair
    paris_now(date(2027, 6, 17), 18, 0)
    present = factories.attendance(event, holder)
    represented = factories.attendance(event, giver, holder=holder)
    by_chair = factories.attendance(event, chair_proxy, chair=True)
    assert (present.status, present.mode) == ("present", "in_person")
    assert (represented.status, represented.holder_id) == ("represented", holder.id)
    assert by_chair.holder_chair


def test_outbox_messages():
    member = factories.member()
    msg = factories.outbox_message(member)
    assert msg is not None and msg.id and msg.to_address == member.email
    assert factories.outbox_message(member, key=msg.idempotency_key) is None  # once per key
    survey = factories.outbox_message(member, "survey_invitation")
    assert survey is not None and survey.template == "survey_invitation"


def test_consents(paris_now):
    member = factories.member()
    granted_at = paris_now(date(2027, 1, 10))
    record = factories.consent(member, "econvocation", when=granted_at)
    assert record.granted and record.recorded_dt == granted_at and member.econvocation_consent
    assert factories.consent(member, "econvocation") is None  # nothing changed
    factories.consent(member, "econvocation", granted=False)
    assert [r.granted for r in db.session.scalars(select(ConsentRecord).order_by(
        ConsentRecord.id))] == [True, False]


def test_every_factory_is_there_by_name():
    assert all(callable(getattr(factories, name)) for name in factories.__all__)


def test_inbound_messages():
    m = factories.member()
    row = factories.inbound_message(m.email, subject="Une question")
    assert (row.kind, row.member_id, row.subject) == ("other", m.id, "Une question")
    assert factories.inbound_message().member_id is None
