"""Referent pages: create and edit with French errors, event page, letters and labels."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coopcrm import clock
from coopcrm.events import services
from coopcrm.events.models import Event, Invitation
from coopcrm.extensions import db
from coopcrm.privacy.consents import set_consent
from coopcrm.scheduler.runner import run_job
from tests import factories
from tests.helpers import post
from tests.instants import at

FORM = {"kind": "ag_ordinaire", "title": "AG 2027", "day": "17/06/2027", "start_time": "18:30",
        "end_time": "20:30", "place": "Salle des fêtes", "convocation_number": "1",
        "agenda_html": "<ol><li>Rapport</li></ol><script>x</script>"}


def test_create_an_ag_and_see_its_timeline(logged_in, paris_now):
    paris_now(date(2027, 4, 1))
    page = post(logged_in, "/evenements/nouveau", FORM)
    assert page.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.starts_dt == at(date(2027, 6, 17))
    assert event.send_on == date(2027, 6, 2)
    assert "<script>" not in event.agenda_html
    assert event.resolutions == []  # they have their own pages (tests/events/votes)
    html = logged_in.get(page.headers["Location"]).get_data(as_text=True)
    assert "« À vos agendas » (J-30)" in html and "mardi 18 mai 2027" in html
    assert "Aucune résolution." in html and "Résolutions et votes" in html and "Quorum" in html
    # Nobody convoked yet: no "quorum reached" with 0 votes out of 0.
    assert "Quorum atteint" not in html and "Aucun coopérateur convoqué" in html
    assert "AG 2027" in logged_in.get("/evenements").get_data(as_text=True)


def test_french_errors_on_the_form(logged_in, paris_now):
    paris_now(date(2027, 6, 5))
    page = post(logged_in, "/evenements/nouveau", FORM)
    assert page.status_code == 422
    assert "Trop tard pour convoquer" in page.get_data(as_text=True)
    page = post(logged_in, "/evenements/nouveau", {**FORM, "kind": "", "start_time": "midi"})
    html = page.get_data(as_text=True)
    assert "Choisissez le type" in html or "Heure attendue" in html
    page = post(logged_in, "/evenements/nouveau", {**FORM, "kind": "atelier", "day": "10/06/2027"})
    assert "au moins 7 jours" in page.get_data(as_text=True)
    assert db.session.scalar(select(Event)) is None


def test_edit_and_cancel(logged_in, referent, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(referent, date(2027, 6, 17))
    url = f"/evenements/{event.id}/modifier"
    assert 'value="18:30"' in logged_in.get(url).get_data(as_text=True)
    post(logged_in, url, {**FORM, "title": "AG annuelle", "day": "2027-06-18"})
    db.session.expire_all()
    assert event.title == "AG annuelle" and event.start_date == date(2027, 6, 18)
    assert "Plus aucun envoi" in logged_in.get(f"/evenements/{event.id}/annuler").get_data(
        as_text=True)
    post(logged_in, f"/evenements/{event.id}/annuler")
    db.session.expire_all()
    assert event.cancelled_dt is not None


def test_letters_and_labels_for_members_convoked_by_post(logged_in, referent, paris_now):
    paris_now(date(2027, 1, 4))
    factories.coop_member(last_name="Courrier", civility="Mme", address="3 rue B",
                          postal_code="69002", city="Lyon")
    by_email = factories.coop_member(last_name="Courriel")
    with clock.frozen(at(date(2027, 1, 5))):
        set_consent(by_email, "econvocation", True, "formulaire", "texte")
    db.session.commit()
    paris_now(date(2027, 4, 1))
    event = factories.event(referent, date(2027, 6, 17))
    eid = event.id
    run_job("events.timeline", at(date(2027, 6, 2), 9, 0))
    html = logged_in.get(f"/evenements/{eid}/courriers").get_data(as_text=True)
    assert html.count('class="letter"') == 1 and "Courrier" in html and "Courriel" not in html
    # Its print styles are a static file (the CSP allows no inline <style>).
    assert "/static/print-letters.css" in html and "Pouvoir" in html
    css = logged_in.get("/static/print-letters.css").get_data(as_text=True)
    assert "page-break-after: always" in css
    csv = logged_in.get(f"/evenements/{eid}/etiquettes.csv").get_data(as_text=True)
    assert csv.splitlines()[1] == "Mme;Prénom" + csv.splitlines()[1].split(";")[1][6:] + \
        ";Courrier;3 rue B;69002;Lyon"


def test_series_participation_and_member_pages(logged_in, referent, paris_now):
    paris_now(date(2027, 4, 1))
    m = factories.coop_member(last_name="Jardinier")
    event = factories.event(referent, date(2027, 4, 20), kind="atelier", title="Atelier 1",
                            new_series="Jardinage sur le toit")
    services.ensure_invitations(event)
    db.session.commit()
    assert "Jardinage sur le toit" in logged_in.get(
        f"/evenements/cycles/{event.series_id}").get_data(as_text=True)
    assert "Participation" in logged_in.get("/evenements/participation").get_data(as_text=True)
    member_page = logged_in.get(f"/membres/{m.id}")
    assert "Atelier 1" in member_page.get_data(as_text=True)
    assert db.session.scalar(select(Invitation.response)) == "pending"
