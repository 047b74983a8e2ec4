"""The read audit: every opening of a member's data, shown to those with the right."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth import services as auth_services
from coopcrm.extensions import db
from coopcrm.privacy import jobs, reads
from coopcrm.privacy.models import MemberRead
from tests import factories
from tests.helpers import PASSWORD, login, post

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _kinds(member_id: int) -> list[str]:
    return list(db.session.scalars(select(MemberRead.kind).where(
        MemberRead.member_id == member_id).order_by(MemberRead.id)))


def test_each_read_path_is_recorded_and_shown_with_the_right(app, client, admin):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    member = factories.member(mine, last_name="Dubreuil")
    outside = factories.member(other, last_name="Zorglub")
    referent = factories.user(role="referent", name="Référente GHT", password=PASSWORD,
                              entities=[mine])
    auth_services.grant(referent, ["export_data"])
    db.session.commit()

    login(client, referent)
    page = client.get(f"/membres/{member.id}").get_data(True)
    assert "Consultations" not in page  # the journal needs its own right
    client.get(f"/membres/{member.id}/historique")
    assert client.get(f"/membres/{member.id}/donnees-personnelles.zip").status_code == 200
    assert client.get(f"/membres/{outside.id}").status_code == 404  # not a read: nothing shown
    assert _kinds(member.id) == ["page", "history", "access_export"]
    assert _kinds(outside.id) == []
    assert client.get("/admin/consultations").status_code == 403
    post(client, "/deconnexion", token_from="/membres")

    login(client, admin)
    client.get(f"/membres/{outside.id}")
    page = client.get(f"/membres/{member.id}").get_data(True)
    assert "Consultations" in page and "Référente GHT" in page
    journal = client.get(f"/admin/consultations?membre={member.id}").get_data(True)
    assert journal.count("<td>Référente GHT</td>") == 3
    listed = client.get(f"/admin/consultations?utilisateur={referent.id}&depuis=01/01/2020")
    assert listed.status_code == 200
    assert client.get("/admin/consultations?depuis=hier").status_code == 400

    response = client.get(f"/admin/consultations.csv?membre={member.id}")
    rows = list(csv.reader(io.StringIO(response.get_data(True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:2] == ["Date", "Utilisateur"]
    assert {r[4] for r in rows[1:]} == {"Fiche", "Historique des modifications",
                                        "Export de ses données (RGPD)"}
    assert all("Dubreuil" in r[3] for r in rows[1:])


def test_a_one_entity_referent_sees_the_reads_of_their_members_only(app, client):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    member, outside = factories.member(mine), factories.member(other, last_name="Zorglub")
    referent = factories.user(role="referent", password=PASSWORD, entities=[mine])
    auth_services.grant(referent, ["read_audit"])
    for m in (member, outside):
        reads.record(m.id, "page", referent)
    db.session.commit()
    login(client, referent)
    body = client.get("/admin/consultations.csv").get_data(True)
    assert "Zorglub" not in body and len(body.strip().splitlines()) == 2


def test_the_daily_job_prunes_what_is_past_the_retention(app, admin):
    for days in (400, 364, 1):
        db.session.add(MemberRead(member_id=1, kind="page", user_id=admin.id,
                                  read_dt=NOW - timedelta(days=days)))
    db.session.commit()
    with clock.frozen(NOW):
        assert jobs.prune_reads(NOW) == "1 consultation(s) effacée(s)"
    db.session.commit()
    assert reads.count() == 2
