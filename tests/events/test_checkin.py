"""Check-in desk rules, quorum from the database, attendance sheet, moments, participation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.events import checkin, services
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from tests import factories
from tests.helpers import post
from tests.instants import at

AG_DAY = date(2027, 6, 17)


@pytest.fixture
def ag(staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, AG_DAY)
    return event


def _invite(event, *members):
    services.ensure_invitations(event)
    db.session.commit()
    return members


def test_present_and_represented_exclude_each_other(ag):
    a, b, c = _invite(ag, factories.coop_member(), factories.coop_member(), factories.coop_member())
    checkin.mark_present(ag, a.id, "in_person")
    with pytest.raises(ValidationFailed, match="à la fois présent et représenté"):
        checkin.mark_represented(ag, a.id, None, chair=True)
    checkin.mark_represented(ag, b.id, a.id)
    with pytest.raises(ValidationFailed, match="représenté"):
        checkin.mark_present(ag, b.id, "remote")
    with pytest.raises(ValidationFailed, match="soi-même"):
        checkin.mark_represented(ag, c.id, c.id)


def test_a_holder_must_be_present_and_holds_at_most_two(ag):
    holder, x, y, z, w = _invite(ag, *(factories.coop_member() for _ in range(5)))
    with pytest.raises(ValidationFailed, match="doit d'abord être marqué"):
        checkin.mark_represented(ag, x.id, holder.id)
    checkin.mark_present(ag, holder.id, "remote")
    checkin.mark_represented(ag, x.id, holder.id)
    checkin.mark_represented(ag, y.id, holder.id)
    with pytest.raises(ValidationFailed, match="porte déjà 2 pouvoir"):
        checkin.mark_represented(ag, z.id, holder.id)
    checkin.mark_represented(ag, z.id, None, chair=True)  # the chair has no limit
    checkin.mark_represented(ag, w.id, None, chair=True)
    # Undo: a holder's presence goes only after their proxies.
    with pytest.raises(ValidationFailed, match="porte des pouvoirs"):
        checkin.undo(ag, holder.id)
    checkin.undo(ag, x.id)
    checkin.undo(ag, y.id)
    checkin.undo(ag, holder.id)
    assert checkin.present_members(ag) == []


def test_limit_is_configurable(ag, app):
    holder, x, y, z = _invite(ag, *(factories.coop_member() for _ in range(4)))
    checkin.mark_present(ag, holder.id, "in_person")
    app.config["EVENTS_PROXY_LIMIT"] = 3
    try:
        for m in (x, y, z):
            checkin.mark_represented(ag, m.id, holder.id)
    finally:
        app.config.pop("EVENTS_PROXY_LIMIT")
    assert checkin.held_count(ag, holder.id) == 3


def test_only_invited_members_check_in(ag):
    _invite(ag)
    outsider = factories.coop_member(status="prospect")
    with pytest.raises(ValidationFailed, match="pas sur la liste"):
        checkin.mark_present(ag, outsider.id, "in_person")


def test_quorum_from_attendance_with_college_weights(ag):
    tenants = factories.college(name="Locataires", vote_weight=Decimal("1"), position=1)
    staff_c = factories.college(name="Salariés", vote_weight=Decimal("3"), position=2)
    t = [factories.coop_member(college_id=tenants.id) for _ in range(8)]
    s = [factories.coop_member(college_id=staff_c.id) for _ in range(4)]
    _invite(ag)
    checkin.mark_present(ag, s[0].id, "in_person")
    checkin.mark_represented(ag, t[0].id, s[0].id)
    result = checkin.quorum_for(ag)
    # votes: 8×1 + 4×3 = 20; needed one fifth = 4; in: 3 (s0) + 1 (t0) = 4
    assert (result.votes, result.needed, result.votes_in) == (20, 4, 4)
    assert result.reached
    by_name = {c.name: c for c in result.colleges}
    assert (by_name["Salariés"].present, by_name["Locataires"].represented) == (1, 1)


def test_sheet_moments_and_participation(ag, staff):
    col = factories.college(name="Salariés")
    a = factories.coop_member(last_name="Alpha", college_id=col.id, share_count=3,
                              address="1 rue A", postal_code="69001", city="Lyon")
    b = factories.coop_member(last_name="Bravo", college_id=col.id)
    factories.coop_member(last_name="Charlie")
    _invite(ag)
    checkin.mark_present(ag, a.id, "in_person")
    checkin.mark_represented(ag, b.id, a.id)
    db.session.commit()
    rows = {r["member"].last_name: r for r in checkin.sheet(ag)}
    assert rows["Alpha"]["status"] == "Présent sur place" and rows["Alpha"]["shares"] == 3
    assert rows["Alpha"]["address"] == "1 rue A, 69001 Lyon"
    assert rows["Bravo"]["status"].startswith("Représenté par")
    assert rows["Charlie"]["status"] == "Absent"

    # The day after: each attendance becomes a moment on the member's timeline, once.
    db.session.add(MomentType(code="ag_coop", label="Assemblée générale de la coopérative",
                              track="both", repeatable=True))
    db.session.commit()
    clock.set_now(at(date(2027, 6, 18), 10))
    assert checkin.record_moments(ag) == 2
    assert checkin.record_moments(ag) == 0
    moments = list(db.session.scalars(select(Moment).order_by(Moment.member_id)))
    assert [m.member_id for m in moments] == [a.id, b.id]
    assert moments[0].type.code == "ag_coop" and moments[0].status == "done"
    assert moments[0].occurs_on == AG_DAY and moments[0].channel == "evenement"
    with pytest.raises(ValidationFailed, match="close"):
        checkin.undo(ag, b.id)

    by_college = {c["name"]: c for c in checkin.participation_by_college(ag)}
    assert by_college["Salariés"] == {"name": "Salariés", "members": 2, "present": 1,
                                      "represented": 1}
    [year] = checkin.participation_by_year()
    assert year == {"year": 2027, "events": 1, "called": 3, "present": 1, "represented": 1}


def test_workshop_moments_use_our_own_type(staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, date(2027, 4, 20), kind="atelier", title="Atelier",
                            new_series="Jardinage 2027")
    m = factories.coop_member()
    _invite(event)
    checkin.mark_present(event, m.id, "in_person")
    with pytest.raises(ValidationFailed, match="que les AG"):
        checkin.mark_represented(event, m.id, None, chair=True)
    clock.set_now(at(date(2027, 4, 21), 10))
    assert checkin.record_moments(event) == 1
    moment = db.session.scalar(select(Moment))
    assert moment.type.code == "participation_evenement"
    sessions, members = checkin.series_participation(event.series)
    assert sessions[0]["present"] == 1 and members[0]["sessions"] == 1


def test_desk_pages_for_the_referent(client, staff, ag):
    from tests.helpers import login

    staff.set_password("correct horse battery")
    db.session.commit()
    login(client, staff)
    a = factories.coop_member(first_name="Anne", last_name="Dupont")
    b = factories.coop_member(first_name="Bob", last_name="Martin")
    _invite(ag)
    url = f"/evenements/{ag.id}/accueil"
    assert "Anne" in client.get(url + "?q=dupont").get_data(as_text=True)
    post(client, f"{url}/{a.id}", {"action": "in_person", "q": "dupont"}, token_from=url)
    page = post(client, f"{url}/{b.id}", {"action": "proxy", "holder": str(a.id)},
                token_from=url, follow_redirects=True)
    assert "pouvoir enregistré" in page.get_data(as_text=True)
    page = post(client, f"{url}/{a.id}", {"action": "undo"}, token_from=url,
                follow_redirects=True)
    assert "porte des pouvoirs" in page.get_data(as_text=True)
    assert "Quorum" in client.get(f"/evenements/{ag.id}/quorum").get_data(as_text=True)
    sheet = client.get(f"/evenements/{ag.id}/feuille-de-presence?format=csv")
    text = sheet.get_data(as_text=True)
    assert sheet.mimetype == "text/csv" and "Signature" in text and "Dupont;Anne" in text
    assert "Feuille de présence" in client.get(f"/evenements/{ag.id}/feuille-de-presence") \
        .get_data(as_text=True)
