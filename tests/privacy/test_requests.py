"""The register of data subjects' requests: due dates, extension, answer, scope, dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.privacy import requests
from coopcrm.privacy.models import DataRequest
from tests import factories
from tests.helpers import PASSWORD, login, post

NOW = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


@pytest.mark.parametrize(("received", "extended", "due"), [
    (date(2027, 1, 31), False, date(2027, 2, 28)),   # no 31 February: the month's last day
    (date(2028, 1, 31), False, date(2028, 2, 29)),
    (date(2027, 1, 15), True, date(2027, 4, 15)),    # one month, then two more
    (date(2027, 11, 30), True, date(2028, 2, 29)),
])
def test_due_dates_follow_the_calendar(received, extended, due):
    assert requests.due_date(received, extended) == due


def test_a_request_is_checked_whole_and_written_only_when_right(app, referent):
    bad = requests.RequestData(kind="other", channel="", received_on=date(2027, 2, 1),
                               requester="Nom\r\nBcc: x")
    with pytest.raises(ValidationFailed) as failed:
        requests.record(bad, referent, clock.today())
    assert set(failed.value.errors) == {"kind", "channel", "received_on", "requester"}
    assert db.session.query(DataRequest).count() == 0


def test_extension_once_then_answer_closes_it(app, referent):
    member = factories.member()
    request = requests.record(requests.RequestData(
        kind="access", channel="courrier", received_on=date(2027, 1, 20),
        member_id=member.id), referent, clock.today())
    assert request.due_on == date(2027, 2, 20)
    requests.extend(request)
    assert request.due_on == date(2027, 4, 20)
    with pytest.raises(ValidationFailed):
        requests.extend(request)
    with pytest.raises(ValidationFailed):
        requests.answer(request, "Export envoyé", date(2027, 1, 10), clock.today())
    requests.answer(request, "Export envoyé par courrier", date(2027, 1, 30), clock.today())
    assert requests.open_requests(referent) == []


def test_pages_record_extend_answer_and_the_dashboard_shows_open_ones(app, client):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    member = factories.member(mine, reference="G-77", last_name="Dubreuil")
    outside = factories.member(other, reference="M-77", last_name="Zorglub")
    referent = factories.user(role="referent", password=PASSWORD, entities=[mine])
    login(client, referent)

    form = client.get(f"/rgpd/demandes/nouvelle?membre={member.id}").get_data(True)
    assert 'value="G-77"' in form
    # Another entity's reference: refused like an unknown one, nothing written.
    response = post(client, "/rgpd/demandes/nouvelle", {
        "kind": "erasure", "channel": "email", "received_on": "2027-01-25",
        "reference": "M-77", "requester": ""})
    assert response.status_code == 422
    assert "Aucun coopérateur de votre périmètre" in response.get_data(True)
    assert "Zorglub" not in response.get_data(True)
    assert db.session.query(DataRequest).count() == 0

    response = post(client, "/rgpd/demandes/nouvelle", {
        "kind": "access", "channel": "courrier", "received_on": "25/01/2027",
        "reference": "g-77", "requester": "Mme Dubreuil", "notes": "Lettre recommandée"})
    assert response.status_code == 302
    created = db.session.query(DataRequest).one()
    assert created.member_id == member.id and created.due_on == date(2027, 2, 25)

    dashboard = client.get("/tableau-de-bord").get_data(True)
    assert "Demandes RGPD à traiter" in dashboard and "Mme Dubreuil" in dashboard
    page = f"/rgpd/demandes/{created.id}"
    assert "Dubreuil" in client.get(page).get_data(True)
    assert post(client, f"{page}/prolonger", token_from=page).status_code == 302
    db.session.expire_all()
    assert db.session.get(DataRequest, created.id).due_on == date(2027, 4, 25)

    missing = post(client, page, {"answered_on": "", "answer": ""})
    assert missing.status_code == 422
    assert post(client, page, {"answered_on": "30/01/2027",
                               "answer": "Export remis en main propre"}).status_code == 302
    assert "Demandes RGPD à traiter" not in client.get("/tableau-de-bord").get_data(True)
    listing = client.get("/rgpd/demandes").get_data(True)
    assert "Répondue le 30/01/2027" in listing

    # A request about another entity's member is not the referent's to see.
    hidden = DataRequest(kind="access", channel="email", received_on=date(2027, 1, 2),
                         due_on=date(2027, 2, 2), member_id=outside.id, requester="Zorglub")
    nobody = DataRequest(kind="objection", channel="email", received_on=date(2027, 1, 2),
                         due_on=date(2027, 2, 2), requester="Quelqu'un hors fichier")
    db.session.add_all([hidden, nobody])
    db.session.commit()
    assert client.get(f"/rgpd/demandes/{hidden.id}").status_code == 404
    assert client.get(f"/rgpd/demandes/{nobody.id}").status_code == 404
    listing = client.get("/rgpd/demandes").get_data(True)
    assert "Zorglub" not in listing and "hors fichier" not in listing


def test_a_lecteur_does_not_reach_the_register(app, client):
    lecteur = factories.user(role="lecteur", password=PASSWORD, all_entities=True)
    login(client, lecteur)
    assert client.get("/rgpd/demandes").status_code == 403
