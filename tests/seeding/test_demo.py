"""The demo group: loads fast through bulk inserts, hangs together, and can be logged into."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.auth.models import User
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence, ShareMovement
from coopcrm.members.text import search_text
from coopcrm.privacy.models import ConsentRecord
from coopcrm.seeding import demo
from coopcrm.seeding.cli import seed
from coopcrm.seeding.demo_logins import DEMO_LOGINS
from coopcrm.seeding.demo_people import Place, people
from tests.helpers import login

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def loaded():
    clock.set_now(NOW)
    summary = demo.load(count=200, random_seed=7)
    assert "200 coopérateurs" in summary
    return db.session.scalars(select(Member)).all()


def test_small_demo_has_both_tracks_all_statuses_and_long_tenures(loaded):
    today = clock.today()
    assert {m.track for m in loaded} == {"accession", "locatif"}
    assert {m.status for m in loaded} == {"prospect", "cooperateur", "ancien"}
    tenants = [m for m in loaded
               if m.track == "locatif" and m.status == "cooperateur" and m.moved_in_on]
    assert sum(m.tenure_years(today) >= 15 for m in tenants) >= 10
    assert sum(10 <= m.tenure_years(today) < 15 for m in tenants) >= 10
    assert all(m.moved_in_on is None or m.moved_in_on <= today for m in loaded)
    signed = [m.reservation_signed_on for m in loaded if m.reservation_signed_on]
    assert max(signed) <= today and min(signed) >= today.replace(year=today.year - 21)
    assert any(d.year == today.year for d in signed), "new entrants for the newsletter cycle"
    assert {e.code for e in db.session.scalars(select(Entity))} == {"MFLA", "GHT"}
    assert 8 <= db.session.scalar(select(func.count(Residence.id))) <= 15


def test_colleges_follow_tracks_and_shares_follow_the_register(loaded):
    colleges = {c.id: c.code for c in db.session.scalars(select(College))}
    for m in loaded:
        code = colleges.get(m.college_id)
        if code == "accedants":
            assert m.track == "accession"
        elif code == "locataires":
            assert m.track == "locatif"
        held = sum(s.signed_quantity for s in m.share_movements)
        assert m.share_count == held
        assert m.status == ("cooperateur" if held else "ancien" if m.share_movements
                            else "prospect")
        if m.status == "prospect":
            assert m.college_id is None
    counted = {c for c in colleges.values() if c in {colleges.get(m.college_id) for m in loaded}}
    assert {"accedants", "locataires", "salaries", "administrateurs"} <= counted
    units = {s.unit_amount for s in db.session.scalars(select(ShareMovement))}
    assert {str(u) for u in units} == {"16.00"}


def test_references_search_text_and_emails(loaded):
    for m in loaded:
        refs = [link.reference for link in m.entity_links]
        assert refs and all(re.fullmatch(r"(MFLA|GHT)-\d{6}", r) for r in refs)
        assert set(m.search_text.split()) == set(
            search_text(m.last_name, m.first_name, m.email, refs).split())
        assert m.last_name and m.first_name and m.postal_code
    assert any(m.email is None for m in loaded)
    statuses = {m.email_status for m in loaded if m.email}
    assert {"valid", "bounced", "unsubscribed"} <= statuses
    emails = [m.email for m in loaded if m.email]
    assert len(emails) == len(set(emails))
    assert all(e.endswith(".example") for e in emails), "never a real mailbox"


def test_consents_match_their_records(loaded):
    records = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.recorded_dt)).all()
    latest = {(r.member_id, r.kind): r for r in records}
    assert {r.source for r in records} == {"démo"}
    for m in loaded:
        for kind in ("newsletter", "econvocation"):
            flag = getattr(m, f"{kind}_consent")
            record = latest.get((m.id, kind))
            if record is None:
                assert not flag
                continue
            assert record.granted == flag
            assert getattr(m, f"{kind}_consent_dt") == record.recorded_dt <= NOW
            assert getattr(m, f"{kind}_consent_source") == "démo"
        if m.email_status == "unsubscribed":
            assert not m.newsletter_consent
        if not m.email:
            assert not m.newsletter_consent and not m.econvocation_consent
    share = sum(m.newsletter_consent for m in loaded) / len(loaded)
    assert 0.65 <= share <= 0.92


def test_moments_done_along_the_track_and_planned_ahead(loaded):
    today = clock.today()
    rows = db.session.execute(
        select(Moment.status, Moment.occurs_on, Moment.owner_id, Moment.channel,
               MomentType.code, MomentType.track, Member.track)
        .join(MomentType, Moment.type_id == MomentType.id)
        .join(Member, Moment.member_id == Member.id)).all()
    done = [r for r in rows if r.status == "done"]
    planned = [r for r in rows if r.status == "planned"]
    assert len(done) > 5 * len(loaded) and len(planned) >= 20
    assert all(r.occurs_on <= today for r in done)
    assert all(today < r.occurs_on <= today + timedelta(days=70) for r in planned)
    assert all(r[5] in ("both", r[6]) for r in rows), "moment types follow the member's track"
    assert {"visite_courtoisie", "visite_chantier"} <= {r.code for r in planned}
    codes = {r.code for r in done}
    assert {"premier_contact", "signature_reservation", "signature_bail", "arrivee_lieux",
            "visite_courtoisie", "ag_coop"} <= codes
    owners = set(db.session.scalars(select(User.id)))
    # A survey answer is the member's own doing: no referent owns that moment.
    staff = [r for r in rows if r.code != "reponse_sondage"]
    assert {r.owner_id for r in staff} <= owners and all(r.channel for r in rows)


def test_demo_users_can_log_in_with_the_printed_passwords(loaded, app):
    for email, password, _label in DEMO_LOGINS:
        # Requests share the test's app context, and Flask-Login keeps the user on its `g`:
        # a fresh context per account, or the second one would already be logged in.
        with app.app_context():
            client = app.test_client()
            user = db.session.scalar(select(User).where(User.email == email))
            page = login(client, user, password).get_data(as_text=True)
            assert "Coopérateurs" in page, email
            assert client.get("/membres").status_code == 200
    ght = db.session.scalar(select(User).where(User.email == "referent.ght@coop.example"))
    assert [e.code for e in ght.entities] == ["GHT"] and not ght.sees_all_entities


def test_loading_twice_is_refused_in_french_and_writes_nothing(cli):
    clock.set_now(NOW)
    first = cli.invoke(seed, ["demo", "--members", "30"])
    assert first.exit_code == 0, first.output
    members = db.session.scalar(select(func.count(Member.id)))
    again = cli.invoke(seed, ["demo", "--members", "30"])
    assert again.exit_code != 0
    assert "déjà chargée" in again.output and "Traceback" not in again.output
    skipped = cli.invoke(seed, ["demo", "--if-empty"])
    assert skipped.exit_code == 0 and "rien à faire" in skipped.output
    assert db.session.scalar(select(func.count(Member.id))) == members == 30
    assert db.session.scalar(select(func.count(Entity.id))) == 2
    assert db.session.scalar(select(func.count(MemberEntity.member_id))) >= 30


def test_same_seed_same_people():
    places = [Place(1, "MFLA", "A", "Nantes", "44000", "rue A", 20,
                    NOW.date().replace(year=2010), "accession"),
              Place(2, "GHT", "B", "Rezé", "44400", "rue B", 40,
                    NOW.date().replace(year=1995), "locatif")]
    first = people(50, random.Random(3), NOW, places)
    second = people(50, random.Random(3), NOW, places)
    assert [(p.last_name, p.email, p.moved_in) for p in first] == [
        (p.last_name, p.email, p.moved_in) for p in second]
