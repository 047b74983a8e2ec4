"""Member import throughput and memory: 100,000-row CSV and XLSX files.

Throughput: a 100,000-row CSV, end to end, against a bare executemany.

The import (read + parse + check + match + write members, links, share
movements, consent records and audit rows in one transaction) runs on a fresh
database; in the same run, the same members are inserted with one bare
`executemany` into another fresh database of the same kind. SQLite by
default; PostgreSQL when COOPCRM_BENCH_DATABASE_URL names a server database
(the bench creates and drops its own temporary databases there).

Memory: each measure runs in a fresh child process, on a fresh database of the
same kind (SQLite, or PostgreSQL with COOPCRM_BENCH_DATABASE_URL), which reports
its peak resident set (Linux's VmHWM, the kernel's high-water mark of the whole
process; see peak_rss_mb) and its time: the baseline child loads the app and
reads the same file with the csv module alone (or openpyxl's read-only
`iter_rows` for the workbook); the others run the import task's code
(`import_members` on the stored file's path) as a check (dry run) and as the
write. The target: under 300 MB for the whole process.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench._databases import fresh_database

ROWS = int(os.environ.get("COOPCRM_BENCH_IMPORT_ROWS", "100000"))
FIRST = ["Jean", "Marie", "Hélène", "François", "Élodie", "Loïc", "Chloé", "Jérôme", "Amélie",
         "Nicolas", "Sophie", "Mathieu", "Léa", "Benoît", "Céline", "Gaëlle", "Noël", "Inès"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Girard", "Rousseau", "Mercier", "Faure",
        "Blanc", "Guérin", "Muller", "Lévêque", "Boyer", "Garnier", "Chevalier", "Fournier"]
CITIES = [("69001", "Lyon"), ("38000", "Grenoble"), ("42000", "Saint-Étienne"),
          ("73000", "Chambéry"), ("01000", "Bourg-en-Bresse")]
STREETS = ["rue de la République", "avenue Jean Jaurès", "place Bellecour", "chemin des Vignes"]


def make_csv(path: Path, n: int = ROWS) -> None:
    """n valid member rows, French-looking, `;`-separated UTF-8 as Excel would write."""
    rng = random.Random(42)
    start = date(2015, 1, 1)
    lines = [";".join((
        "reference", "civilite", "prenom", "nom", "email", "telephone", "adresse", "code_postal",
        "ville", "entite", "residence", "parcours", "college", "statut",
        "date_signature_reservation", "date_entree_lieux", "nombre_parts", "montant_part",
        "date_souscription", "consentement_newsletter", "consentement_convocation_electronique",
    ))]
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        postal, city = rng.choice(CITIES)
        track = "accession" if i % 3 else "locatif"
        signed = start + timedelta(days=rng.randrange(3500))
        parts = rng.random() < 0.8
        ascii_first = first.translate(str.maketrans("éèëêïîçô", "eeeeiico")).lower()
        ascii_last = last.translate(str.maketrans("éèëêïîçô", "eeeeiico")).lower()
        lines.append(";".join((
            f"R{i:06d}", "Mme" if i % 2 else "M.", first, last,
            f"{ascii_first}.{ascii_last}.{i}@exemple.fr" if i % 10 else "",
            f"06{rng.randrange(10**8):08d}", f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
            postal, city, "MFLA", f"Résidence {i % 20}", track,
            "locataires" if track == "locatif" else "accedants",
            "cooperateur" if parts else "prospect",
            signed.strftime("%d/%m/%Y"),
            (signed + timedelta(days=400)).strftime("%d/%m/%Y") if i % 4 else "",
            "1" if parts else "", "16,00" if parts else "",
            signed.strftime("%d/%m/%Y") if parts else "",
            "oui" if i % 3 else "non", "oui" if i % 5 == 0 else "non",
        )))
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _app(url: str):
    from coopcrm import create_app
    from coopcrm.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
    return app


def _reference_data() -> None:
    from coopcrm.extensions import db
    from coopcrm.members.models import College, Entity, Residence

    entity = Entity(code="MFLA", name="MFLA", share_unit_amount=Decimal("16.00"))
    db.session.add(entity)
    db.session.add_all([College(code="accedants", name="Accédants"),
                        College(code="locataires", name="Locataires")])
    db.session.add_all([Residence(entity=entity, name=f"Résidence {i}") for i in range(20)])
    db.session.commit()


def _bare_insert(url: str, csv_path: Path) -> float:
    """Seconds for one executemany of the file's members, parsed beforehand (not timed)."""
    from sqlalchemy import insert, select

    from coopcrm import clock
    from coopcrm.extensions import db
    from coopcrm.members.importing.read import read_table
    from coopcrm.members.models import Member
    from coopcrm.members.text import search_text
    from coopcrm.members.validation import day, email

    app = _app(url)
    with app.app_context():
        _reference_data()
        table = read_table(csv_path.read_bytes())
        now = clock.now()
        rows = []
        for _line, c in table.rows:
            parts = 1 if c[16] else 0
            rows.append({
                "civility": c[1], "first_name": c[2], "last_name": c[3], "email": email(c[4]),
                "phone": c[5], "address": c[6], "postal_code": c[7], "city": c[8],
                "residence_id": None, "track": c[11], "college_id": None,
                "status": c[13], "share_count": parts,
                "share_amount": Decimal("16.00") * parts,
                "reservation_signed_on": day(c[14]), "moved_in_on": day(c[15]),
                "newsletter_consent": c[19] == "oui",
                "newsletter_consent_dt": now if c[19] == "oui" else None,
                "newsletter_consent_source": "import" if c[19] == "oui" else "",
                "econvocation_consent": c[20] == "oui",
                "econvocation_consent_dt": now if c[20] == "oui" else None,
                "econvocation_consent_source": "import" if c[20] == "oui" else "",
                "email_status": "valid", "search_text": search_text(c[3], c[2], c[4], [c[0]]),
                "created_dt": now, "updated_dt": now,
            })
        start = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(insert(Member.__table__), rows)
        elapsed = time.perf_counter() - start
        assert db.session.scalar(select(db.func.count(Member.id))) == len(rows)
        db.session.remove()
        db.engine.dispose()
    return elapsed


