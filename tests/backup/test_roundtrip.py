"""`coopcrm backup` then `coopcrm restore` of a seeded database, on the engine under test."""

from __future__ import annotations

import re
import sqlite3
import subprocess

from sqlalchemy import create_engine, inspect, text

from coopcrm.config import _database_url
from tests.backup.helpers import assert_refused, run

SAMPLE = 40


def snapshot(url: str) -> dict[str, tuple[int, list]]:
    """Every table: its row count and its first and last rows by primary key."""
    engine = create_engine(_database_url(url, ""))
    try:
        result = {}
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in inspector.get_table_names():
                q = engine.dialect.identifier_preparer.quote
                keys = inspector.get_pk_constraint(table)["constrained_columns"] or [
                    c["name"] for c in inspector.get_columns(table)]
                asc = ", ".join(q(k) for k in keys)
                desc = ", ".join(q(k) + " DESC" for k in keys)
                count = conn.scalar(text(f"SELECT count(*) FROM {q(table)}"))
                rows = [tuple(r) for order in (asc, desc) for r in conn.execute(
                    text(f"SELECT * FROM {q(table)} ORDER BY {order} LIMIT {SAMPLE}"))]
                result[table] = (count, rows)
        return result
    finally:
        engine.dispose()


def seeded(databases, tmp_path) -> str:
    url = databases.new("source")
    for args in (("db", "upgrade"), ("seed", "reference"), ("seed", "demo", "--members", "300")):
        result = run(url, *args, tmp=tmp_path)
        assert result.returncode == 0, result.stderr
    return url


def backup_counts(path, engine: str) -> dict[str, int]:
    """Read the whole backup file back, parsed as what it claims to be: rows per table."""
    data = path.read_bytes()
    if engine == "sqlite":
        assert data.startswith(b"SQLite format 3\x00")
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        finally:
            conn.close()
    assert data.startswith(b"PGDMP")
    # The archive as SQL: every table's rows are a COPY block ending with "\.".
    sql = subprocess.run(["pg_restore", "-f", "-", str(path)], capture_output=True, text=True,
                         check=True).stdout
    counts = {}
    for block in re.finditer(r"^COPY public\.(\w+) \(.*?\) FROM stdin;\n(.*?)^\\\.$", sql,
                             re.S | re.M):
        counts[block.group(1)] = block.group(2).count("\n")
    return counts


def test_backup_then_restore_into_an_empty_database(databases, tmp_path):
    source = seeded(databases, tmp_path)
    before = snapshot(source)
    assert before["members"][0] == 300 and before["moments"][0] > 300

    path = tmp_path / "coopcrm.sauvegarde"
    result = run(source, "backup", str(path), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    label = "SQLite" if databases.engine == "sqlite" else "PostgreSQL"
    assert re.fullmatch(
        rf"Sauvegarde écrite dans {re.escape(str(path))} \({label}, {len(before)} table\(s\), "
        r"[\d,]+ [KM]o, [\d,]+ s, révision du schéma [0-9a-f]{12}\)\.\n", result.stdout)
    assert backup_counts(path, databases.engine) == {t: n for t, (n, _) in before.items()}

    target = databases.new("target")
    result = run(target, "restore", str(path), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Restauration terminée depuis {path} ({label}, "
                                    f"{len(before)} table(s), ")
    assert "coopcrm db upgrade" in result.stdout
    assert snapshot(target) == before

    # The restored database is at the code's revision already, and the app works on it.
    upgrade = run(target, "db", "upgrade", tmp=tmp_path)
    assert upgrade.returncode == 0 and "Running upgrade" not in upgrade.stderr, upgrade.stderr
    status = run(target, "outbox", "status", tmp=tmp_path)
    assert status.returncode == 0, status.stderr
    assert status.stdout == run(source, "outbox", "status", tmp=tmp_path).stdout
    assert re.search(r"^Envoyé : [1-9]\d*$", status.stdout, re.M)

    # A second restore finds the database in use and leaves it alone.
    again = run(target, "restore", str(path), tmp=tmp_path)
    assert_refused(again, f"La base de destination n'est pas vide ({len(before)} table(s))")
    assert snapshot(target) == before


def test_restore_refuses_a_migrated_database_and_a_newer_schema(databases, tmp_path):
    source = databases.new("source")
    assert run(source, "db", "upgrade", tmp=tmp_path).returncode == 0
    path = tmp_path / "schema.sauvegarde"
    assert run(source, "backup", str(path), tmp=tmp_path).returncode == 0

    migrated = databases.new("migrated")
    assert run(migrated, "db", "upgrade", tmp=tmp_path).returncode == 0
    assert_refused(run(migrated, "restore", str(path), tmp=tmp_path),
                   "avant tout « coopcrm db upgrade »")

    # The same backup as a newer version of the app would have written it.
    engine = create_engine(_database_url(source, ""))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    newer = tmp_path / "plus-recente.sauvegarde"
    result = run(source, "backup", str(newer), tmp=tmp_path)
    assert result.returncode == 0 and "révision du schéma ffffffffffff" in result.stdout
    empty = databases.new("empty")
    assert_refused(run(empty, "restore", str(newer), tmp=tmp_path),
                   "au schéma ffffffffffff, inconnu de cette version de CoopCRM")
    assert snapshot(empty) == {}


def test_backup_while_a_write_is_in_flight_copies_the_committed_state(databases, tmp_path):
    """The app keeps running during a backup: an open write neither blocks it nor leaks in."""
    source = databases.new("source")
    assert run(source, "db", "upgrade", tmp=tmp_path).returncode == 0
    assert run(source, "seed", "reference", tmp=tmp_path).returncode == 0
    committed = snapshot(source)["followup_rules"][0]
    engine = create_engine(_database_url(source, ""))
    try:
        with engine.connect() as writer:
            if databases.engine == "sqlite":
                writer.exec_driver_sql("BEGIN IMMEDIATE")  # holds SQLite's write lock
            writer.execute(text("DELETE FROM followup_rules"))
            path = tmp_path / "pendant.sauvegarde"
            result = run(source, "backup", str(path), tmp=tmp_path)
            assert result.returncode == 0, result.stderr
            writer.rollback()
    finally:
        engine.dispose()
    assert backup_counts(path, databases.engine)["followup_rules"] == committed > 0


def test_the_live_database_is_not_a_backup_target(tmp_path):
    database = tmp_path / "coopcrm.db"
    url = "sqlite:///" + str(database)
    assert run(url, "db", "upgrade", tmp=tmp_path).returncode == 0
    before = database.read_bytes()
    assert_refused(run(url, "backup", str(database), "--force", tmp=tmp_path),
                   "est la base elle-même")
    assert database.read_bytes() == before
