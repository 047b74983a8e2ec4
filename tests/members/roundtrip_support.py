"""A fresh database run through the `coopcrm` console script, and what its tables hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.databases import Throwaway, server_url, with_driver

# What must not move when an export is imported again.
TABLES = ("entities", "residences", "colleges", "members", "member_entities", "share_movements",
          "consent_records", "audit_entries")


def coopcrm_script() -> str:
    return shutil.which("coopcrm") or str(Path(sys.executable).parent / "coopcrm")


class FreshBase:
    """Its own database (a SQLite file, or a throwaway PostgreSQL database) and instance."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.databases = Throwaway(tmp_path, server_url(), prefix="coopcrm_rt")
        self.url = with_driver(self.databases.new("coopcrm"))
        (tmp_path / "instance").mkdir()
        self.env = {**os.environ, "COOPCRM_DATABASE_URL": self.url,
                    "COOPCRM_INSTANCE_PATH": str(tmp_path / "instance"),
                    "COOPCRM_SECRET_KEY": "roundtrip-test-secret"}
        self.env.pop("COOPCRM_TEST_DATABASE_URL", None)
        self.engine = create_engine(self.url)

    def run(self, *args: str, ok: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
        done = subprocess.run([coopcrm_script(), *args], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout)
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return done

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of TABLES, in key order."""
        from coopcrm.extensions import db

        out = {}
        with self.engine.connect() as conn:
            for name in TABLES:
                table = db.metadata.tables[name]
                keys = ", ".join(c.name for c in table.primary_key.columns)
                out[name] = [tuple(r) for r in conn.execute(
                    text(f"SELECT * FROM {name} ORDER BY {keys}"))]
        return out

    def scalar(self, sql: str):
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def close(self) -> None:
        self.engine.dispose()
        self.databases.drop_all()
