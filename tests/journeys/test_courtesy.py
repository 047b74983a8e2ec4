"""The courtesy-visit planning page: who needs a visit, scoped; planning in bulk; the target."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import courtesy, services
from coopcrm.journeys.models import Moment, MomentType
from tests import factories
from tests.helpers import PASSWORD, login, post

TODAY = date(2026, 3, 10)
URL = "/visites-de-courtoisie"


pytestmark = pytest.mark.clock(datetime(2026, 3, 10, 9, 0))


@pytest.fixture
def world(types):
    """Two entities; locatif members in every situation the list must sort out."""
    north, south = factories.entity("NORD"), factories.entity("SUD")
    res_n = factories.residence(north, name="Les Annonciades")
    res_s = factories.residence(south, name="Le Clos")

    def tenant(entity, name, **kw):
        kw.setdefault("track", "locatif")
        kw.setdefault("residence", res_n if entity is north else res_s)
        return factories.member(entity, last_name=name, first_name="Test", **kw)

    w = {
        "old": tenant(north, "Ancien", moved_in_on=date(2015, 5, 1)),
        "recent": tenant(north, "Recent", moved_in_on=date(2026, 1, 15)),
        "by_moment": tenant(south, "ParMoment"),
        "sud": tenant(south, "Sud", moved_in_on=date(2020, 1, 1)),
        "visited": tenant(north, "Visite", moved_in_on=date(2019, 1, 1)),
        "planned": tenant(north, "Prevu", moved_in_on=date(2018, 1, 1)),
        "not_in": tenant(north, "PasArrive"),
        "buyer": tenant(north, "Accedant", track="accession", moved_in_on=date(2017, 1, 1)),
        "gone": tenant(north, "Anonyme", moved_in_on=date(2016, 1, 1)),
        "left": tenant(north, "Parti", status="ancien", moved_in_on=date(2014, 1, 1)),
        "north": north, "south": south, "res_n": res_n, "res_s": res_s,
    }
    services.record(w["by_moment"], types["arrivee_lieux"], status="done",
                    occurs_on=date(2017, 6, 1))
    services.record(w["visited"], types["visite_courtoisie"], status="done",
                    occurs_on=date(2019, 3, 1))
    services.record(w["planned"], types["visite_courtoisie"], status="planned",
                    occurs_on=date(2026, 3, 20))
    w["gone"].anonymised_dt = clock.now()
    db.session.commit()
    return w


def _names(page):
    return [row.member.last_name for row in page.items]


def _visits(member_id=None):
    db.session.expire_all()
    query = (select(Moment).join(Moment.type).where(MomentType.code == "visite_courtoisie")
             .order_by(Moment.id))
    if member_id is not None:
        query = query.where(Moment.member_id == member_id)
    return db.session.scalars(query).all()


def test_who_needs_a_visit_oldest_move_in_first(world, admin):
    page = courtesy.to_visit(admin)
    assert _names(page) == ["Ancien", "ParMoment", "Sud", "Recent"]
    assert [row.moved_in_on for row in page.items] == [
        date(2015, 5, 1), date(2017, 6, 1), date(2020, 1, 1), date(2026, 1, 15)]
    assert _names(courtesy.to_visit(admin, residence_id=world["res_s"].id)) == [
        "ParMoment", "Sud"]
    assert _names(courtesy.to_visit(admin, entity_id=world["north"].id)) == ["Ancien", "Recent"]
    second = courtesy.to_visit(admin, page=2, per_page=3)
    assert (second.total, _names(second)) == (4, ["Recent"])


def test_a_scoped_referent_sees_only_their_entities(world):
    referent = factories.user(entities=[world["south"]])
    assert _names(courtesy.to_visit(referent)) == ["ParMoment", "Sud"]
    # Asking for another entity's members shows nothing, never an error that they exist.
    assert _names(courtesy.to_visit(referent, entity_id=world["north"].id)) == []


def test_plan_visits_all_or_nothing(world, referent):
    ids = [world["old"].id, world["recent"].id]
    planned = courtesy.plan_visits(ids, date(2026, 3, 24), referent, referent)
    db.session.commit()
    assert [(m.member_id, m.status, m.occurs_on, m.owner_id, m.channel) for m in planned] == [
        (i, "planned", date(2026, 3, 24), referent.id, "visite") for i in ids]
    # One member already has a visit: nothing is planned for the others either.
    with pytest.raises(ValidationFailed) as failed:
        courtesy.plan_visits([world["sud"].id, world["old"].id], date(2026, 3, 25), None,
                             referent)
    db.session.rollback()
    assert "Aucune visite planifiée" in failed.value.errors["member_ids"]
    assert "Ancien" in failed.value.errors["member_ids"]
    assert _visits(world["sud"].id) == []


def test_month_progress(world, referent, types):
    done, planned, target = courtesy.month_progress(TODAY, referent)
    assert (done, planned, target) == (0, 1, 75)
    services.record(world["old"], types["visite_courtoisie"], status="done",
                    occurs_on=date(2026, 3, 2))
    services.record(world["sud"], types["visite_courtoisie"], status="planned",
                    occurs_on=date(2026, 4, 2))  # next month
    courtesy.set_monthly_target(80)
    db.session.commit()
    assert courtesy.month_progress(TODAY, referent) == (1, 1, 80)
    south_only = factories.user(entities=[world["south"]])
    assert courtesy.month_progress(TODAY, south_only) == (0, 0, 80)
    assert courtesy.month_progress(date(2026, 4, 30), referent) == (0, 1, 80)
    with pytest.raises(ValidationFailed):
        courtesy.set_monthly_target(0)


def test_the_page_lists_and_plans(world, client, referent):
    login(client, referent)
    html = client.get(URL).get_data(as_text=True)
    assert "<title>Visites de courtoisie · CoopCRM</title>" in html  # no script in the title
    assert "Locataires à visiter (4)" in html
    assert "Ancien" in html and "Visite" not in html.split("Locataires à visiter")[1]
    assert "<strong>0</strong> réalisée(s) et <strong>1</strong> prévue(s)" in html
    assert "Prevu" in html  # this month's planned visits
    response = post(client, f"{URL}/planifier", {
        "member_ids": [world["old"].id, world["sud"].id], "occurs_on": "24/03/2026",
        "owner_id": referent.id}, token_from=URL, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "2 visite(s) de courtoisie planifiée(s) le 24/03/2026." in html
    assert "Locataires à visiter (2)" in html
    assert "<strong>3</strong> prévue(s)" in html
    assert [v.member_id for v in _visits()][-2:] == [world["old"].id, world["sud"].id]


@pytest.mark.parametrize("data, message", [
    ({"occurs_on": "24/03/2026"}, "Cochez au moins un coopérateur."),
    ({"member_ids": "OLD"}, "Indiquez la date."),
    ({"member_ids": "OLD", "occurs_on": "01/03/2026"}, "aujourd&#39;hui ou plus tard"),
    ({"member_ids": "OLD", "occurs_on": "32/13/2026"}, "class=\"error\""),
    ({"member_ids": "OLD", "occurs_on": "24/03/2026", "owner_id": "999"},
     "Choisissez la personne"),
])
def test_bad_input_writes_nothing(world, logged_in, data, message):
    data = dict(data)
    if data.get("member_ids") == "OLD":
        data["member_ids"] = [world["old"].id, world["recent"].id]
    before = len(_visits())
    response = post(logged_in, f"{URL}/planifier", data, token_from=URL)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Aucune visite n&#39;a été planifiée" in html
    assert len(_visits()) == before


def test_members_outside_the_scope_cannot_be_planned(world, client):
    referent = factories.user(entities=[world["south"]], password=PASSWORD)
    login(client, referent)
    response = post(client, f"{URL}/planifier", {
        "member_ids": [world["sud"].id, world["old"].id], "occurs_on": "24/03/2026"},
        token_from=URL)
    assert response.status_code == 422
    assert "hors de vos entités" in response.get_data(as_text=True)
    assert _visits(world["sud"].id) == []


def test_a_reader_sees_but_cannot_plan(world, client):
    reader = factories.user(role="lecteur", all_entities=True, password=PASSWORD)
    login(client, reader)
    html = client.get(URL).get_data(as_text=True)
    assert "Ancien" in html and "Planifier" not in html
    token_page = client.get(URL).get_data(as_text=True)
    assert 'type="checkbox" name="member_ids"' not in token_page
    response = post(client, f"{URL}/planifier", {"member_ids": [world["old"].id],
                                                 "occurs_on": "24/03/2026"}, token_from=URL)
    assert response.status_code == 403


def test_change_the_monthly_target(world, logged_in):
    html = post(logged_in, f"{URL}/objectif", {"target": "80"}, token_from=URL,
                follow_redirects=True).get_data(as_text=True)
    assert "Objectif mensuel : 80 visites." in html and "objectif de <strong>80</strong>" in html
    html = post(logged_in, f"{URL}/objectif", {"target": "beaucoup"}, token_from=URL,
                follow_redirects=True).get_data(as_text=True)
    assert "Indiquez un objectif entre 1 et" in html
    assert courtesy.monthly_target() == 80
