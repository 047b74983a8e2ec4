"""`coopcrm members export` then `members import` of that file changes nothing, for every member.

Run as a user runs it: the console script in subprocesses, on a fresh database
(`db upgrade`, `seed demo`), CSV and XLSX, members linked to several entities
included; the files are read whole and parsed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from coopcrm.members.importing.read import COLUMNS
from coopcrm.spreadsheet import FORMULA_STARTS
from tests.members.roundtrip_support import FreshBase

HOSTILE = {
    "reference": "=1+1", "prenom": "'=déjà neutralisé", "nom": "=HYPERLINK(\"http://x.example\")",
    "telephone": "+33 6 12 34 56 78", "adresse": "-1 rue du Port", "ville": "@SUM(A1:A9)",
    "email": "hostile@exemple.example", "entite": "GHT",
}
# Names starting with the other formula characters, and an apostrophe before one.
HOSTILE_NAMES = {
    "reference": "@R-2", "prenom": "-Jeanne", "nom": "@Dupont-Lefèvre",
    "telephone": "-", "adresse": "=2 rue Neuve", "ville": "+Lyon",
    "email": "hostile2@exemple.example", "entite": "MFLA",
}


@pytest.fixture
def base(tmp_path):
    fresh = FreshBase(tmp_path)
    yield fresh
    fresh.close()


def _csv_lines(path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert tuple(lines[0]) == COLUMNS
    assert all(len(line) == len(COLUMNS) for line in lines)
    return [dict(zip(COLUMNS, line, strict=True)) for line in lines[1:]]


def _xlsx_lines(path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(re.search(rb"<f[ >]", archive.read(n)) for n in sheets), \
            "no formula stored"
    book = load_workbook(path)  # formulas would show as such without data_only
    rows = list(book.worksheets[0].iter_rows())
    assert tuple(c.value for c in rows[0]) == COLUMNS
    assert all(c.data_type != "f" for row in rows for c in row)
    return [{k: ("" if c.value is None else c.value) for k, c in zip(COLUMNS, row, strict=True)}
            for row in rows[1:]]


def _check_lines(lines: list[dict], base: FreshBase) -> None:
    """One line per entity link; a residence only on its own entity's line; no live formula."""
    assert len(lines) == base.scalar("SELECT count(*) FROM member_entities")
    for line in lines:
        for value in line.values():
            if isinstance(value, str) and value[:1] in FORMULA_STARTS:
                raise AssertionError(f"formula-like cell left live: {value!r}")
    with base.engine.connect() as conn:
        own = set(conn.execute(text(
            "SELECT e.code, r.name FROM residences r JOIN entities e ON e.id = r.entity_id")))
    assert all((line["entite"], line["residence"]) in own for line in lines if line["residence"])
    by_person = defaultdict(set)
    for line in lines:
        by_person[(line["nom"], line["prenom"], line["email"], line["date_signature_reservation"],
                   line["adresse"])].add(line["entite"])
    assert any(len(entities) == 2 for entities in by_person.values()), \
        "the demo has members linked to both entities"


def _report(output: str) -> dict[str, int]:
    found = dict(re.findall(r"^  (à créer|à mettre à jour|inchangés|invalides) : (\d+)$",
                            output, re.M))
    read = re.search(r"(\d+) ligne\(s\) lue\(s\)", output)
    return {**{k: int(v) for k, v in found.items()}, "lues": int(read.group(1))}


def _roundtrip(base: FreshBase, name: str) -> list[dict]:
    members = base.scalar("SELECT count(*) FROM members WHERE anonymised_dt IS NULL")
    links = base.scalar("SELECT count(*) FROM member_entities")
    out = base.tmp / name
    exported = base.run("members", "export", str(out))
    assert f"{members} coopérateur(s) exporté(s)" in exported.stdout
    lines = _csv_lines(out) if name.endswith(".csv") else _xlsx_lines(out)
    _check_lines(lines, base)
    before = base.snapshot()
    for dry in (True, False):
        done = base.run("members", "import", str(out), *(["--dry-run"] if dry else []))
        assert _report(done.stdout) == {"lues": links, "à créer": 0, "à mettre à jour": 0,
                                        "inchangés": members, "invalides": 0}, done.stdout
        assert "Ligne" not in done.stdout, done.stdout  # no problem, no warning
        assert ("Simulation" in done.stdout) == dry
        if not dry:
            assert "Import enregistré : 0 créé(s), 0 mis à jour." in done.stdout
        assert base.snapshot() == before
    return lines


