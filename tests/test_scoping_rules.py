"""Shared objects belong to an entity or to the group (issue 12, finding 6): who may give
an object to whom, whom an entity's object reaches, what the group's settings allow.

The route walk (tests/test_scoping_walk.py) checks every page; these check the rules
behind it, one by one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.cycle import due
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.cycle.schedule import send_dt
from coopcrm.errors import ValidationFailed
from coopcrm.events import services as events
from coopcrm.events.models import Event, Invitation
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services as segments
from coopcrm.segments.models import Segment
from coopcrm.surveys import services as surveys
from coopcrm.surveys.models import Survey, SurveyInvitation
from tests import factories
from tests.helpers import login, post


@pytest.fixture
def two():
    """The walker's entity, another one, a member of each, and a one-entity referent."""
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    ours = factories.member(mine, last_name="Durand", status="cooperateur", share_count=1,
                            newsletter_consent=True, reservation_signed_on=date(2020, 1, 1))
    theirs = factories.member(other, last_name="Zorglub", status="cooperateur", share_count=1,
                              newsletter_consent=True, reservation_signed_on=date(2020, 1, 1))
    referent = factories.user(entities=[mine])
    admin = factories.user(role="admin")
    return mine, other, ours, theirs, referent, admin


def test_a_one_entity_referent_gives_objects_to_their_entity_only(two):
    mine, other, _ours, _theirs, referent, admin = two
    assert scoping.owner_choices(referent) == [(mine.id, f"GHT — {mine.name}")]
    assert scoping.default_owner(referent) == mine.id
    for refused in (None, other.id, -1):
        with pytest.raises(ValidationFailed) as raised:
            scoping.checked_owner(referent, refused)
        assert raised.value.errors == {"entity_id": "Choisissez une de vos entités."}
    assert [value for value, _ in scoping.owner_choices(admin)] == [None, mine.id, other.id]
    assert segments.create("Les miens", MemberFilter(), referent).entity_id == mine.id
    assert segments.create("Du groupe", MemberFilter(), admin).entity_id is None


@pytest.mark.parametrize("url, data", [
    ("/segments/nouveau", {"name": "Segment volé"}),
    ("/sondages/nouveau", {"title": "Sondage volé", "reminder_delay_days": "7",
                           "reminder_max": "1"}),
])
def test_the_forms_refuse_an_owner_that_is_not_the_users(client, two, url, data):
    mine, other, _ours, _theirs, referent, _admin = two
    login(client, referent)
    for owner in ("", str(other.id)):
        resp = post(client, url, {**data, "entity_id": owner})
        assert resp.status_code == 422, owner
        assert "Choisissez une de vos entités." in resp.get_data(as_text=True)
    assert db.session.scalar(select(Segment.id)) is None
    assert db.session.scalar(select(Survey.id)) is None
    resp = post(client, url, {**data, "entity_id": str(mine.id)})
    assert resp.status_code == 302


def test_an_event_refuses_another_entitys_segment_and_survey(two):
    mine, other, _ours, _theirs, referent, admin = two
    theirs = segments.create("Chez eux", MemberFilter(), admin, other.id)
    survey = surveys.create_survey({"title": "Leur avis", "entity_id": other.id}, admin)
    start = clock.now() + timedelta(days=40)
    data = events.EventData(kind="atelier", title="Atelier", starts_dt=start,
                            ends_dt=start + timedelta(hours=1), entity_id=mine.id,
                            segment_id=theirs.id, feedback_survey_id=survey.id)
    with pytest.raises(ValidationFailed) as raised:
        events.save(data, referent)
    assert set(raised.value.errors) == {"segment_id", "feedback_survey_id"}


def test_an_entitys_event_calls_that_entitys_members_only(two):
    mine, _other, ours, _theirs, _referent, admin = two
    start = clock.now() + timedelta(days=60)
    ag = events.save(events.EventData(kind="ag_ordinaire", title="AG GHT", starts_dt=start,
                                      ends_dt=start + timedelta(hours=2), entity_id=mine.id),
                     admin)
    assert events.ensure_invitations(ag) == 1
    assert list(db.session.scalars(select(Invitation.member_id))) == [ours.id]


