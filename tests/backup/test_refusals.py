"""What `coopcrm backup` and `coopcrm restore` refuse: one French line, a non-zero exit."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from coopcrm.backup.services import _libpq
from tests.backup.helpers import COOPCRM, assert_refused, run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _migrated(databases, tmp_path) -> str:
    url = databases.new("source")
    assert run(url, "db", "upgrade", tmp=tmp_path).returncode == 0
    return url


def test_an_existing_output_file_needs_force(databases, tmp_path):
    url = _migrated(databases, tmp_path)
    path = tmp_path / "sauvegarde"
    path.write_bytes(b"previous backup")
    assert_refused(run(url, "backup", str(path), tmp=tmp_path),
                   f"{path} existe déjà : ajoutez --force pour le remplacer.")
    assert path.read_bytes() == b"previous backup"
    result = run(url, "backup", str(path), "--force", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes()[:5] in (b"SQLit", b"PGDMP")
    # Nothing left behind by the write-then-rename.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".coopcrm")) == []


def test_bad_output_paths(databases, tmp_path):
    url = _migrated(databases, tmp_path)
    assert_refused(run(url, "backup", str(tmp_path / "absent" / "x"), tmp=tmp_path),
                   f"Le dossier {tmp_path / 'absent'} n'existe pas.")
    assert_refused(run(url, "backup", str(tmp_path), tmp=tmp_path), "est un dossier")


def test_bad_backup_files(databases, tmp_path):
    url = databases.new("target")
    assert_refused(run(url, "restore", str(tmp_path / "absent"), tmp=tmp_path),
                   "Fichier introuvable")
    assert_refused(run(url, "restore", str(tmp_path), tmp=tmp_path), "est un dossier")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("Ceci n'est pas une sauvegarde\n")
    assert_refused(run(url, "restore", str(text_file), tmp=tmp_path),
                   "n'est ni une sauvegarde SQLite ni une archive pg_dump")
    empty_file = tmp_path / "vide"
    empty_file.write_bytes(b"")
    assert_refused(run(url, "restore", str(empty_file), tmp=tmp_path),
                   "n'est ni une sauvegarde SQLite ni une archive pg_dump")


def test_cross_engine_restore_is_refused(tmp_path):
    sqlite_backup = tmp_path / "base.sqlite"
    sqlite3.connect(sqlite_backup).execute("CREATE TABLE t (x)").connection.close()
    # What matters to the refusal is the archive's signature: it is read first.
    pg_archive = tmp_path / "base.dump"
    pg_archive.write_bytes(b"PGDMP\x01\x0f\x00" + b"\x00" * 64)
    postgres = f"postgresql://postgres@127.0.0.1:{_closed_port()}/coopcrm"
    assert_refused(run(postgres, "restore", str(sqlite_backup), tmp=tmp_path),
                   "est une sauvegarde SQLite et la base configurée est PostgreSQL : la "
                   "restauration d'un moteur à l'autre n'est pas prise en charge.")
    sqlite = "sqlite:///" + str(tmp_path / "cible.db")
    assert_refused(run(sqlite, "restore", str(pg_archive), tmp=tmp_path),
                   "est une sauvegarde PostgreSQL et la base configurée est SQLite")
    assert not (tmp_path / "cible.db").exists()


def test_missing_database_and_missing_pg_dump(tmp_path):
    sqlite = "sqlite:///" + str(tmp_path / "absente.db")
    assert_refused(run(sqlite, "backup", str(tmp_path / "b"), tmp=tmp_path),
                   "n'existe pas")
    assert not (tmp_path / "absente.db").exists()
    unreachable = f"postgresql://postgres@127.0.0.1:{_closed_port()}/coopcrm"
    assert_refused(run(unreachable, "backup", str(tmp_path / "b"), tmp=tmp_path),
                   "pg_dump a échoué (code 1)")
    assert_refused(run(unreachable, "restore", str(tmp_path / "b"), tmp=tmp_path),
                   "Fichier introuvable")
    # A PATH holding only the app's own scripts: no PostgreSQL client tools.
    only_venv = {"PATH": str(Path(COOPCRM).parent)}
    assert_refused(run(unreachable, "backup", str(tmp_path / "b"), tmp=tmp_path, env=only_venv),
                   "pg_dump est introuvable : installez le client PostgreSQL")
    assert not (tmp_path / "b").exists()


def test_the_password_goes_through_the_environment_not_the_command_line():
    dsn, env = _libpq("postgresql+psycopg://coop:s%3Acr%C3%A8t@db.example:5433/crm"
                      "?sslmode=require")
    assert dsn == "postgresql://coop@db.example:5433/crm?sslmode=require"
    assert env["PGPASSWORD"] == "s:crèt"