def test_demo_export_reimports_unchanged_csv_and_xlsx_with_hostile_values(base, tmp_path):
    base.run("db", "upgrade")
    base.run("seed", "demo", "--members", "300")
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(";".join(HOSTILE) + "\n" + "".join(";".join(
        f'"{v}"' if '"' in v else v for v in (v.replace('"', '""') for v in line.values()))
        + "\n" for line in (HOSTILE, HOSTILE_NAMES)), encoding="utf-8")
    added = base.run("members", "import", str(hostile))
    assert "Import enregistré : 2 créé(s)" in added.stdout, added.stdout
    stored = base.scalar("SELECT first_name || '|' || last_name || '|' || phone || '|' || city "
                         "FROM members WHERE email = 'hostile@exemple.example'")
    # A leading apostrophe before a formula is the neutralising mark: read as the text after it.
    assert stored == ("=déjà neutralisé|=HYPERLINK(\"http://x.example\")|+33 6 12 34 56 78"
                      "|@SUM(A1:A9)")

    for name in ("out.csv", "out.xlsx"):
        lines = _roundtrip(base, name)
        mine = [line for line in lines if line["email"] == "hostile@exemple.example"]
        assert len(mine) == 1
        assert (mine[0]["reference"], mine[0]["prenom"], mine[0]["nom"], mine[0]["telephone"],
                mine[0]["adresse"], mine[0]["ville"]) == (
            "'=1+1", "'=déjà neutralisé", "'=HYPERLINK(\"http://x.example\")",
            "'+33 6 12 34 56 78", "'-1 rue du Port", "'@SUM(A1:A9)")
        [names] = [line for line in lines if line["email"] == "hostile2@exemple.example"]
        assert {k: names[k] for k in HOSTILE_NAMES if k not in ("email", "entite")} == {
            k: "'" + v for k, v in HOSTILE_NAMES.items() if k not in ("email", "entite")}
    stored = base.scalar("SELECT first_name || '|' || last_name || '|' || phone || '|' || "
                         "address || '|' || city FROM members "
                         "WHERE email = 'hostile2@exemple.example'")
    assert stored == "-Jeanne|@Dupont-Lefèvre|-|=2 rue Neuve|+Lyon"  # the roundtrips kept it


def test_full_demo_every_member_round_trips(base):
    """All 2,000 demo members, those linked to both entities included (33 of them)."""
    base.run("db", "upgrade")
    base.run("seed", "demo")
    assert base.scalar("SELECT count(*) FROM members") == 2000
    several = base.scalar("SELECT count(*) FROM (SELECT member_id FROM member_entities "
                          "GROUP BY member_id HAVING count(*) > 1) AS t")
    assert several >= 30
    for name in ("full.csv", "full.xlsx"):
        _roundtrip(base, name)


def test_entity_export_reimports_unchanged(base):
    base.run("db", "upgrade")
    base.run("seed", "demo", "--members", "300")
    out = base.tmp / "mfla.csv"
    base.run("members", "export", str(out), "--entity", "MFLA")
    lines = _csv_lines(out)
    assert lines and {line["entite"] for line in lines} == {"MFLA"}
    before = base.snapshot()
    done = base.run("members", "import", str(out))
    report = _report(done.stdout)
    assert (report["à créer"], report["à mettre à jour"], report["invalides"]) == (0, 0, 0)
    assert report["inchangés"] == len(lines) and base.snapshot() == before
