"""What an import file may hold (issue 12, findings 7 and 9): caps, zip bombs, encodings, NUL.

Each limit is a setting (COOPCRM_IMPORT_*); beyond it the file is refused as a whole
with one short French message, through the import task like any other file problem.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from coopcrm.members.importing.read import Limits, read_table
from coopcrm.members.importing.service import import_members
from tests.helpers import csrf_token
from tests.members.test_import_support import csv_bytes, reference_data, row, xlsx_bytes
from tests.members.test_import_web import analysed, members, text, upload


def problem(data: bytes, **limits) -> str:
    report = import_members(data, "membres.csv", limits=Limits(**limits) if limits else None)
    assert report.file_problem and not report.written, report.problems[:3]
    return report.problems[0].message


def test_rows_beyond_the_cap_are_refused(app):
    reference_data()
    data = csv_bytes(*(row(reference=f"R{i}", nom="A", entite="MFLA") for i in range(4)))
    app.config["IMPORT_MAX_ROWS"] = 3
    assert problem(data) == ("Le fichier a plus de 3 lignes de coopérateurs : "
                             "découpez-le en plusieurs fichiers.")
    app.config["IMPORT_MAX_ROWS"] = 4
    assert import_members(data, "membres.csv").written and members() == 4


def test_a_million_column_header_gets_a_short_error_page(logged_in):
    reference_data()
    data = (";".join(["colonne"] * 1_000_000) + "\r\nA\r\n").encode()
    response, _ = analysed(logged_in, data)
    assert response.status_code == 422
    body = text(response)
    assert "La ligne d'en-tête a 1\xa0000\xa0000 colonnes : au plus 200." in body
    assert len(response.get_data()) < 30_000


def test_a_data_line_wider_than_the_cap_is_refused(app):
    reference_data()
    data = csv_bytes(row(reference="R1", nom="A", entite="MFLA") + ";x" * 300)
    assert problem(data).startswith("Ligne 2 : 321 colonnes, au plus 200")


def test_a_cell_longer_than_the_cap_is_refused(app):
    reference_data()
    app.config["IMPORT_MAX_CELL_CHARS"] = 10
    data = csv_bytes("R1;Marie-Hélène;A;MFLA", header="reference;prenom;nom;entite")
    assert problem(data) == "Ligne 2, colonne 2 : la cellule a 12 caractères, au plus 10."
    huge = csv_bytes("R1;" + "x" * 200_000, header="reference;nom")
    assert "une cellule dépasse" in problem(huge) or "la cellule a" in problem(huge)
    sheet = xlsx_bytes([["reference", "nom", "entite"], ["R1", "y" * 11, "MFLA"]])
    assert problem(sheet) == "Ligne 2, colonne 2 : la cellule a 11 caractères, au plus 10."


def test_a_file_over_the_size_cap_is_refused():
    data = csv_bytes(row(reference="R1", nom="A", entite="MFLA"))
    assert "dépasse la taille maximale autorisée" in problem(data, max_bytes=len(data) - 1)


def _bomb(megabytes: int = 40) -> bytes:
    """A real workbook whose sheet, padded with blanks, inflates ~1000 times its size."""
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["nom", "entite"], ["Martin", "MFLA"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in good.infolist():
            data = good.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info, data)
                continue
            with bomb.open(info.filename, "w") as sheet:
                head, tail = data.split(b"<sheetData>")
                sheet.write(head + b"<sheetData>")
                blank = b" " * (1024 * 1024)
                for _ in range(megabytes):
                    sheet.write(blank)
                sheet.write(tail)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(app, monkeypatch):
    import openpyxl

    reference_data()
    bomb = _bomb()
    assert len(bomb) < 200_000
    monkeypatch.setattr(openpyxl, "load_workbook",
                        lambda *a, **k: pytest.fail("openpyxl opened the bomb"))
    message = problem(bomb)
    assert message.startswith("Le classeur est anormalement compressé "
                              "(xl/worksheets/sheet1.xml :")


def test_a_workbook_too_big_once_decompressed_is_refused(app, logged_in):
    reference_data()
    app.config["IMPORT_MAX_XLSX_MB"] = 1
    rows = [["reference", "nom", "entite", "adresse"]]
    rows += [[f"R{i}", f"Nom {i}", "MFLA", f"{i} rue {i * 7919 % 10007}"] for i in range(12_000)]
    response, _ = analysed(logged_in, xlsx_bytes(rows), "gros.xlsx")
    assert response.status_code == 422
    assert "Le classeur décompressé pèse" in text(response) and "au plus 1,0 Mo" in text(response)


def test_mixed_utf8_and_cp1252_lines_name_the_first_bad_line(logged_in):
    reference_data()
    data = (csv_bytes(row(reference="R1", nom="Hélène", entite="MFLA"),
                      row(reference="R2", nom="Martin", entite="MFLA"))
            + row(reference="R3", nom="Gaëlle", entite="MFLA").encode("cp1252") + b"\r\n")
    response, _ = analysed(logged_in, data)
    assert response.status_code == 422
    assert "Ligne 4 : encodage incohérent" in text(response)
    assert members() == 0


def test_a_bom_file_with_a_cp1252_line_is_refused_too():
    reference_data()
    data = (b"\xef\xbb\xbf" + csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"))
            + row(reference="R2", nom="Noël", entite="MFLA").encode("cp1252") + b"\r\n")
    assert problem(data).startswith("Ligne 3 : encodage incohérent")


def test_a_cp1252_file_alone_is_still_read():
    reference_data()
    data = csv_bytes(row(reference="R1", nom="Lévêque", entite="MFLA"), encoding="cp1252")
    table = read_table(data)
    assert [cells[3] for _, cells in table.rows] == ["Lévêque"]


def test_a_nul_byte_after_64_kb_is_refused_with_its_line(logged_in):
    reference_data()
    lines = [row(reference=f"R{i}", nom=f"Nom{i}", entite="MFLA") for i in range(2000)]
    data = csv_bytes(*lines)
    assert len(data) > 65536
    data += row(reference="RX", nom="Nul\x00", entite="MFLA").encode() + b"\r\n"
    response, task_url = analysed(logged_in, data)
    assert response.status_code == 422
    assert "Ligne 2002 : caractère nul" in text(response)
    # Nothing can be confirmed: the check failed, nothing is written on either database.
    resp = logged_in.post(task_url + "/confirmer",
                          data={"csrf_token": csrf_token(logged_in, "/import")})
    assert resp.status_code == 302 and members() == 0


def test_the_upload_itself_reads_nothing(app, logged_in, monkeypatch):
    from coopcrm.members.importing import read

    monkeypatch.setattr(read, "read_table", lambda *a, **k: pytest.fail("read in the request"))
    assert upload(logged_in, _bomb(2)).status_code == 303