def test_an_entitys_segment_and_survey_reach_that_entitys_members_only(two):
    mine, _other, ours, theirs, _referent, admin = two
    segment = segments.create("Tous ceux de GHT", MemberFilter(), admin, mine.id)
    assert list(db.session.scalars(segments.member_ids(segment, admin))) == [ours.id]
    survey = surveys.create_survey({"title": "Avis GHT", "entity_id": mine.id}, admin)
    surveys.add_question(survey, {"kind": "yesno", "label": "Content ?"})
    assert surveys.invite(survey, [ours, theirs], key_prefix="t") == 1
    assert list(db.session.scalars(select(SurveyInvitation.member_id))) == [ours.id]


def test_an_entitys_edition_is_due_to_that_entitys_members_only(two):
    mine, _other, ours, _theirs, _referent, _admin = two
    issue = NewsletterIssue(number=1, theme="T", send_month=1, title="N°1")
    db.session.add(issue)
    db.session.flush()
    group = Edition(issue_id=issue.id, year=2030, send_dt=send_dt(issue, 2030), title="G")
    own = Edition(issue_id=issue.id, year=2031, send_dt=send_dt(issue, 2031), title="E",
                  entity_id=mine.id)
    db.session.add_all([group, own])
    db.session.commit()
    assert due.count_due(group) == 2
    assert list(db.session.scalars(due.due_query(own))) == [ours.id]


def test_a_copy_of_the_groups_model_belongs_to_the_referents_entity(client, two):
    mine, _other, _ours, _theirs, referent, _admin = two
    model = surveys.seed_templates()[0]
    db.session.commit()
    login(client, referent)
    resp = post(client, f"/sondages/{model.id}/dupliquer", token_from="/sondages")
    assert resp.status_code == 302
    copy = db.session.scalars(select(Survey).where(Survey.is_template.is_(False))).one()
    assert copy.entity_id == mine.id
    assert client.get(f"/sondages/{copy.id}/modifier").status_code == 200


def test_the_groups_settings_are_not_a_one_entity_referents(client, two):
    *_, referent, _admin = two
    login(client, referent)
    resp = post(client, "/visites-de-courtoisie/objectif", {"target": "3"},
                token_from="/visites-de-courtoisie")
    assert resp.status_code == 403
    assert "Changer l'objectif mensuel" not in client.get(
        "/visites-de-courtoisie").get_data(as_text=True)
    resp = post(client, "/sondages/modeles/installer", token_from="/sondages")
    assert resp.status_code == 403 and db.session.scalar(select(Survey.id)) is None


def test_a_referent_renames_and_deletes_their_entitys_segment(client, two):
    mine, *_rest, referent, _admin = two
    segment = segments.create("Les nôtres", MemberFilter(), referent)
    db.session.commit()
    login(client, referent)
    resp = post(client, f"/segments/{segment.id}/renommer", {"name": "Les nôtres 2"})
    assert resp.status_code == 302
    resp = post(client, f"/segments/{segment.id}/supprimer", token_from="/segments")
    assert resp.status_code == 302 and db.session.scalar(select(Segment.id)) is None


def test_a_referent_edits_and_cancels_their_entitys_event(client, two):
    mine, _other, _ours, _theirs, referent, _admin = two
    start = clock.now() + timedelta(days=40)
    event = events.save(events.EventData(kind="atelier", title="Atelier GHT", starts_dt=start,
                                         ends_dt=start + timedelta(hours=1), entity_id=mine.id),
                        referent)
    db.session.commit()
    login(client, referent)
    assert client.get(f"/evenements/{event.id}/modifier").status_code == 200
    resp = post(client, f"/evenements/{event.id}/annuler")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).cancelled_dt is not None


def test_the_members_page_lists_only_events_the_user_may_see(client, two):
    mine, other, _ours, _theirs, referent, admin = two
    both = factories.member(mine, last_name="Lambert")
    both.entity_links.append(type(both.entity_links[0])(entity=other, reference="M-9"))
    start = clock.now() + timedelta(days=40)
    theirs = events.save(events.EventData(kind="atelier", title="Atelier Quetzalcoatl",
                                          starts_dt=start, ends_dt=start + timedelta(hours=1),
                                          entity_id=other.id), admin)
    db.session.add(Invitation(event_id=theirs.id, member_id=both.id))
    db.session.commit()
    login(client, referent)
    html = client.get(f"/membres/{both.id}").get_data(as_text=True)
    assert "Lambert" in html and "Quetzalcoatl" not in html


def test_changing_an_object_needs_the_role_too(two):
    mine, *_rest, admin = two
    reader = factories.user(role="lecteur", entities=[mine])
    segment = segments.create("GHT", MemberFilter(), admin, mine.id)
    assert scoping.is_visible(reader, segment) and not scoping.may_change(reader, segment)

