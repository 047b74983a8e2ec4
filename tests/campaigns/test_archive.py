"""The public archive of campaigns: only the published and launched, no member data, 404
otherwise, the page policy of the other public pages."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from coopcrm import clock
from coopcrm.campaigns import services
from coopcrm.extensions import db
from tests import factories
from tests.factories.campaigns import BODY
from tests.helpers import post

NOW = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(NOW)


@pytest.fixture
def launched(admin):
    factories.member(newsletter_consent=True, first_name="Gaëlle", last_name="Secrète",
                     email="gaelle@exemple.test")
    campaign = factories.campaign(admin, factories.segment(user=admin),
                                  subject="Les fondations", preheader="Où en est le chantier")
    services.launch(campaign, NOW)
    db.session.commit()
    return campaign


def test_unpublished_is_404_then_published_shows_with_neutral_placeholders(
        launched, as_admin, client):
    page = f"/archives/campagnes/{launched.id}"
    assert client.get(page).status_code == 404
    assert "Les fondations" not in client.get("/archives/campagnes").get_data(as_text=True)
    resp = post(as_admin, f"/campagnes/{launched.id}/archives", {"published": "y"},
                token_from=f"/campagnes/{launched.id}")
    assert resp.status_code == 302
    as_admin.get("/deconnexion")
    public = client.get(page)
    html = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "Les fondations" in html and "Les fondations sont coulées" in html
    assert "Votre résidence votre résidence" in html  # the placeholder's neutral wording
    assert "Gaëlle" not in html and "Secrète" not in html
    assert "/u/" not in html and "/p/" not in html and f"/c/{launched.id}/" not in html
    assert 'href="https://coop.example/chantier"' in html
    csp = public.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert public.headers["Referrer-Policy"] == "same-origin"
    listed = client.get("/archives/campagnes").get_data(as_text=True)
    assert f'href="/archives/campagnes/{launched.id}"' in listed and "Les fondations" in listed


def test_drafts_and_cancelled_campaigns_stay_out(admin, client, as_admin):
    draft = factories.campaign(admin, subject="Brouillon public")
    done = post(as_admin, f"/campagnes/{draft.id}/modifier", {
        "name": draft.name, "subject": draft.subject, "channel_rule": "email_else_letter",
        "window_days": list("1234567"), "window_start_hour": "0", "window_end_hour": "24",
        "body": json.dumps(BODY), "published": "y"})
    assert done.status_code == 302
    db.session.refresh(draft)
    assert draft.published  # the form's checkbox; shown once launched
    assert client.get(f"/archives/campagnes/{draft.id}").status_code == 404
    factories.member(newsletter_consent=True)
    draft.segment_id = factories.segment(user=admin).id
    services.launch(draft, NOW)
    db.session.commit()
    assert client.get(f"/archives/campagnes/{draft.id}").status_code == 200
    services.cancel(draft, NOW)
    db.session.commit()
    resp = client.get(f"/archives/campagnes/{draft.id}")
    assert resp.status_code == 404 and "Brouillon public" not in resp.get_data(as_text=True)
    assert client.get("/archives/campagnes/99999").status_code == 404
