"""The "information d'avancement" kit: a milestone prefills a campaign to a programme's
reservation holders, and each one reached gets the moment on their timeline, once."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.campaigns import jobs, kit, letters, services
from coopcrm.campaigns.models import MILESTONES, Campaign, CampaignMilestone
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from coopcrm.segments import services as segments
from coopcrm.sending.flush import flush
from tests import factories
from tests.helpers import login, post

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)
SIGNED = date(2026, 5, 4)


@pytest.fixture
def programme():
    """Residence "Les Capucines" of GHT: two holders by email, one by letter; around them a
    prospect without reservation, a tenant, and a holder of another entity's residence."""
    ght, mfla = factories.entity("GHT"), factories.entity("MFLA")
    mine = factories.residence(ght, name="Les Capucines", delivery_date=date(2027, 9, 1))
    theirs = factories.residence(mfla, name="Le Clos")
    for i in range(2):
        factories.member(ght, residence=mine, reservation_signed_on=SIGNED,
                         newsletter_consent=True, email=f"r{i}@exemple.test", commit=False)
    factories.member(ght, residence=mine, reservation_signed_on=SIGNED, email=None,
                     last_name="Papier", postal_code="69003", commit=False)
    factories.member(ght, residence=mine, newsletter_consent=True, email="p@exemple.test",
                     commit=False)  # no reservation signed
    factories.member(ght, residence=mine, track="locatif", newsletter_consent=True,
                     reservation_signed_on=SIGNED, email="l@exemple.test", commit=False)
    factories.member(mfla, residence=theirs, reservation_signed_on=SIGNED,
                     newsletter_consent=True, email="x@exemple.test", commit=False)
    db.session.commit()
    referent = factories.user(role="referent", entities=[ght])
    return referent, mine, theirs


def test_a_milestone_prefills_a_campaign_to_the_programmes_reservation_holders(
        client, programme):
    referent, mine, theirs = programme
    login(client, referent)
    assert "Information d'avancement" in client.get("/campagnes").get_data(as_text=True)
    page = html.unescape(client.get("/campagnes/avancement").get_data(as_text=True))
    assert "Les Capucines" in page and "Le Clos" not in page
    assert all(label in page for label in MILESTONES.values())
    assert client.get(f"/campagnes/avancement?residence={theirs.id}").status_code == 404
    refused = post(client, "/campagnes/avancement",
                   {"residence_id": theirs.id, "milestone": "hors_d_eau"})
    assert refused.status_code == 422 and db.session.scalar(
        select(func.count()).select_from(Campaign)) == 0
    done = post(client, "/campagnes/avancement",
                {"residence_id": mine.id, "milestone": "hors_d_eau"})
    assert done.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert done.headers["Location"].endswith(f"/campagnes/{campaign.id}/modifier")
    assert campaign.name == "Avancement Les Capucines — Hors d'eau"
    assert campaign.subject == "Les Capucines : hors d'eau"
    assert campaign.entity_id == mine.entity_id and campaign.residence_id == mine.id
    assert db.session.get(CampaignMilestone, campaign.id).milestone == "hors_d_eau"
    counted = services.breakdown(campaign)
    assert (counted.emails, counted.letters) == (2, 1)
    rendered = services.preview(campaign)
    assert rendered.text.count("Bonjour") == 1 and "est hors d'eau" in rendered.text
    assert "Hors d'eau" in html.unescape(rendered.html)
    # The same programme again reuses its segment of reservation holders.
    again = kit.prefill(mine, "achevement", referent)
    assert again.segment_id == campaign.segment_id
    assert "Contrat de réservation signé : oui" in segments.describe(campaign.segment.filters)
    shown = html.unescape(client.get(f"/campagnes/{campaign.id}").get_data(as_text=True))
    assert "Information d'avancement : Hors d'eau" in shown


def test_each_one_reached_gets_the_repeatable_moment_once(programme, smtp_server):
    referent, mine, _ = programme
    moments = lambda: db.session.scalars(  # noqa: E731
        select(Moment).join(MomentType).where(MomentType.code == kit.MOMENT_CODE)
        .order_by(Moment.id)).all()
    for milestone in ("fondations", "hors_d_eau"):  # repeatable: one per campaign
        campaign = kit.prefill(mine, milestone, referent)
        services.launch(campaign, LAUNCH)
        db.session.commit()
        at = LAUNCH + timedelta(minutes=1)
        for _ in range(4):  # the job feeds, the flusher sends, the job notes who got it
            jobs.run_due(at)
            flush(now=at)
            db.session.commit()
            at += timedelta(minutes=1)
        db.session.refresh(campaign)
        assert campaign.state == "finished"
        assert letters.mark_posted(campaign, referent, at) == 1
        db.session.commit()
    found = moments()
    assert len(found) == 6  # 3 holders × 2 milestones
    assert sorted(m.channel for m in found) == ["courrier", "courrier", "email", "email",
                                                "email", "email"]
    assert all(m.status == "done" and m.occurs_on == LAUNCH.date() for m in found)
    assert {m.notes.split(" — ")[0] for m in found} == {"Fondations", "Hors d'eau"}
    # No generic "courrier" moment for a kit letter, and a rerun notes nothing more.
    assert not db.session.scalar(select(func.count()).select_from(Moment).join(MomentType)
                                 .where(MomentType.code == letters.MOMENT_CODE))
    assert kit.note_sent(at) == 0 and len(moments()) == 6
    assert len(smtp_server.messages) == 4
