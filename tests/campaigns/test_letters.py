"""A campaign's letters: one merged PDF of its letter recipients, labels, the printer's
file, and one "courrier" moment on each timeline when they are marked as posted."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.auth import events
from coopcrm.auth.models import SecurityEvent
from coopcrm.campaigns import letters, services
from coopcrm.campaigns.models import CampaignRecipient
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from coopcrm.members.models import Member
from coopcrm.spreadsheet import restore
from tests import factories
from tests.campaigns.helpers import prepared
from tests.helpers import login, post
from tests.letters._pdf import texts

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)
HOSTILE = "<script>alert(1)</script></p>Hostile"


def _launched(author, n_email: int, postcodes: list[str], entity=None, **kw):
    """A launched campaign to every member: n_email by email, one letter per postcode
    (created in that order), the letters' members in residence "Les Tilleuls"."""
    residence = factories.residence(name="Les Tilleuls")
    for i in range(n_email):
        factories.member(entity, newsletter_consent=True, email=f"m{i}@exemple.test",
                         commit=False)
    for i, postcode in enumerate(postcodes):
        factories.member(entity, newsletter_consent=True, email=None, postal_code=postcode,
                         city="Lyon", address=f"{i} rue du Port", last_name=f"Courrier{i:02d}",
                         residence=residence, commit=False)
    db.session.commit()
    campaign = factories.campaign(author, factories.segment(user=author), **kw)
    services.launch(campaign, LAUNCH)
    db.session.commit()
    return campaign


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    return rows


def test_300_members_20_without_email_make_one_pdf_of_20_pages_by_postcode(client, admin):
    postcodes = [f"69{(20 - i) * 7:03d}" for i in range(20)]  # created in reverse postal order
    campaign = _launched(admin, 280, postcodes)
    assert services.counts(campaign) == {"queued": 280, "letter": 20}
    login(client, admin)
    shown = client.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Préparer les courriers (PDF)" in shown and "Fichier imprimeur (CSV)" in shown
    response = prepared(client, campaign.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert int(response.headers["Content-Length"]) == len(response.data)
    pages = texts(response.data)
    assert len(pages) == 20
    order = sorted(postcodes)
    for page, postcode in zip(pages, order, strict=True):
        assert f"{postcode} LYON" in page
        # the body: the block document with the member's placeholder filled, the object
        assert "Votre résidence Les Tilleuls" in page and "Les fondations sont coulées" in page
        assert "Objet : Information d'avancement" in page
    labels = prepared(client, campaign.id, "etiquettes")
    assert labels.status_code == 200 and len(texts(labels.data)) == 1  # 20 labels, one sheet
    rows = _csv(client.get(f"/campagnes/{campaign.id}/imprimeur.csv").data)
    assert len(rows) == 21 and [r[6] for r in rows[1:]] == order
    assert {r[8] for r in rows[1:]} == {"Les Tilleuls"}
    # Every download of member data is in the security log, with its row count.
    logged = db.session.scalars(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "export").order_by(SecurityEvent.id)).all()
    assert logged == [events.export_detail(f"{kind}-campagne-{campaign.id}.{ext}", 20)
                      for kind, ext in (("courriers", "pdf"), ("etiquettes", "pdf"),
                                        ("imprimeur", "csv"))]
    # Downloading wrote nothing on the timelines.
    assert db.session.scalar(select(func.count()).select_from(Moment)) == 0


def test_marked_as_posted_each_letter_is_one_courrier_moment_once(as_admin, admin):
    campaign = _launched(admin, 3, ["69001", "69002", "69003"])
    assert letters.pending(campaign, admin) == 3
    confirm = as_admin.get(f"/campagnes/{campaign.id}/courriers-envoyes")
    assert confirm.status_code == 200 and "Marquer comme envoyés" in confirm.get_data(as_text=True)
    for _ in range(2):  # a second click, a rerun: nothing more
        done = post(as_admin, f"/campagnes/{campaign.id}/courriers-envoyes", {})
        assert done.status_code == 302
    assert letters.mark_posted(campaign, admin, LAUNCH) == 0
    moments = db.session.scalars(select(Moment).join(MomentType)
                                 .where(MomentType.code == letters.MOMENT_CODE)).all()
    assert len(moments) == 3
    assert {m.member.last_name for m in moments} == {"Courrier00", "Courrier01", "Courrier02"}
    assert all(m.channel == "courrier" and m.status == "done" and campaign.name in m.notes
               for m in moments)
    rows = db.session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.channel == "letter")).all()
    assert {r.moment_id for r in rows} == {m.id for m in moments}
    assert all(r.letter_dt is not None for r in rows)
    assert letters.pending(campaign, admin) == 0
    # Nobody emailed got one.
    assert db.session.scalar(select(func.count()).select_from(Moment)) == 3


def test_a_referent_prints_and_marks_the_letters_of_their_members_only(client, app):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    referent = factories.user(role="referent", entities=[mine])
    campaign = _launched(referent, 0, ["69001", "69002"], entity=mine)
    stranger = factories.member(other, email=None, last_name="Autre", postal_code="69000")
    db.session.add(CampaignRecipient(campaign_id=campaign.id, member_id=stranger.id,
                                     channel="letter", status="letter"))
    db.session.commit()
    login(client, referent)
    pages = texts(prepared(client, campaign.id).data)
    assert len(pages) == 2 and not any("Autre" in p for p in pages)
    rows = _csv(client.get(f"/campagnes/{campaign.id}/imprimeur.csv").data)
    assert [r[3] for r in rows[1:]] == ["Courrier00", "Courrier01"]
    assert post(client, f"/campagnes/{campaign.id}/courriers-envoyes", {}).status_code == 302
    marked = db.session.scalars(select(CampaignRecipient.member_id).where(
        CampaignRecipient.letter_dt.is_not(None))).all()
    assert stranger.id not in marked and len(marked) == 2


def test_hostile_names_are_text_in_the_campaign_letters(as_admin, admin):
    campaign = _launched(admin, 0, ["69001"])
    member = db.session.scalars(select(Member).where(Member.email.is_(None))).one()
    member.first_name, member.last_name = "</p><h1>", HOSTILE
    member.address = '<img src="http://127.0.0.1:9/x.png">'
    db.session.commit()
    (page,) = texts(prepared(as_admin, campaign.id).data)
    assert HOSTILE in page and "</p><h1>" in page and '<img src="http://127.0.0.1:9/x.png">' \
        in page
    (label,) = texts(prepared(as_admin, campaign.id, "etiquettes").data)
    assert HOSTILE in label
    rows = _csv(as_admin.get(f"/campagnes/{campaign.id}/imprimeur.csv").data)
    assert restore(rows[1][3]) == HOSTILE


def test_no_letters_before_the_launch(as_admin, admin):
    campaign = factories.campaign(admin, factories.segment(user=admin))
    assert "Préparer les courriers (PDF)" not in as_admin.get(
        f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert len(texts(prepared(as_admin, campaign.id).data)) == 1  # an empty page
    post(as_admin, f"/campagnes/{campaign.id}/courriers-envoyes", {})
    assert db.session.scalar(select(func.count()).select_from(Moment)) == 0
