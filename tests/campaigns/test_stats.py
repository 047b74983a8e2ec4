"""A campaign's statistics: its ledger through the SMTP sink, unsubscribes attributed to it,
by entity and by residence, scoped to what the user sees; the page and the service agree."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from coopcrm import clock
from coopcrm.campaigns import services, stats
from coopcrm.campaigns.stats import Figures
from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from coopcrm.sending.services import enqueue
from tests import factories
from tests.helpers import login, post

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)


def _path(url: str) -> str:
    return urlsplit(url).path


def _run(at):
    services.run_due(at)
    flush(now=at)
    services.run_due(at)


@pytest.fixture
def seeded(smtp_server):
    """Two entities, a residence each; a group campaign sent through the sink with one
    bounce, one deferral, a letter, and three unsubscribes of which two are its own."""
    ght, mfla = factories.entity("GHT", name="Toit"), factories.entity("MFLA", name="Maisons")
    tilleuls = factories.residence(ght, name="Les Tilleuls")
    port = factories.residence(mfla, name="Le Port")
    people = {}
    for key, entity, residence, email in (
            ("g1", ght, tilleuls, "g1@exemple.test"), ("g2", ght, tilleuls, "g2@exemple.test"),
            ("g3", ght, tilleuls, None), ("x1", mfla, port, "x1@exemple.test"),
            ("x2", mfla, port, "x2@exemple.test"), ("d1", ght, None, "d1@exemple.test")):
        people[key] = factories.member(
            entity, newsletter_consent=True, email=email, commit=False, last_name=key.upper(),
            residence_id=residence.id if residence else None, address="1 rue du Port",
            postal_code="69001", city="Lyon")
    factories.member_entity(people["d1"], mfla)  # Denis belongs to both entities
    db.session.commit()
    admin = factories.user(role="admin")
    campaign = factories.campaign(admin, factories.segment(user=admin))
    smtp_server.answer("g2@exemple.test", "550 5.1.1 Utilisateur inconnu")
    smtp_server.answer("x2@exemple.test", *["451 4.3.0 Réessayez plus tard"] * 5)
    services.launch(campaign, LAUNCH)
    db.session.commit()
    _run(LAUNCH + timedelta(minutes=1))
    return campaign, people, ght


def _unsubscribe_all(client, smtp_server, people):
    """g1 by the one-click link of its List-Unsubscribe header, x1 from the preferences page
    of the footer; d1 one-click too, but after a later bulk email: that one's, not ours."""
    clock.set_now(LAUNCH + timedelta(minutes=3))  # the links were signed as of the send
    [mail] = smtp_server.received_by("g1@exemple.test")
    one_click = re.search(r"<(http[^>]+/u/[^>]+)>", mail.email["List-Unsubscribe"]).group(1)
    assert client.post(_path(one_click)).status_code == 200
    [mail] = smtp_server.received_by("x1@exemple.test")
    text = mail.email.get_body(("plain",)).get_content()
    preferences = _path(re.search(r"(http\S+/p/\S+)", text).group(1))
    assert post(client, preferences, {"econvocation": ""}).status_code == 303
    enqueue("campaign", people["d1"], {"campaign_subject": "Autre", "preheader": ""},
            "other:d1", bulk=True)
    db.session.commit()
    clock.set_now(clock.now() + timedelta(minutes=1))
    flush(now=clock.now())
    clock.set_now(clock.now() + timedelta(minutes=1))
    [_ours, later] = smtp_server.received_by("d1@exemple.test")
    one_click = re.search(r"<(http[^>]+/u/[^>]+)>", later.email["List-Unsubscribe"]).group(1)
    assert client.post(_path(one_click)).status_code == 200


def test_the_figures_in_all_by_entity_and_by_residence(seeded, client, smtp_server):
    campaign, people, _ght = seeded
    _unsubscribe_all(client, smtp_server, people)
    services.sync(campaign)
    figures = stats.statistics(campaign)
    assert figures.total == Figures(recipients=6, emailed=5, sent=3, deferred=1, bounced=1,
                                    unsubscribed=2, letters=1)
    by_entity = {line.label: line.figures for line in figures.by_entity}
    assert by_entity == {
        "GHT · Toit": Figures(recipients=4, emailed=3, sent=2, bounced=1, unsubscribed=1,
                              letters=1),
        "MFLA · Maisons": Figures(recipients=3, emailed=3, sent=2, deferred=1,
                                  unsubscribed=1)}
    assert [(line.label, line.figures.recipients, line.figures.unsubscribed)
            for line in figures.by_residence] == [
        ("Le Port (MFLA)", 2, 1), ("Les Tilleuls (GHT)", 3, 1), ("Sans résidence", 1, 0)]


def test_a_referent_sees_the_figures_of_their_entity_only(seeded, client, smtp_server):
    campaign, people, ght = seeded
    _unsubscribe_all(client, smtp_server, people)
    referent = factories.user(role="referent", entities=[ght])
    figures = stats.statistics(campaign, referent)
    assert figures.total.recipients == 4 and figures.total.unsubscribed == 1
    assert [line.label for line in figures.by_entity] == ["GHT · Toit"]
    assert [line.label for line in figures.by_residence] == ["Les Tilleuls (GHT)",
                                                             "Sans résidence"]
    login(client, referent)
    page = client.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Par entité" in page and "GHT · Toit" in page and "Les Tilleuls (GHT)" in page
    assert "MFLA · Maisons" not in page and "Le Port" not in page
    assert "Désinscrits par cette campagne" in page


def test_the_page_shows_the_service_figures(seeded, as_admin):
    campaign, _people, _ght = seeded
    page = as_admin.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    total = re.search(r"<tr><th>Total</th>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>(\d+)</td>", total) == [
        str(n) for n in stats.statistics(campaign).total.values()]
    assert "Le Port (MFLA)" in page and "Sans résidence" in page
