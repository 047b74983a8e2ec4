"""`coopcrm members import|export` through Flask's CLI runner (the `cli` fixture)."""

from __future__ import annotations

from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.members.models import Member
from tests.members.test_import_support import csv_bytes, reference_data, row


def members() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Member.id)))


def test_import_dry_run_then_for_real(cli, tmp_path):
    reference_data()
    path = tmp_path / "membres.csv"
    path.write_bytes(csv_bytes(row(reference="R1", nom="Martin", prenom="Hélène"),
                               row(reference="R2", nom="Bernard")))
    result = cli("members", "import", str(path), "--entity", "MFLA", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "à créer : 2" in result.output and "Simulation (--dry-run)" in result.output
    assert members() == 0
    result = cli("members", "import", str(path), "--entity", "MFLA")
    assert result.exit_code == 0 and "Import enregistré : 2 créé(s)" in result.output
    assert members() == 2


def test_invalid_rows_block_unless_skip_invalid(cli, tmp_path):
    reference_data()
    path = tmp_path / "membres.csv"
    path.write_bytes(csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"),
                               row(reference="R2", nom="Faux", entite="MFLA",
                                   date_entree_lieux="31/02/2024")))
    result = cli("members", "import", str(path))
    assert result.exit_code == 1
    assert ("Ligne 3, colonne date_entree_lieux : « 31/02/2024 » n'est pas une date valide"
            in result.output)
    assert "Rien n'a été enregistré" in result.output and members() == 0
    result = cli("members", "import", str(path), "--skip-invalid")
    assert result.exit_code == 0 and members() == 1


def test_file_over_the_upload_limit_is_refused(app, cli, tmp_path):
    reference_data()
    path = tmp_path / "enorme.csv"
    with path.open("wb") as f:
        f.write(b"nom;entite\r\n")
        f.write(b"Martin;MFLA\r\n" * (50 * 1024 * 1024 // 13 + 1))
    assert path.stat().st_size > 50 * 1024 * 1024 > app.config["MAX_CONTENT_LENGTH"]
    result = cli("members", "import", str(path))
    assert result.exit_code != 0
    assert "dépasse la taille maximale autorisée" in result.output and members() == 0


def test_not_a_table_is_refused(cli, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    result = cli("members", "import", str(path))
    assert result.exit_code == 1 and "ni un fichier CSV ni un classeur Excel" in result.output


def test_export_then_reimport_is_unchanged(cli, tmp_path):
    reference_data()
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes(
        row(reference="R1", nom="Martin", prenom="Élodie", email="e@exemple.fr", entite="MFLA",
            residence="Les Annonciades", college="accedants", nombre_parts="1",
            date_signature_reservation="02/03/2024", consentement_newsletter="oui"),
        row(reference="G1", nom="Bernard", entite="GHT", parcours="locatif", statut="ancien")))
    assert cli("members", "import", str(source)).exit_code == 0
    for name in ("out.csv", "out.xlsx"):
        out = tmp_path / name
        result = cli("members", "export", str(out))
        assert result.exit_code == 0 and "2 coopérateur(s) exporté(s)" in result.output
        result = cli("members", "import", str(out))
        assert result.exit_code == 0, result.output
        assert "inchangés : 2" in result.output and "mettre à jour : 0" in result.output
    result = cli("members", "export", str(tmp_path / "ght.csv"), "--entity", "ght")
    assert "1 coopérateur(s) exporté(s)" in result.output
    result = cli("members", "export", str(tmp_path / "out.pdf"))
    assert result.exit_code != 0 and "doit finir par .csv ou .xlsx" in result.output
