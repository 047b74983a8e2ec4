"""Exporting the filtered member list to CSV and XLSX; an export re-imports unchanged."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from coopcrm.extensions import db
from coopcrm.members import shares
from coopcrm.members.importing.read import COLUMNS
from coopcrm.members.importing.service import import_members
from coopcrm.members.models import MemberEntity
from coopcrm.spreadsheet import write_csv
from tests import factories
from tests.helpers import login
from tests.members.test_import_support import csv_bytes, reference_data, row


def some_members():
    mfla, ght = reference_data()
    import_members(csv_bytes(
        row(reference="R1", civilite="Mme", prenom="Hélène", nom="Lefèvre", email="h@exemple.fr",
            entite="MFLA", residence="Les Annonciades", college="accedants", parcours="accession",
            nombre_parts="2", montant_part="16", date_signature_reservation="15/03/2024",
            date_entree_lieux="10/01/2025", consentement_newsletter="oui"),
        row(reference="R2", nom="Girard", entite="MFLA", parcours="locatif", statut="ancien",
            telephone="0612", consentement_convocation_electronique="oui"),
        row(reference="G1", nom="Faure", entite="GHT", parcours="locatif"),
    ), "seed.csv")
    return mfla, ght


def test_csv_export_of_a_filter_is_excel_ready_and_reimports_unchanged(logged_in):
    mfla, _ = some_members()
    response = logged_in.get(f"/membres/export.csv?entity={mfla.id}&sort=-nom")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(lines[0]) == COLUMNS
    assert [line[3] for line in lines[1:]] == ["Lefèvre", "Girard"]  # filtered, sorted
    helene = dict(zip(COLUMNS, lines[1], strict=True))
    assert helene["date_signature_reservation"] == "15/03/2024"
    assert (helene["nombre_parts"], helene["montant_part"], helene["statut"]) == (
        "2", "16,00", "cooperateur")
    assert (helene["residence"], helene["college"], helene["consentement_newsletter"]) == (
        "Les Annonciades", "accedants", "oui")
    report = import_members(data, "export.csv")
    assert report.written and (report.unchanged, report.created, report.updated) == (2, 0, 0)


def test_xlsx_export_reimports_unchanged(logged_in):
    some_members()
    response = logged_in.get("/membres/export.xlsx?track=locatif")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == COLUMNS and sorted(r[3] for r in rows[1:]) == ["Faure", "Girard"]
    report = import_members(response.get_data(), "export.xlsx")
    assert (report.unchanged, report.created, report.updated, report.invalid) == (2, 0, 0, 0)


def test_export_with_share_register_and_several_entities(logged_in):
    mfla, ght = reference_data()
    member = factories.member(mfla, "R1", last_name="Multi", email="multi@exemple.fr")
    member.entity_links.append(MemberEntity(entity=ght, reference="G9"))
    shares.record(member, "subscription", 3, date(2022, 5, 1))
    db.session.commit()
    data = logged_in.get("/membres/export.csv").get_data()
    line = data.decode("utf-8-sig").splitlines()[1].split(";")
    assert (line[0], line[9], line[16], line[18]) == ("R1", "MFLA", "3", "01/05/2022")
    report = import_members(data, "export.csv")
    assert report.unchanged == 1 and not report.warnings


def test_scoped_referent_exports_only_their_entities(client):
    mfla, _ = some_members()
    login(client, factories.user(entities=[mfla]))
    text = client.get("/membres/export.csv").get_data().decode("utf-8-sig")
    assert "Lefèvre" in text and "Faure" not in text


def test_list_page_links_to_the_exports(logged_in):
    mfla, _ = some_members()
    page = logged_in.get(f"/membres?entity={mfla.id}").get_data(as_text=True)
    assert f"/membres/export.csv?entity={mfla.id}" in page
    assert f"/membres/export.xlsx?entity={mfla.id}" in page


def test_readers_cannot_export(client):
    login(client, factories.user(role="lecteur"))
    assert client.get("/membres/export.csv").status_code == 403
    assert client.get("/membres/export.xlsx").status_code == 403


def _table_rows():
    from sqlalchemy import text

    db.session.expire_all()
    out = {}
    for name in ("members", "member_entities", "residences", "share_movements",
                 "consent_records", "audit_entries"):
        keys = ", ".join(c.name for c in db.metadata.tables[name].primary_key.columns)
        out[name] = [tuple(r) for r in db.session.execute(
            text(f"SELECT * FROM {name} ORDER BY {keys}"))]
    return out


def test_web_exports_of_the_demo_reimport_unchanged(client):
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from coopcrm import clock
    from coopcrm.auth.models import User
    from coopcrm.members.models import Entity, Member
    from coopcrm.seeding import demo

    clock.set_now(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    demo.load(count=300, random_seed=11)
    members = db.session.scalar(select(func.count(Member.id)))
    links = db.session.scalar(select(func.count()).select_from(MemberEntity))
    admin = db.session.scalar(select(User).where(User.email == "admin@coop.example"))
    login(client, admin, "demo-admin-2026")
    before = _table_rows()
    csv_data = client.get("/membres/export.csv").get_data()
    lines = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"), newline=""),
                           delimiter=";"))
    assert tuple(lines[0]) == COLUMNS and len(lines) == links + 1
    xlsx_data = client.get("/membres/export.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(xlsx_data)).worksheets[0]
    cells = list(sheet.iter_rows())
    assert len(cells) == links + 1 and all(c.data_type != "f" for r in cells for c in r)
    for data, name in ((csv_data, "export.csv"), (xlsx_data, "export.xlsx")):
        report = import_members(data, name)
        assert report.written and (report.rows, report.created, report.updated, report.invalid,
                                   report.unchanged) == (links, 0, 0, 0, members)
        assert not report.problems and not report.warnings
        assert _table_rows() == before
    # A referent of one entity: only that entity's lines, and they re-import unchanged too.
    ght = db.session.scalar(select(Entity).where(Entity.code == "GHT"))
    scoped = db.session.scalar(select(User).where(User.email == "referent.ght@coop.example"))
    data = _export_as(scoped)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {line[9] for line in lines[1:]} == {"GHT"}
    report = import_members(data, "ght.csv", user=scoped)
    assert (report.created, report.updated, report.invalid) == (0, 0, 0)
    assert report.unchanged == len(lines) - 1 and _table_rows() == before
    assert ght.id in scoped.entity_ids


def _export_as(user) -> bytes:
    """What the CSV download gives this user (the route writes these lines)."""
    from coopcrm.members import exporter
    from coopcrm.members.query import MemberFilter

    out = io.BytesIO()
    write_csv(exporter.rows(user, MemberFilter()), out)
    return out.getvalue()


def test_one_person_on_two_lines_must_agree():
    reference_data()
    report = import_members(csv_bytes(
        row(reference="R1", nom="Martin", email="m@exemple.fr", entite="MFLA"),
        row(reference="G1", nom="Martine", email="m@exemple.fr", entite="GHT"),
    ), "conflit.csv")
    assert report.invalid == 2 and not report.written
    assert {(p.line, p.column) for p in report.problems} == {(2, "nom"), (3, "nom")}
    report = import_members(csv_bytes(
        row(reference="R1", nom="Martin", email="m@exemple.fr", entite="MFLA"),
        row(reference="G1", nom="Martin", email="m@exemple.fr", entite="GHT"),
    ), "deux.csv")
    assert report.written and (report.rows, report.created) == (2, 1)
    links = db.session.execute(db.select(MemberEntity.member_id, MemberEntity.reference)).all()
    assert sorted(r.reference for r in links) == ["G1", "R1"] and len({r[0] for r in links}) == 1
