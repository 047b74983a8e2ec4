"""Clicks counted per link, in aggregate: the body's links go through /c/<campaign>/<n>, the
personal links do not, and the redirect reaches only the addresses of that campaign's body."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.campaigns import clicks, services
from coopcrm.campaigns.models import CampaignLink
from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from tests import factories

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)

BODY = {"version": 1, "blocks": [
    {"type": "paragraph", "html": '<p>Les <a href="https://coop.example/chantier">photos</a>, '
                                  'le <a href="https://coop.example/plan.pdf">plan</a>, '
                                  '<a href="mailto:chantier@coop.example">écrivez-nous</a>.</p>'},
    {"type": "button", "label": "Voir le chantier", "url": "https://coop.example/chantier"},
    {"type": "columns", "columns": [
        [{"type": "paragraph", "html": '<p><a href="http://ailleurs.example/x?a=1&amp;b=2">'
                                       'Ailleurs</a></p>'}],
        [{"type": "paragraph", "html": "<p>Sans lien</p>"}]]},
]}


@pytest.fixture
def sent(smtp_server):
    admin = factories.user(role="admin")
    factories.member(newsletter_consent=True, email="lecteur@exemple.test")
    campaign = factories.campaign(admin, factories.segment(user=admin), body=BODY)
    services.launch(campaign, LAUNCH)
    db.session.commit()
    at = LAUNCH + timedelta(minutes=1)
    services.run_due(at)
    flush(now=at)
    [mail] = smtp_server.messages
    return campaign, mail.email


def test_the_body_links_are_rewritten_once_and_the_personal_links_are_not(sent):
    campaign, email = sent
    links = db.session.scalars(select(CampaignLink).order_by(CampaignLink.position)).all()
    assert [(link.position, link.url) for link in links] == [
        (1, "https://coop.example/chantier"), (2, "https://coop.example/plan.pdf"),
        (3, "http://ailleurs.example/x?a=1&b=2")]
    html = email.get_body(("html",)).get_content()
    text = email.get_body(("plain",)).get_content()
    prefix = f"http://127.0.0.1/c/{campaign.id}/"
    assert html.count(prefix + "1") == 2 and prefix + "3" in html  # link and button
    assert "coop.example/chantier" not in html and "ailleurs.example" not in html
    assert prefix + "2" in text and "plan.pdf" not in text
    assert "mailto:chantier@coop.example" in html  # mailto is no web redirect
    # The footer's personal links and the List-Unsubscribe header stay the member's own.
    assert re.search(r"http://127\.0\.0\.1/p/\S+", text)
    assert "/u/" in email["List-Unsubscribe"] and "/c/" not in email["List-Unsubscribe"]
    # The stored body is untouched: a duplicate starts from the real addresses.
    assert "https://coop.example/chantier" in str(campaign.body)


def test_a_click_is_counted_and_redirected(sent, client, as_admin):
    campaign, _email = sent
    for _ in range(2):
        resp = client.get(f"/c/{campaign.id}/1")
        assert resp.status_code == 302
        assert resp.headers["Location"] == "https://coop.example/chantier"
        assert resp.headers["Cache-Control"] == "no-store"
    assert client.head(f"/c/{campaign.id}/2").status_code == 302  # a robot's check
    assert client.get(f"/c/{campaign.id}/3").headers["Location"] == \
        "http://ailleurs.example/x?a=1&b=2"
    counts = {link.position: link.clicks for link in clicks.per_link(campaign)}
    assert counts == {1: 2, 2: 0, 3: 1}
    page = as_admin.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Clics par lien" in page
    assert re.search(r"<td>https://coop.example/chantier</td><td>2</td>", page)


def test_the_redirect_reaches_no_other_address(sent, client):
    campaign, _email = sent
    other = factories.campaign(factories.user(role="admin"))  # a draft: no link yet
    for url in (f"/c/{campaign.id}/4", f"/c/{other.id}/1", f"/c/{campaign.id}/0",
                f"/c/{campaign.id}/1/https://evil.example", "/c/99999/1"):
        assert client.get(url).status_code == 404, url
    # Query strings change nothing: the address is the stored one.
    resp = client.get(f"/c/{campaign.id}/1?url=https://evil.example&next=//evil.example")
    assert urlsplit(resp.headers["Location"]).netloc == "coop.example"
    # A row that somehow holds something else than a web address is never followed.
    db.session.add(CampaignLink(campaign_id=campaign.id, position=9, url="javascript:alert(1)",
                                clicks=0))
    db.session.commit()
    assert client.get(f"/c/{campaign.id}/9").status_code == 404


def test_a_launch_undone_and_made_again_starts_the_counters_from_zero(smtp_server, client):
    admin = factories.user(role="admin")
    factories.member(newsletter_consent=True)
    campaign = factories.campaign(admin, factories.segment(user=admin), body=BODY)
    services.launch(campaign, LAUNCH)
    db.session.commit()
    client.get(f"/c/{campaign.id}/1")
    services.undo_launch(campaign, LAUNCH + timedelta(seconds=10))
    services.launch(campaign, LAUNCH + timedelta(seconds=20))
    db.session.commit()
    assert [link.clicks for link in clicks.per_link(campaign)] == [0, 0, 0]
