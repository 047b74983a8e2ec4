"""The campaign pages: write with the block editor, count, launch, follow the ledger."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from coopcrm import clock
from coopcrm.campaigns.models import Campaign
from coopcrm.extensions import db
from tests import factories
from tests.factories.campaigns import BODY
from tests.helpers import post

NOW = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(NOW)


def test_write_count_launch_and_follow(as_admin, admin, smtp_server):
    for i in range(3):
        factories.member(newsletter_consent=True, email=f"p{i}@exemple.test")
    factories.member(newsletter_consent=True, email=None, last_name="Sanslemail")
    seg = factories.segment(user=admin, name="Tous")
    assert "Nouvelle campagne" in as_admin.get("/campagnes").get_data(as_text=True)
    page = as_admin.get("/campagnes/nouvelle").get_data(as_text=True)
    assert "data-block-editor" in page
    bad = post(as_admin, "/campagnes/nouvelle", {"name": "", "body": json.dumps(BODY)})
    assert bad.status_code == 422 and "Donnez un nom" in bad.get_data(as_text=True)
    done = post(as_admin, "/campagnes/nouvelle", {
        "name": "Fondations", "subject": "Les fondations <b>", "segment_id": str(seg.id),
        "channel_rule": "email_else_letter", "window_days": list("1234567"),
        "window_start_hour": "0", "window_end_hour": "24", "body": json.dumps(BODY)})
    assert done.status_code == 302
    campaign = db.session.scalars(db.select(Campaign)).one()
    shown = as_admin.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "<strong>3</strong> par email" in shown and "Les fondations &lt;b&gt;" in shown
    listed = as_admin.get(f"/campagnes/{campaign.id}/motif/no_email").get_data(as_text=True)
    assert "Sanslemail" in listed
    preview = as_admin.get(f"/campagnes/{campaign.id}/apercu?largeur=telephone")
    assert preview.status_code == 200 and 'data-width="phone"' in preview.get_data(as_text=True)
    assert post(as_admin, f"/campagnes/{campaign.id}/test", {},
                token_from=f"/campagnes/{campaign.id}").status_code == 302
    confirm = as_admin.get(f"/campagnes/{campaign.id}/lancer").get_data(as_text=True)
    assert "Oui, lancer l" in confirm
    post(as_admin, f"/campagnes/{campaign.id}/lancer", {})
    db.session.refresh(campaign)
    assert campaign.state == "sending"
    shown = as_admin.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "(60 s)" in shown
    clock.set_now(NOW + timedelta(minutes=2))
    from coopcrm.campaigns import services
    from coopcrm.sending.flush import flush

    services.run_due(clock.now())
    flush(now=clock.now())
    services.run_due(clock.now())
    ledger = as_admin.get(f"/campagnes/{campaign.id}?statut=letter").get_data(as_text=True)
    assert "Sanslemail" in ledger and "p0@" not in ledger
    assert "Terminée" in as_admin.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    copy = post(as_admin, f"/campagnes/{campaign.id}/dupliquer", {},
                token_from=f"/campagnes/{campaign.id}")
    assert copy.status_code == 302 and "/modifier" in copy.headers["Location"]
