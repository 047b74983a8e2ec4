"""Member import: formats, matching, all-or-nothing, re-import, bad input (service level)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.members.importing.service import import_members
from coopcrm.members.models import Member, MemberEntity, ShareMovement
from coopcrm.privacy.models import AuditEntry, ConsentRecord
from tests import factories
from tests.members.test_import_support import csv_bytes, reference_data, row, xlsx_bytes

FULL = row(reference="R-001", civilite="Mme", prenom="Hélène", nom="Lefèvre",
           email="Helene.Lefevre@Exemple.FR", telephone="0612345678", adresse="3 rue Neuve",
           code_postal="69001", ville="Lyon", entite="MFLA", residence="les annonciades",
           parcours="accession", college="Accédants", statut="cooperateur",
           date_signature_reservation="15/03/2024", date_entree_lieux="2025-01-10",
           nombre_parts="2", montant_part="16,00", date_souscription="20/03/2024",
           consentement_newsletter="oui", consentement_convocation_electronique="non")

CITY = Member.__table__.c.city.type.length
REFERENCE = MemberEntity.__table__.c.reference.type.length


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def only_member() -> Member:
    db.session.expire_all()
    return db.session.scalars(select(Member)).one()


def test_full_row_creates_member_link_share_consent_and_audit():
    reference_data()
    report = import_members(csv_bytes(FULL), "membres.csv")
    assert report.written and (report.created, report.updated, report.invalid) == (1, 0, 0)
    m = only_member()
    assert (m.civility, m.first_name, m.last_name, m.email) == (
        "Mme", "Hélène", "Lefèvre", "helene.lefevre@exemple.fr")
    assert (m.phone, m.address, m.postal_code, m.city) == (
        "0612345678", "3 rue Neuve", "69001", "Lyon")
    assert m.residence.name == "Les Annonciades" and m.college.code == "accedants"
    assert m.reservation_signed_on == date(2024, 3, 15) and m.moved_in_on == date(2025, 1, 10)
    assert m.references == "MFLA R-001"
    assert (m.status, m.share_count, m.share_amount) == ("cooperateur", 2, Decimal("32.00"))
    movement = db.session.scalars(select(ShareMovement)).one()
    assert (movement.kind, movement.quantity, movement.unit_amount, movement.occurred_on) == (
        "subscription", 2, Decimal("16.00"), date(2024, 3, 20))
    assert m.newsletter_consent and not m.econvocation_consent
    assert m.newsletter_consent_source == "import membres.csv" and m.newsletter_consent_dt
    consent = db.session.scalars(select(ConsentRecord)).one()
    assert (consent.kind, consent.granted, consent.source) == (
        "newsletter", True, "import membres.csv")
    audit = db.session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.member_id, audit.actor) == ("import", m.id, "import")
    assert audit.changes["last_name"] == [None, "Lefèvre"]
    assert m.search_text == "lefevre helene helene.lefevre@exemple.fr r-001"


def test_unit_amount_and_date_default_to_entity_and_signature():
    reference_data()
    import_members(csv_bytes(row(reference="G1", nom="Durand", entite="GHT", nombre_parts="1",
                                 date_signature_reservation="01/02/2023")), "f.csv")
    movement = db.session.scalars(select(ShareMovement)).one()
    assert (movement.unit_amount, movement.occurred_on) == (Decimal("20.00"), date(2023, 2, 1))


@pytest.mark.parametrize("sep,encoding", [
    (";", "utf-8"), (",", "utf-8"), (";", "utf-8-sig"), (",", "utf-8-sig"), (";", "cp1252"),
])
def test_csv_separators_and_encodings(sep, encoding):
    reference_data()
    data = csv_bytes(row(reference="R1", prenom="Hélène", nom="Lefèvre", entite="MFLA",
                         ville="Saint-Étienne"), sep=sep, encoding=encoding)
    if encoding == "cp1252":
        assert "Hélène".encode("cp1252") in data  # really Windows-1252 bytes, not UTF-8
    report = import_members(data, "f.csv")
    assert report.written, report.problems
    m = only_member()
    assert (m.first_name, m.last_name, m.city) == ("Hélène", "Lefèvre", "Saint-Étienne")


def test_quoted_cells_with_separators_inside():
    reference_data()
    data = csv_bytes('R1,Mme,Anne,"Martin, épouse Roux",,,"12, rue des Lilas",,,MFLA',
                     header="reference,civilite,prenom,nom,email,telephone,adresse,"
                            "code_postal,ville,entite")
    assert import_members(data, "f.csv").written
    m = only_member()
    assert (m.last_name, m.address) == ("Martin, épouse Roux", "12, rue des Lilas")


def test_xlsx_with_accented_headers_dates_and_numbers():
    reference_data()
    data = xlsx_bytes([
        ["Référence", "Prénom", "NOM", "E-mail", "Entité", "DATE_SIGNATURE_RESERVATION",
         "Date entrée lieux", "Code postal", "Nombre parts", "Consentement newsletter"],
        ["R7", "Loïc", "Guérin", "loic@exemple.fr", "mfla", date(2024, 5, 2), "03/06/2025",
         69003, 1, "OUI"],
        [None] * 10,  # Excel's trailing empty rows are skipped
    ])
    report = import_members(data, "membres.csv")  # the content decides, not the name
    assert report.written, report.problems
    m = only_member()
    assert (m.first_name, m.last_name, m.email, m.postal_code) == (
        "Loïc", "Guérin", "loic@exemple.fr", "69003")
    assert (m.reservation_signed_on, m.moved_in_on) == (date(2024, 5, 2), date(2025, 6, 3))
    assert m.share_count == 1 and m.newsletter_consent


def test_header_matching_ignores_case_accents_and_spaces():
    reference_data()
    data = csv_bytes("R1;Élodie;Léger;MFLA;2024-01-31;OUI",
                     header="RÉFÉRENCE;Prénom; Nom ;entité;Date Signature Réservation;"
                            "Consentement_Newsletter")
    assert import_members(data, "f.csv").written
    m = only_member()
    assert (m.first_name, m.last_name, m.reservation_signed_on, m.newsletter_consent) == (
        "Élodie", "Léger", date(2024, 1, 31), True)


def test_all_or_nothing_lists_every_problem_by_line_and_column():
    reference_data()
    data = csv_bytes(
        row(reference="OK1", nom="Valide", entite="MFLA"),
        row(reference="B1", nom="Mauvais", email="pas-un-email", entite="MFLA",
            date_signature_reservation="31/02/2024"),
        row(reference="B2", nom="Inconnu", entite="XYZ"),
        row(reference="B3", nom="Perdu", entite="MFLA", college="inconnu", residence="Nulle part",
            parcours="achat", consentement_newsletter="peut-être", nombre_parts="-1"),
        row(reference="B4", entite="MFLA"),
    )
    report = import_members(data, "f.csv")
    assert not report.written and report.blocked
    assert count(Member) == 0 and count(AuditEntry) == 0
    assert (report.rows, report.invalid, report.created) == (5, 4, 1)
    found = {(p.line, p.column) for p in report.problems}
    assert {(3, "email"), (3, "date_signature_reservation"), (4, "entite"), (5, "college"),
            (5, "residence"), (5, "parcours"), (5, "consentement_newsletter"),
            (5, "nombre_parts"), (6, "nom")} <= found
    messages = " ".join(p.message for p in report.problems)
    assert "« pas-un-email » n'est pas une adresse email valide" in messages
    assert "« 31/02/2024 » n'est pas une date valide" in messages
    assert "Entité « XYZ » inconnue" in messages
    assert "Résidence « Nulle part » inconnue dans l'entité MFLA" in messages


def test_dry_run_writes_nothing():
    reference_data()
    report = import_members(csv_bytes(FULL), "f.csv", dry_run=True)
    assert (report.created, report.written) == (1, False)
    assert count(Member) == count(ShareMovement) == count(ConsentRecord) == count(AuditEntry) == 0


def test_skip_invalid_writes_the_valid_rows_and_reports_the_others():
    reference_data()
    data = csv_bytes(row(reference="A", nom="Bon", entite="MFLA"),
                     row(reference="B", nom="Faux", email="x@", entite="MFLA"))
    report = import_members(data, "f.csv", skip_invalid=True)
    assert report.written and (report.created, report.invalid) == (1, 1)
    assert [(p.line, p.column) for p in report.problems] == [(3, "email")]
    assert only_member().last_name == "Bon"


def test_default_entity_and_matching_by_reference_then_email():
    mfla, ght = reference_data()
    by_ref = factories.member(mfla, "R1", last_name="Ancien", email="a@exemple.fr", phone="01")
    by_email = factories.member(ght, "G1", last_name="Autre", email="b@exemple.fr")
    data = csv_bytes("R1;Ancien;a@exemple.fr;0699", "R2;Autre;B@EXEMPLE.FR;", "R3;Nouveau;;",
                     header=HEADER_NO_ENTITY)
    report = import_members(data, "f.csv", entity_code="mfla")
    assert report.written, report.problems
    assert (report.created, report.updated, report.unchanged) == (1, 2, 0)
    db.session.expire_all()
    assert db.session.get(Member, by_ref.id).phone == "0699"
    links = dict(db.session.execute(select(MemberEntity.entity_id, MemberEntity.reference)
                                    .where(MemberEntity.member_id == by_email.id)).all())
    assert links == {ght.id: "G1", mfla.id: "R2"}
    assert "r2" in db.session.get(Member, by_email.id).search_text
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == by_ref.id,
                                                        AuditEntry.action == "import")).one()
    assert audit.changes == {"phone": ["01", "0699"]} and audit.action == "import"


HEADER_NO_ENTITY = "reference;nom;email;telephone"


def test_email_of_a_member_with_another_reference_is_refused():
    mfla, _ = reference_data()
    factories.member(mfla, "R1", email="a@exemple.fr")
    report = import_members(csv_bytes(row(reference="R9", nom="X", email="a@exemple.fr",
                                          entite="MFLA")), "f.csv")
    assert not report.written
    assert "a déjà la référence « R1 » dans l'entité MFLA" in report.problems[0].message


def test_reimporting_the_same_file_changes_nothing():
    reference_data()
    data = csv_bytes(FULL, row(reference="R-002", nom="Martin", entite="GHT",
                               consentement_convocation_electronique="oui", nombre_parts="1"))
    first = import_members(data, "f.csv")
    assert first.created == 2
    before = [count(m) for m in (Member, MemberEntity, ShareMovement, ConsentRecord, AuditEntry)]
    updated_dt = {m.id: m.updated_dt for m in db.session.scalars(select(Member))}
    again = import_members(data, "f.csv")
    assert again.written and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    after = [count(m) for m in (Member, MemberEntity, ShareMovement, ConsentRecord, AuditEntry)]
    assert after == before
    db.session.expire_all()
    assert {m.id: m.updated_dt for m in db.session.scalars(select(Member))} == updated_dt


def test_consent_change_on_update_is_recorded_once():
    mfla, _ = reference_data()
    factories.member(mfla, "R1", last_name="Durand")
    data = csv_bytes(row(reference="R1", nom="Durand", entite="MFLA",
                         consentement_convocation_electronique="oui"))
    assert import_members(data, "maj.csv").updated == 1
    records = db.session.scalars(select(ConsentRecord)).all()
    assert [(r.kind, r.granted, r.source) for r in records] == [("econvocation", True,
                                                                  "import maj.csv")]
    assert import_members(data, "maj.csv").unchanged == 1
    assert count(ConsentRecord) == 1


def test_blank_cells_keep_existing_values():
    mfla, _ = reference_data()
    factories.member(mfla, "R1", last_name="Durand", phone="0102030405", city="Lyon")
    report = import_members(csv_bytes(row(reference="R1", nom="Durand", entite="MFLA")), "f.csv")
    assert report.unchanged == 1
    m = only_member()
    assert (m.phone, m.city) == ("0102030405", "Lyon")


def test_status_follows_the_share_register():
    mfla, _ = reference_data()
    report = import_members(csv_bytes(row(reference="R1", nom="Sans", entite="MFLA",
                                          statut="cooperateur")), "f.csv")
    assert not report.written
    assert "au moins une part" in report.problems[0].message
    holder = factories.member(mfla, "R2", last_name="Avec")
    from coopcrm.members import shares

    shares.record(holder, "subscription", 1, date(2024, 1, 1))
    db.session.commit()
    report = import_members(csv_bytes(row(reference="R2", nom="Avec", entite="MFLA",
                                          nombre_parts="5", statut="prospect")), "f.csv")
    assert report.written and report.unchanged == 1
    assert {p.column for p in report.warnings} == {"nombre_parts", "statut"}
    assert count(ShareMovement) == 1


def test_scoped_referent_imports_only_into_their_entities():
    mfla, ght = reference_data()
    referent = factories.user(entities=[mfla])
    data = csv_bytes(row(reference="R1", nom="A", entite="MFLA"),
                     row(reference="G1", nom="B", entite="GHT"))
    report = import_members(data, "f.csv", user=referent)
    assert not report.written
    assert [(p.line, p.message) for p in report.problems] == [
        (3, "Vous ne gérez pas l'entité GHT.")]
    assert import_members(data, "f.csv", user=referent, entity_code="GHT").problems[0].message \
        == "Vous ne gérez pas l'entité GHT."


def test_a_scoped_referent_cannot_pull_another_entitys_member_in_by_email():
    mfla, ght = reference_data()
    other = factories.member(ght, reference="G1", email="paul.martin@exemple.fr")
    referent = factories.user(entities=[mfla])
    data = csv_bytes(row(reference="R9", nom="Martin", email="paul.martin@exemple.fr",
                         entite="MFLA"))
    report = import_members(data, "f.csv", user=referent)
    assert not report.written
    [problem] = report.problems
    assert problem.column == "email" and "autre entité" in problem.message
    assert [link.entity_id for link in db.session.get(Member, other.id).entity_links] == [ght.id]
    admin = factories.user(role="admin", all_entities=True)
    assert import_members(data, "f.csv", user=admin).written  # an admin links them


@pytest.mark.parametrize("lines,column,message", [
    ([row(reference="R1", nom="A", entite="MFLA"), row(reference="R1", nom="B", entite="MFLA")],
     "reference", "Référence « R1 » en double dans le fichier (aussi ligne 3)"),
    ([row(reference="R1", nom="A", email="x@exemple.fr", entite="MFLA"),
      row(reference="R2", nom="B", email="X@exemple.fr", entite="MFLA")],
     "email", "Email « x@exemple.fr » en double dans le fichier (aussi ligne 3)"),
    ([row(nom="Anonyme", entite="MFLA")], "reference", "Indiquez une référence ou un email"),
    ([row(reference="R1", nom="A", entite="MFLA", date_souscription="01/01/2999",
          nombre_parts="1")], "date_souscription", "dans le futur"),
    # The limits are the columns' lengths (100 and 60 today).
    ([row(reference="R1", nom="A", entite="MFLA", ville="x" * (CITY + 1))],
     "ville", f"{CITY} caractères au maximum."),
    ([row(reference="R" * (REFERENCE + 1), nom="A", entite="MFLA")],
     "reference", f"{REFERENCE} caractères au maximum."),
])
def test_bad_rows(lines, column, message):
    reference_data()
    report = import_members(csv_bytes(*lines), "f.csv")
    assert not report.written and count(Member) == 0
    assert any(p.column == column and message in p.message for p in report.problems), \
        report.problems


@pytest.mark.parametrize("data,message", [
    (b"", "Le fichier est vide."),
    (b"\r\n  \r\n", "Le fichier est vide."),
    (HEADER_NO_ENTITY.encode() + b"\r\n", "ne contient que la ligne d'en-tête"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00stream",
     "ni un fichier CSV"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ni un fichier CSV"),
    (b"PK\x03\x04not really a zip", "n'a pas pu être lu"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
    (b"prenom;email\r\nAnne;a@exemple.fr\r\n",
     "Colonne(s) obligatoire(s) absente(s) de l'en-tête : nom"),
    (b"nom;email\r\nMartin;a@exemple.fr\r\n", "entite (ou choisissez l'entité"),
    (b"Lorem ipsum dolor sit amet\nconsectetur adipiscing elit\n", "ni un fichier CSV"),
    (b"nom;nom\r\nA;B\r\n", "apparaît deux fois"),
])
def test_unusable_files_are_refused_with_a_french_message(data, message):
    reference_data()
    report = import_members(data, "membres.csv")
    assert report.file_problem and not report.written
    assert message in report.problems[0].message, report.problems


def test_a_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    report = import_members(out.getvalue(), "membres.xlsx")
    assert "ni un fichier CSV ni un classeur Excel" in report.problems[0].message


def test_unknown_default_entity_and_oversized_file():
    reference_data()
    data = csv_bytes(row(reference="R1", nom="A"))
    assert import_members(data, "f.csv", entity_code="NOPE").problems[0].message == \
        "Entité « NOPE » inconnue."
    report = import_members(data, "f.csv", max_bytes=10)
    assert "dépasse la taille maximale" in report.problems[0].message


def test_plain_email_fast_path_agrees_with_email_validator():
    from email_validator import EmailNotValidError, validate_email

    from coopcrm.members import validation

    samples = ["a@b.fr", "Jean.Dupont@Orange.FR", "a..b@x.fr", ".a@x.fr", "a.@x.fr",
               "a@-x.fr", "a@x-.fr", "a@x..fr", "a@x.f", "a@x.123", "a@ab--cd.fr", "a@x.test",
               "a@x.local", "a+tag@x.fr", "a_b-c@sous.domaine.fr", "a@" + "x" * 63 + ".fr",
               "a@" + "x" * 64 + ".fr", "x" * 65 + "@x.fr", "a@x.fr.", "é@x.fr", "a@b"]
    for value in samples:
        try:
            expected = validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            expected = None
        try:
            got = validation.email(value)
        except validation.FieldError:
            got = None
        assert got == expected, value
