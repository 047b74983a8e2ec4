from datetime import date, datetime

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.journeys import services
from coopcrm.journeys.models import Moment
from tests import factories
from tests.helpers import login, post

TODAY = date(2026, 3, 10)


pytestmark = pytest.mark.clock(datetime(2026, 3, 10, 9, 0))


@pytest.fixture
def member():
    return factories.member(factories.entity("MFLA"), "L-1", track="locatif",
                            last_name="Moreau", first_name="Anne")


def _page(client, member):
    return client.get(f"/membres/{member.id}").get_data(as_text=True)


def _moments(member):
    db.session.expire_all()
    return db.session.scalars(select(Moment).where(Moment.member_id == member.id)
                              .order_by(Moment.id)).all()


def test_member_page_shows_the_timeline_and_the_form(logged_in, types, member, referent):
    html = _page(logged_in, member)
    assert 'id="moments"' in html
    assert "Noter un moment" in html and "Visite de courtoisie" in html
    # The select offers the member's track only.
    assert "Signature du bail" in html and "Signature du contrat de réservation" not in html
    assert f'<option selected value="{referent.id}">' in html
    assert 'value="2026-03-10"' in html


def test_log_a_done_moment(logged_in, types, member, referent):
    response = post(logged_in, f"/membres/{member.id}/moments", {
        "type_id": types["premier_contact"].id, "status": "done", "occurs_on": "05/03/2026",
        "channel": "telephone", "owner_id": referent.id, "notes": "Appel de bienvenue",
    }, token_from=f"/membres/{member.id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == f"/membres/{member.id}"
    assert "Moment noté : « Premier contact », réalisé le 05/03/2026." in html
    assert "Appel de bienvenue" in html and "Téléphone" in html
    [moment] = _moments(member)
    assert (moment.status, moment.occurs_on, moment.owner_id) == ("done", date(2026, 3, 5),
                                                                   referent.id)


def test_plan_a_moment_and_errors_in_french(logged_in, types, member):
    url = f"/membres/{member.id}/moments"
    bad = post(logged_in, url, {"type_id": types["visite_courtoisie"].id, "status": "done",
                                "occurs_on": "12/03/2026", "channel": "visite"},
               token_from=f"/membres/{member.id}")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Un moment réalisé ne peut pas être daté dans le futur." in html
    assert "corrigez le formulaire" in html
    garbage = post(logged_in, url, {"type_id": "abc", "status": "planned",
                                    "occurs_on": "32/13/2026", "channel": "pigeon",
                                    "owner_id": "999"},
                   token_from=f"/membres/{member.id}")
    assert garbage.status_code == 422
    assert "pas une date valide" in garbage.get_data(as_text=True)
    assert _moments(member) == []

    ok = post(logged_in, url, {"type_id": types["visite_courtoisie"].id, "status": "planned",
                               "occurs_on": "2026-04-02", "channel": "visite"},
              token_from=f"/membres/{member.id}", follow_redirects=True)
    assert "Moment prévu : « Visite de courtoisie », le 02/04/2026." in ok.get_data(as_text=True)
    assert [m.status for m in _moments(member)] == ["planned"]


def test_expected_moment_one_click_and_plan_prefill(logged_in, types, member, referent):
    html = _page(logged_in, member)
    assert "Noter comme réalisé aujourd'hui" in html
    plan = logged_in.get(f"/membres/{member.id}/moments/nouveau?type="
                         f"{types['visite_courtoisie'].id}&statut=planned").get_data(as_text=True)
    assert f'<option selected value="{types["visite_courtoisie"].id}">' in plan
    assert '<input checked id="status-1" name="status" type="radio" value="planned">' in plan
    # The one-click form of an expected moment posts what its hidden fields hold.
    clicked = post(logged_in, f"/membres/{member.id}/moments", {
        "type_id": types["arrivee_lieux"].id, "status": "done", "occurs_on": "2026-03-10",
        "owner_id": referent.id}, token_from=f"/membres/{member.id}", follow_redirects=True)
    assert "« Arrivée dans les lieux », réalisé le 10/03/2026" in clicked.get_data(as_text=True)
    assert "arrivee_lieux" not in [t.code for t in services.timeline(member).expected]


def test_mark_done_cancel_with_confirmation_and_reschedule(logged_in, types, member, referent):
    visit = services.record(member, types["visite_courtoisie"], status="planned",
                            occurs_on=date(2026, 3, 20), user=referent)
    ag = services.record(member, types["ag_coop"], status="planned",
                         occurs_on=date(2026, 6, 12), user=referent)
    db.session.commit()
    base = f"/membres/{member.id}/moments"
    page = f"/membres/{member.id}"

    done = post(logged_in, f"{base}/{visit.id}/realise", token_from=page, follow_redirects=True)
    assert "« Visite de courtoisie » marqué comme réalisé aujourd&#39;hui." in \
        done.get_data(as_text=True)

    confirm = logged_in.get(f"{base}/{ag.id}/annuler")
    assert confirm.status_code == 200
    assert "Oui, annuler ce moment" in confirm.get_data(as_text=True)
    assert db.session.get(Moment, ag.id).status == "planned"  # GET changes nothing

    moved = post(logged_in, f"{base}/{ag.id}/reporter", {"occurs_on": "2026-06-19"},
                 follow_redirects=True)
    assert "reporté au 19/06/2026" in moved.get_data(as_text=True)
    past = post(logged_in, f"{base}/{ag.id}/reporter", {"occurs_on": "2026-03-01"})
    assert past.status_code == 422

    cancelled = post(logged_in, f"{base}/{ag.id}/annuler", follow_redirects=True)
    assert "annulé" in cancelled.get_data(as_text=True)
    assert [(m.type.code, m.status, m.occurs_on) for m in _moments(member)] == [
        ("visite_courtoisie", "done", TODAY), ("ag_coop", "cancelled", date(2026, 6, 19))]
    # Done moments cannot be cancelled, even by a forged request.
    again = post(logged_in, f"{base}/{visit.id}/annuler", token_from=page, follow_redirects=True)
    assert "ne peut plus être annulé" in again.get_data(as_text=True)


def test_writes_need_csrf(logged_in, types, member):
    response = logged_in.post(f"/membres/{member.id}/moments", data={
        "type_id": types["premier_contact"].id, "status": "done", "occurs_on": "2026-03-10"})
    assert response.status_code == 400
    assert _moments(member) == []


def test_lecteur_reads_the_timeline_but_cannot_write(client, types, member, referent):
    moment = services.record(member, types["visite_courtoisie"], status="planned",
                             occurs_on=date(2026, 3, 20), user=referent)
    db.session.commit()
    lecteur = factories.user(role="lecteur", all_entities=True)
    login(client, lecteur)
    html = _page(client, member)
    assert "Visite de courtoisie" in html
    assert "Noter un moment" not in html and "Marquer réalisé" not in html
    token_page = f"/membres/{member.id}"
    assert post(client, f"/membres/{member.id}/moments", {
        "type_id": types["premier_contact"].id, "status": "done", "occurs_on": "2026-03-10"},
        token_from=token_page).status_code == 403
    for action in ("realise", "annuler", "reporter"):
        assert post(client, f"/membres/{member.id}/moments/{moment.id}/{action}",
                    token_from=token_page).status_code == 403
    assert client.get(f"/membres/{member.id}/moments/nouveau").status_code == 403


def test_member_of_another_entity_is_not_found(client, types, member, referent):
    moment = services.record(member, types["visite_courtoisie"], status="planned",
                             occurs_on=date(2026, 3, 20), user=referent)
    db.session.commit()
    ght = factories.entity("GHT")
    own = factories.member(ght, track="locatif")
    login(client, factories.user(entities=[ght]))
    token_page = "/membres"
    assert post(client, f"/membres/{member.id}/moments", {
        "type_id": types["premier_contact"].id, "status": "done", "occurs_on": "2026-03-10"},
        token_from=token_page).status_code == 404
    assert client.get(f"/membres/{member.id}/moments/{moment.id}/annuler").status_code == 404
    assert post(client, f"/membres/{member.id}/moments/{moment.id}/realise",
                token_from=token_page).status_code == 404
    # Nor through a visible member's URL.
    assert client.get(f"/membres/{own.id}/moments/{moment.id}/annuler").status_code == 404
    assert post(client, f"/membres/{own.id}/moments/{moment.id}/annuler",
                token_from=token_page).status_code == 404
    assert db.session.get(Moment, moment.id).status == "planned"
