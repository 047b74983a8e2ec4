"""`coopcrm backup` and `coopcrm restore` of the demo, at 2,000 and 100,000 members.

For each size in COOPCRM_BENCH_BACKUP_MEMBERS (default "2000,100000"), a fresh
database gets `db upgrade`, `seed reference` and `seed demo --members N` (timed:
it is how the data is made, and how long it takes is a figure too), then
`coopcrm backup` to a file and `coopcrm restore` of that file into a second
fresh database, both run as an operator runs them (console script in a
subprocess). Each is reported twice: the command's wall time (interpreter and
app start included) and the duration the command itself prints. The restored
database must hold as many members and moments as the source. SQLite by
default; PostgreSQL when COOPCRM_BENCH_DATABASE_URL names a server (the bench
creates and drops its own h_backup_bench_* databases there).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.databases import throwaway_database

SIZES = [int(n) for n in os.environ.get("COOPCRM_BENCH_BACKUP_MEMBERS", "2000,100000").split(",")]
COOPCRM = str(Path(sys.executable).parent / "coopcrm")
PREFIX = "h_backup_bench"  # its databases, told apart from the other benches' on a shared server


def _coopcrm(url: str, tmp: Path, *args: str) -> tuple[float, str]:
    env = dict(os.environ, COOPCRM_DATABASE_URL=url, COOPCRM_INSTANCE_PATH=str(tmp),
               COOPCRM_SECRET_KEY="bench-secret-key")
    start = time.perf_counter()
    result = subprocess.run([COOPCRM, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode:
        raise RuntimeError(f"coopcrm {' '.join(args)}: {result.stderr.strip()}")
    return elapsed, result.stdout


def _printed_seconds(output: str) -> float:
    return float(re.search(r", ([\d,]+) s, ", output).group(1).replace(",", "."))


def _counts(url: str) -> dict:
    """Rows of every table (the names come from our own fresh database)."""
    from sqlalchemy import create_engine, inspect, text

    from coopcrm.config import _database_url

    engine = create_engine(_database_url(url, ""))
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"'))
                  for t in inspect(conn).get_table_names()}
    engine.dispose()
    return counts


def _one_size(base_url: str | None, tmp: Path, members: int) -> dict:
    with throwaway_database(tmp, f"src{members}", server=base_url, prefix=PREFIX) as source, \
            throwaway_database(tmp, f"dst{members}", server=base_url, prefix=PREFIX) as target:
        _coopcrm(source, tmp, "db", "upgrade")
        _coopcrm(source, tmp, "seed", "reference")
        seed_s, _ = _coopcrm(source, tmp, "seed", "demo", "--members", str(members))
        startup_s, _ = _coopcrm(source, tmp, "outbox", "status")
        path = tmp / f"backup-{members}"
        backup_s, backup_out = _coopcrm(source, tmp, "backup", str(path))
        restore_s, restore_out = _coopcrm(target, tmp, "restore", str(path))
        rows = _counts(source)
        assert _counts(target) == rows, "the restored database differs from the source"
        return {
            "seed_demo_s": round(seed_s, 1),
            "app_start_s (coopcrm outbox status)": round(startup_s, 2),
            "backup_wall_s": round(backup_s, 2),
            "backup_printed_s": _printed_seconds(backup_out),
            "restore_wall_s": round(restore_s, 2),
            "restore_printed_s": _printed_seconds(restore_out),
            "file_mb": round(path.stat().st_size / (1024 * 1024), 1),
            "tables": len(rows),
            "rows (all tables)": sum(rows.values()),
            "rows": {t: rows[t] for t in ("members", "moments", "consent_records",
                                          "share_movements")},
        }


def run() -> dict:
    base_url = os.environ.get("COOPCRM_BENCH_DATABASE_URL")
    result: dict = {"database": "postgresql" if base_url else "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        for members in SIZES:
            result[f"{members} members"] = _one_size(base_url, Path(tmp), members)
    return result
