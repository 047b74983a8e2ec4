"""Sending a campaign to a test segment: real personal links, "[TEST]", no ledger."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.campaigns import trials
from coopcrm.campaigns.models import CampaignRecipient
from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from tests import factories
from tests.helpers import login, post

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)


def test_each_member_of_the_test_segment_gets_it_with_their_own_links(client, smtp_server):
    ght, mfla = factories.entity("GHT"), factories.entity("MFLA")
    referent = factories.user(role="referent", entities=[ght])
    for i in range(2):
        factories.member(ght, email=f"testeur{i}@exemple.test", first_name=f"Testeur{i}",
                         last_name="Essai", commit=False)
    factories.member(ght, email="parti@exemple.test", last_name="Essai",
                     email_status="unsubscribed", commit=False)
    factories.member(mfla, email="ailleurs@exemple.test", last_name="Essai", commit=False)
    db.session.commit()
    tests_segment = factories.segment(filters={"q": "essai"}, user=referent)
    campaign = factories.campaign(referent, factories.segment(user=referent))
    login(client, referent)
    page = client.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Envoyer au segment de test" in page
    done = post(client, f"/campagnes/{campaign.id}/test-segment",
                {"test_segment_id": tests_segment.id}, token_from=f"/campagnes/{campaign.id}",
                follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "Test envoyé à 2 membre(s)" in body, body[body.find("flash"):][:600]
    flush(now=LAUNCH)
    got = {m.rcpt_tos[0]: m.email for m in smtp_server.messages}
    assert set(got) == {"testeur0@exemple.test", "testeur1@exemple.test"}  # scoped, consented
    for address, email in got.items():
        assert email["Subject"] == "[TEST] Information d'avancement"
        text = email.get_body(("plain",)).get_content()
        assert f"Bonjour {'Testeur' + address[7]}" in text
        assert "exemple-de-lien" not in text and "/u/" in email["List-Unsubscribe"]
    links = {m.email["List-Unsubscribe"] for m in smtp_server.messages}
    assert len(links) == 2  # each their own
    # Not frozen, not in the ledger.
    db.session.refresh(campaign)
    assert campaign.state == "draft" and campaign.shared_context_id is None
    assert not db.session.scalar(select(func.count()).select_from(CampaignRecipient))


def test_a_test_segment_is_small_and_one_the_user_may_see(as_admin, admin, smtp_server):
    for i in range(trials.TEST_SEGMENT_MAX + 1):
        factories.member(email=f"t{i}@exemple.test", commit=False)
    db.session.commit()
    big = factories.segment(user=admin)
    campaign = factories.campaign(admin, big)
    refused = post(as_admin, f"/campagnes/{campaign.id}/test-segment",
                   {"test_segment_id": big.id}, token_from=f"/campagnes/{campaign.id}",
                   follow_redirects=True).get_data(as_text=True)
    assert f"compte {trials.TEST_SEGMENT_MAX + 1} membres" in refused
    assert f"{trials.TEST_SEGMENT_MAX} au plus" in refused
    other = factories.entity("MFLA")
    referent = factories.user(role="referent", entities=[factories.entity("GHT")])
    hidden = factories.segment(user=factories.user(role="referent", entities=[other]))
    with pytest.raises(Exception) as failed:
        trials.send_to_segment(campaign, hidden.id, referent)
    assert "Choisissez un segment de test" in str(failed.value.errors)
    flush(now=LAUNCH)
    assert smtp_server.messages == []