def _import(url: str, csv_path: Path) -> tuple[float, dict]:
    from sqlalchemy import func, select

    from coopcrm.extensions import db
    from coopcrm.members import exporter
    from coopcrm.members.importing.service import import_members
    from coopcrm.members.models import Member, ShareMovement
    from coopcrm.privacy.models import AuditEntry, ConsentRecord

    app = _app(url)
    with app.app_context():
        _reference_data()
        start = time.perf_counter()
        report = import_members(csv_path.read_bytes(), csv_path.name)
        elapsed = time.perf_counter() - start
        assert report.written and not report.problems, report.problems[:5]
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Member, ShareMovement, ConsentRecord, AuditEntry)
        }
        start = time.perf_counter()
        again = import_members(csv_path.read_bytes(), csv_path.name)
        reimport = time.perf_counter() - start
        assert again.unchanged == report.rows and again.created == again.updated == 0
        start = time.perf_counter()
        exported = exporter.export_file(str(csv_path.with_name("export.csv")))
        export_s = time.perf_counter() - start
        assert exported == report.rows
        db.session.remove()
        db.engine.dispose()
    return elapsed, {**counts, "reimport_unchanged_s": round(reimport, 2),
                     "export_csv_s": round(export_s, 2)}


def make_xlsx(csv_path: Path, path: Path) -> None:
    """The same rows as a workbook (openpyxl's streaming writer)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with csv_path.open(encoding="utf-8", newline="") as f:
        for cells in csv.reader(f, delimiter=";"):
            sheet.append(cells)
    workbook.save(path)


def _child(mode: str, path: Path, url: str) -> dict:
    """In a fresh process: one measure, as {"peak_rss_mb", "s"} (and what it counted)."""
    out = subprocess.run([sys.executable, "-m", "bench.bench_import", mode, str(path), url],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure(mode: str, path: Path, url: str) -> None:
    """The child's side of _child: print one JSON line."""
    from coopcrm.extensions import db

    app = _app(url)
    with app.app_context():
        if mode.startswith("import"):
            _reference_data()
        start = time.perf_counter()
        counted: dict = {}
        if mode == "baseline":
            if path.suffix == ".xlsx":
                import openpyxl

                workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
                counted["rows"] = sum(1 for _ in workbook.worksheets[0].iter_rows(
                    values_only=True)) - 1
                workbook.close()
            else:
                with path.open(encoding="utf-8", newline="") as f:
                    counted["rows"] = sum(1 for _ in csv.reader(f, delimiter=";")) - 1
        else:
            from coopcrm.members.importing.service import import_members

            report = import_members(path, path.name, dry_run=mode == "import-check")
            assert not report.problems, report.problems[:3]
            counted = {"rows": report.rows, "created": report.created,
                       "written": report.written}
        elapsed = time.perf_counter() - start
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"peak_rss_mb": round(peak_rss_mb()), "s": round(elapsed, 1),
                      **counted}))


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB.

    Linux's VmHWM, reset by exec: ru_maxrss survives execve, so a child started by a big
    parent (the throughput measure above runs in the parent first) would report the
    parent's peak. ru_maxrss where /proc is not there.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _memory(base_url: str | None, tmp: Path, csv_path: Path) -> dict:
    xlsx_path = tmp / "membres.xlsx"
    make_xlsx(csv_path, xlsx_path)
    out: dict = {"xlsx_mb": round(xlsx_path.stat().st_size / 1e6, 1)}
    for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        for mode in ("baseline", "import-check", "import-write"):
            with fresh_database(base_url, tmp, f"mem_{kind}_{mode.replace('-', '_')}") as url:
                out[f"{kind} {mode}"] = _child(mode, path, url)
    worst = max(v["peak_rss_mb"] for k, v in out.items() if "import" in k)
    out["worst_peak_rss_mb (target < 300)"] = worst
    return out


def run() -> dict:
    base_url = os.environ.get("COOPCRM_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv_path = tmp / "membres.csv"
        make_csv(csv_path)
        with fresh_database(base_url, tmp, "import") as url:
            import_s, counts = _import(url, csv_path)
        with fresh_database(base_url, tmp, "bare") as url:
            bare_s = _bare_insert(url, csv_path)
        size_mb = csv_path.stat().st_size / 1e6
        memory = _memory(base_url, tmp, csv_path)
    import_rate, bare_rate = ROWS / import_s, ROWS / bare_s
    return {
        "database": "postgresql" if base_url else "sqlite",
        "rows": ROWS,
        "csv_mb": round(size_mb, 1),
        "import_s": round(import_s, 2),
        "import_rows_per_s": round(import_rate),
        "bare_executemany_s": round(bare_s, 2),
        "bare_executemany_rows_per_s": round(bare_rate),
        "ratio_percent (target >= 25)": round(100 * import_rate / bare_rate, 1),
        "written_and_more": counts,
        "memory (peak RSS of a fresh process; baseline: the csv module / openpyxl alone)":
            memory,
    }


if __name__ == "__main__":
    _measure(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
