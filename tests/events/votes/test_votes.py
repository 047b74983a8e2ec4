"""AG votes with the database and the pages: resolutions, the snapshot, postal forms keyed in
and online, the room's two entries, the results."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.events import checkin
from coopcrm.events import services as events
from coopcrm.events.models import Resolution
from coopcrm.events.votes import services
from coopcrm.events.votes.models import EventVoter, PostalBallot
from coopcrm.extensions import db
from coopcrm.sending import rendering
from coopcrm.sending import services as sending
from tests import factories
from tests.helpers import post
from tests.instants import at
from tests.letters._pdf import texts

AG_DAY = date(2027, 6, 17)


@pytest.fixture
def ag(staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, AG_DAY)
    factories.resolution(event, "Approbation des comptes")
    factories.resolution(event, "Modification des statuts", majority="age")
    factories.resolution(event, "Proposition des locataires", board=False)
    return event


def _invite(event, *members):
    events.ensure_invitations(event)
    db.session.commit()
    return members


def _codes(event, *members) -> list[str]:
    return [services.postal_code(event, m.id) for m in members]


def test_resolution_pages_create_number_and_show_them(logged_in, staff, paris_now):
    paris_now(date(2027, 4, 1))
    event = factories.event(staff, AG_DAY, kind="ag_extraordinaire")
    base = f"/evenements/{event.id}/resolutions"
    assert 'checked id="majority-1"' in logged_in.get(f"{base}/nouvelle").get_data(as_text=True)
    page = post(logged_in, f"{base}/nouvelle", {"title": "Modification des statuts",
                                                "majority": "age", "board": "y",
                                                "text": "L'article 12 est ainsi rédigé…"})
    assert page.status_code == 302
    assert post(logged_in, f"{base}/nouvelle", {"title": "Questions", "majority": "ago"}
                ).status_code == 302
    clash = post(logged_in, f"{base}/nouvelle", {"title": "Autre", "majority": "ago",
                                                 "number": "1"})
    assert clash.status_code == 422 and "porte déjà ce numéro" in clash.get_data(as_text=True)
    first, second = db.session.scalars(select(Resolution).order_by(Resolution.position)).all()
    assert (first.position, first.majority, first.board) == (1, "age", True)
    assert (second.position, second.board) == (2, False)
    html = logged_in.get(f"/evenements/{event.id}").get_data(as_text=True)
    assert "Résolution 1</strong> (AGE) : Modification des statuts" in html
    assert "proposée par des coopérateurs" in html
    page = post(logged_in, f"{base}/{second.id}/modifier", {"title": "Questions diverses",
                                                            "majority": "ago", "number": "5"})
    assert page.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resolution, second.id).position == 5
    assert post(logged_in, f"{base}/{second.id}/supprimer", {}, token_from=base
                ).status_code == 302
    assert db.session.scalar(select(Resolution.id).where(Resolution.id == second.id)) is None


def test_a_resolution_of_another_event_is_a_404(logged_in, ag, staff):
    other = factories.event(staff, AG_DAY, title="AG bis")
    resolution = ag.resolutions[0]
    assert logged_in.get(f"/evenements/{other.id}/resolutions/{resolution.id}/modifier"
                         ).status_code == 404


def test_convocation_email_and_letter_list_the_resolutions(ag, app):
    context = {**sending.system_context(), "unsubscribe_url": "", "preferences_url": "",
               **events.email_context(ag, calendar=False),
               "member": {"first_name": "Marie", "full_name": "Mme Marie Curie"},
               "rsvp_url": "https://x.test/e/t"}
    out = rendering.render(rendering.get("convocation"), context)
    for text in (out.html, out.text):
        assert "Résolution 2 (AGE) : Modification des statuts" in text
    with app.test_request_context():
        from flask import render_template

        letter = render_template("events/_letter_body.html", m=factories.member(), event=ag)
    assert "Résolution 3</strong> (AGO, proposée par des coopérateurs)" in letter


def test_opening_freezes_the_voters(ag, paris_now):
    college = factories.college("salaries", name="Salariés")
    a, b = _invite(ag, factories.coop_member(college=college), factories.coop_member())
    factories.member(status="prospect")  # not a coopérateur: no vote
    events.ensure_invitations(ag)
    assert services.open_vote(ag, clock.now()) == 2
    db.session.commit()
    late = factories.coop_member()
    events.ensure_invitations(ag)
    db.session.commit()
    voters = {v.member_id: v.college_name for v in db.session.scalars(select(EventVoter))}
    assert voters == {a.id: "Salariés", b.id: "Sans collège"} and late.id not in voters
    with pytest.raises(ValidationFailed, match="déjà ouvert"):
        services.open_vote(ag, clock.now())


def test_college_shares_must_follow_the_statutes(ag, app):
    for code in ("usagers", "salaries"):
        factories.coop_member(college=factories.college(code))
    events.ensure_invitations(ag)
    app.config.update(EVENTS_COLLEGE_SHARES="usagers=60,salaries=40", EVENTS_VOTE_STATUTES="scic")
    with pytest.raises(ValidationFailed) as failed:
        services.open_vote(ag, clock.now())
    assert failed.value.errors["vote"] == (
        "Une SCIC compte au moins trois collèges. En SCIC, aucun collège ne dépasse 50 % des "
        "voix : usagers.")
    app.config.update(EVENTS_VOTE_STATUTES="scp_hlm", EVENTS_USERS_COLLEGES="usagers")
    assert services.open_vote(ag, clock.now()) == 2


def _postal(client, event, code, choices, step="check"):
    data = {"step": step, "code": code,
            **{f"r{r.id}": c for r, c in zip(event.resolutions, choices, strict=False) if c}}
    return post(client, f"/evenements/{event.id}/vote/correspondance", data)


def test_postal_form_keyed_in_with_a_check_screen(logged_in, ag):
    marie, paul = _invite(ag, factories.coop_member(first_name="Marie"),
                          factories.coop_member())
    code = _codes(ag, marie)[0]
    check = _postal(logged_in, ag, code, ["for", "against", None])
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "À vérifier avant d'enregistrer" in html
    assert "Modification des statuts : <strong>Contre</strong>" in html
    assert "non coché (blanc)" in html and db.session.scalar(select(PostalBallot)) is None
    assert _postal(logged_in, ag, code, ["for", "against", None], "save").status_code == 302
    ballot = db.session.scalar(select(PostalBallot))
    assert ballot.member_id == marie.id and len(ballot.choices) == 2
    again = _postal(logged_in, ag, code, ["for"]).get_data(as_text=True)
    assert "est déjà enregistré" in again
    # A typo in the code, a guess: unknown, with no name.
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (wrong, f"{paul.id}-AAAA", "n'importe quoi"):
        page = _postal(logged_in, ag, bad, ["for"])
        assert "Code inconnu" in page.get_data(as_text=True) and page.status_code == 422


def test_a_member_who_gave_a_proxy_cannot_vote_by_post(logged_in, ag):
    marie, paul = _invite(ag, factories.coop_member(first_name="Marie", last_name="Curie"),
                          factories.coop_member())
    factories.proxy(factories.event_invitation(ag, marie), chair=True)
    page = _postal(logged_in, ag, _codes(ag, marie)[0], ["for"])
    assert page.status_code == 422
    assert ("a donné pouvoir : on ne peut pas à la fois donner pouvoir et voter par "
            "correspondance.") in page.get_data(as_text=True)
    # ...and the other way round on the RSVP page.
    services.record_postal(ag, paul, {ag.resolutions[0].id: "for"}, clock.now())
    with pytest.raises(ValidationFailed, match="voté par correspondance"):
        events.answer(factories.event_invitation(ag, paul), "proxy", proxy_chair=True)
    with pytest.raises(ValidationFailed, match="a voté par correspondance : on ne peut pas aussi"):
        checkin.mark_represented(ag, paul.id, None, chair=True)  # nor at the desk


def test_postal_forms_after_the_deadline_are_refused(ag, paris_now):
    (marie,) = _invite(ag, factories.coop_member())
    assert services.postal_deadline(ag) == at(AG_DAY) - timedelta(days=3)
    paris_now(AG_DAY - timedelta(days=2))
    with pytest.raises(ValidationFailed, match="date limite"):
        services.record_postal(ag, marie, {ag.resolutions[0].id: "for"}, clock.now())


def _link(event, member) -> str:
    raw = events.rsvp_tokens(event, [member.id])[member.id]
    db.session.commit()
    return f"/e/{raw}"


def test_online_vote_only_when_allowed_and_the_last_choice_counts(client, app, ag, paris_now):
    (marie,) = _invite(ag, factories.coop_member())
    link = _link(ag, marie)
    assert "Voter par correspondance" not in client.get(link).get_data(as_text=True)
    assert client.get(f"{link}/vote").status_code == 404
    app.config["EVENTS_ONLINE_VOTE"] = True
    assert "Voter par correspondance en ligne" in client.get(link).get_data(as_text=True)
    first, second, _ = ag.resolutions
    page = post(client, f"{link}/vote", {f"r{first.id}": "for", f"r{second.id}": "against"})
    assert page.status_code == 303
    page = post(client, f"{link}/vote", {f"r{first.id}": "against"})
    assert page.status_code == 303
    db.session.expire_all()
    ballot = db.session.scalar(select(PostalBallot))
    assert (ballot.source, [(c.resolution_id, c.choice) for c in ballot.choices]) == (
        "online", [(first.id, "against")])
    assert f'checked id="r{first.id}-1"' in client.get(f"{link}/vote").get_data(as_text=True)
    paris_now(AG_DAY - timedelta(days=2))  # past the deadline: the page is gone
    assert client.get(f"{link}/vote").status_code == 404


def test_room_totals_twice_then_the_result(logged_in, ag, paris_now):
    members = _invite(ag, *(factories.coop_member() for _ in range(6)))
    services.record_postal(ag, members[5], {r.id: "for" for r in ag.resolutions}, clock.now())
    db.session.commit()
    paris_now(AG_DAY, 18)
    for m in members[:3]:
        factories.attendance(ag, m)
    factories.attendance(ag, members[3], holder=members[0])
    factories.attendance(ag, members[4], chair=True)
    post(logged_in, f"/evenements/{ag.id}/vote/ouvrir", {},
         token_from=f"/evenements/{ag.id}/resolutions")
    statutes_ = ag.resolutions[1]  # AGE, from the board
    room = f"/evenements/{ag.id}/resolutions/{statutes_.id}/salle"
    too_many = post(logged_in, room, {"entry": "1", "c0_for": "5"})
    assert too_many.status_code == 422
    assert "5 votes saisis pour 4 votant(s)" in too_many.get_data(as_text=True)
    assert post(logged_in, room, {"entry": "1", "c0_for": "2", "c0_against": "1",
                                  "c0_abstain": "1"}).status_code == 302
    assert post(logged_in, room, {"entry": "2", "c0_for": "3", "c0_against": "1"}
                ).status_code == 302
    html = logged_in.get(room).get_data(as_text=True)
    assert "Les deux saisies diffèrent" in html
    assert post(logged_in, room, {"entry": "2", "c0_for": "2", "c0_against": "1",
                                  "c0_abstain": "1"}).status_code == 302
    html = logged_in.get(f"/evenements/{ag.id}/resultats").get_data(as_text=True)
    # 2 in the room + the blank proxy + the postal form for, 1 against: 4 of 5, 80 % ≥ 2/3.
    assert ("Résolution 2 (AGE) adoptée : 4 voix pour sur 5 exprimées, soit 80,0\u00a0% ≥ 2/3"
            in html)
    assert "Résultat (deux saisies concordantes)" in html
    # The members' resolution: the blank proxy votes against it; no room entry yet.
    assert re.search(r"Résolution 3 \(AGO\) adoptée : 1 voix pour sur 2 exprimées", html) \
        is None
    assert "Résolution 3 (AGO) rejetée : 1 voix pour sur 2 exprimées" in html


def test_results_before_the_vote_opens_say_so(logged_in, ag):
    html = logged_in.get(f"/evenements/{ag.id}/resultats").get_data(as_text=True)
    assert "Le vote n'est pas ouvert" in html


def test_the_ag_may_set_its_own_postal_deadline(logged_in, ag):
    index = f"/evenements/{ag.id}/resolutions"
    page = post(logged_in, f"/evenements/{ag.id}/vote/date-limite",
                {"day": "16/06/2027", "at": "12:00"}, token_from=index)
    assert page.status_code == 302
    db.session.expire_all()
    assert services.postal_deadline(ag) == datetime(2027, 6, 16, 12, tzinfo=clock.PARIS)
    assert "mercredi 16 juin 2027 à 12 h 00" in logged_in.get(index).get_data(as_text=True)
    post(logged_in, f"/evenements/{ag.id}/vote/date-limite", {"day": "18/06/2027", "at": "9h"},
         token_from=index)
    db.session.expire_all()
    assert services.postal_deadline(ag).day == 16  # after the AG: refused


def test_printable_postal_forms_carry_each_members_code(logged_in, ag):
    marie, paul = _invite(ag, factories.coop_member(last_name="Curie"),
                          factories.coop_member(last_name="Langevin"))
    response = logged_in.get(f"/evenements/{ag.id}/vote/formulaires.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = texts(response.data)
    assert len(pages) == 2
    for member, page in zip((marie, paul), sorted(pages, key=lambda p: "Langevin" in p),
                            strict=True):
        assert services.postal_code(ag, member.id) in page
        assert "2. Modification des statuts (AGE)" in page and "Abstention" in page
