"""`coopcrm seed demo` on a fresh SQLite file: what `make run` waits for on a first start.

Runs the real commands in a subprocess (`db upgrade`, then `seed demo`), the way
the Makefile does, and times the seed command as a whole (interpreter start,
app creation, generation, bulk inserts, commit). The member count follows
COOPCRM_BENCH_DEMO_MEMBERS (default 2,000, the demo's own default).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMBERS = int(os.environ.get("COOPCRM_BENCH_DEMO_MEMBERS", "2000"))


def _coopcrm(env: dict, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coopcrm.cli", *args], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "demo.db"
        env = dict(os.environ, COOPCRM_DATABASE_URL=f"sqlite:///{db_path}",
                   COOPCRM_SECRET_KEY="bench-secret-key")
        upgrade = _coopcrm(env, "db", "upgrade")
        seed = _coopcrm(env, "seed", "demo", "--members", str(MEMBERS))
        noop = _coopcrm(env, "seed", "demo", "--if-empty")
        with sqlite3.connect(db_path) as conn:
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("members", "member_entities", "share_movements",
                                    "consent_records", "moments")}
    return {
        "members": MEMBERS,
        "seed_demo_s": round(seed, 2),
        "seed_demo_if_empty_noop_s": round(noop, 2),
        "db_upgrade_s": round(upgrade, 2),
        "rows": counts,
    }
