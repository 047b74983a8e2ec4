"""The member's RSVP page /e/<token>: answers, proxies, waiting list, .ics, and bad links."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from coopcrm import clock
from coopcrm.events import services
from coopcrm.events.models import Invitation
from coopcrm.extensions import db
from coopcrm.links import services as links
from tests import factories
from tests.helpers import post
from tests.instants import at


def _link(event, member) -> str:
    services.ensure_invitations(event)
    raw = services.rsvp_tokens(event, [member.id])[member.id]
    db.session.commit()
    return f"/e/{raw}"


def _invitation(event_id, member_id) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(select(Invitation).where(Invitation.event_id == event_id,
                                                      Invitation.member_id == member_id))


def test_yes_no_and_the_calendar_file(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    marie = factories.coop_member(first_name="Marie", last_name="Curie")
    factories.coop_member(first_name="Autre", last_name="Personne")
    event = factories.event(staff, date(2027, 6, 17))
    url = _link(event, marie)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bonjour Marie" in html and "Assemblée générale 2027" in html
    assert "Personne" not in html and marie.email not in html  # nobody's data, not even hers
    assert page.headers["Cache-Control"] == "no-store"
    assert post(client, url, {"response": "yes"}).status_code == 303
    assert _invitation(event.id, marie.id).response == "yes"
    post(client, url, {"response": "no"})
    assert _invitation(event.id, marie.id).response == "no"

    ics = client.get(url + "/evenement.ics")
    assert ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "DTSTART:20270617T163000Z" in body
    assert "SUMMARY:Assemblée générale 2027" in body


def test_proxy_to_a_member_or_the_chair_reveals_nothing(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    giver = factories.coop_member(first_name="Jean", last_name="Donneur")
    holder = factories.coop_member(first_name="Élodie", last_name="Léger")
    event = factories.event(staff, date(2027, 6, 17))
    url = _link(event, giver)

    found = post(client, url, {"response": "proxy", "proxy_to": "member",
                               "proxy_name": "elodie leger"}, follow_redirects=True)
    inv = _invitation(event.id, giver.id)
    assert inv.response == "proxy" and inv.proxy_member_id == holder.id
    unknown = post(client, url, {"response": "proxy", "proxy_to": "member",
                                 "proxy_name": "Personne Inconnue"}, follow_redirects=True)
    inv = _invitation(event.id, giver.id)
    assert inv.proxy_member_id is None and inv.proxy_name == "Personne Inconnue"
    # Same message either way: the page cannot be used to find out who is a coopérateur.
    for page in (found, unknown):
        assert "Merci, votre réponse est enregistrée" in page.get_data(as_text=True)
    assert "Léger" not in found.get_data(as_text=True)  # only what the member typed is shown

    post(client, url, {"response": "proxy", "proxy_to": "chair"})
    inv = _invitation(event.id, giver.id)
    assert inv.proxy_chair and inv.proxy_member_id is None

    empty = post(client, url, {"response": "proxy", "proxy_to": "member", "proxy_name": ""},
                 follow_redirects=True)
    assert "Indiquez le nom" in empty.get_data(as_text=True)


def test_capacity_and_waiting_list(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    a, b, c = factories.coop_member(), factories.coop_member(), factories.coop_member()
    event = factories.event(staff, date(2027, 5, 12), kind="atelier", title="Atelier", capacity=1)
    urls = {m.id: _link(event, m) for m in (a, b, c)}
    for m in (a, b, c):
        clock.set_now(clock.now() + timedelta(minutes=1))
        post(client, urls[m.id], {"response": "yes"})
    assert not _invitation(event.id, a.id).waitlisted
    assert _invitation(event.id, b.id).waitlisted and _invitation(event.id, c.id).waitlisted
    assert "position 2 sur la liste d'attente" in client.get(urls[c.id]).get_data(as_text=True)
    assert "je donne pouvoir" not in client.get(urls[c.id]).get_data(as_text=True).lower()
    post(client, urls[a.id], {"response": "no"})  # a place frees up: first come, first served
    assert not _invitation(event.id, b.id).waitlisted
    assert _invitation(event.id, c.id).waitlisted


def test_bad_expired_and_foreign_tokens_get_one_plain_page(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    marie = factories.coop_member(first_name="Marie")
    event = factories.event(staff, date(2027, 6, 17))
    services.ensure_invitations(event)
    survey_token = links.issue(marie.id, "survey", clock.now() + timedelta(days=30),
                               subject_id=event.id)  # a real token, for another purpose
    expired = links.issue(marie.id, "event", clock.now() + timedelta(days=1), subject_id=event.id)
    other = factories.event(staff, date(2027, 7, 1), title="Autre AG")
    stranger = factories.coop_member(first_name="Paul")
    # A token for an event the member was never invited to (deleted, or forged subject).
    foreign = links.issue(stranger.id, "event", clock.now() + timedelta(days=30),
                          subject_id=other.id)
    db.session.commit()
    clock.set_now(clock.now() + timedelta(days=2))
    for token in ("nimportequoi", "x" * 500, survey_token, expired, foreign):
        for path in (f"/e/{token}", f"/e/{token}/evenement.ics"):
            page = client.get(path)
            assert page.status_code == 404, path
            html = page.get_data(as_text=True)
            assert "Ce lien ne fonctionne pas" in html
            assert "Marie" not in html and "Paul" not in html and "Assemblée" not in html
    assert post(client, f"/e/{survey_token}", {"response": "yes"},
                token_from=_link(event, marie)).status_code == 404


def test_cancelled_event_link_stops_working(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    marie = factories.coop_member()
    event = factories.event(staff, date(2027, 6, 17))
    url = _link(event, marie)
    services.cancel(event)
    db.session.commit()
    assert client.get(url).status_code == 404


def test_no_answer_change_once_started(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    marie = factories.coop_member()
    event = factories.event(staff, date(2027, 6, 17))
    url = _link(event, marie)
    clock.set_now(at(date(2027, 6, 17), 19, 0))
    page = post(client, url, {"response": "yes"}, follow_redirects=True)
    assert "plus possible de changer" in page.get_data(as_text=True)
    assert _invitation(event.id, marie.id).response == "pending"


def test_anonymised_member_link_is_dead(client, staff, paris_now):
    paris_now(date(2027, 4, 1))
    marie = factories.coop_member()
    event = factories.event(staff, date(2027, 6, 17))
    url = _link(event, marie)
    marie.anonymised_dt = clock.now()
    db.session.commit()
    assert client.get(url).status_code == 404


def test_ics_escapes_and_folds_long_lines(staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, date(2027, 6, 17), title="AG; bilan, perspectives " + "é" * 60,
                            description="Ligne 1\nLigne 2", remote=True,
                            remote_url="https://visio.example/ag")
    body = services.ics(event)
    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:AG\\; bilan\\, perspectives" in unfolded
    assert "DESCRIPTION:Ligne 1\\nLigne 2" in unfolded
    assert "LOCATION:Salle des fêtes / à distance : https://visio.example/ag" in unfolded
