"""Backup and restore of the whole database: SQLite online backup, or pg_dump/pg_restore.

A backup file is either a SQLite database (written with the online backup API,
a consistent copy even while the app writes) or a pg_dump archive in custom
format. Restore tells them apart by their magic bytes and only restores into
an empty database of the same engine: cross-engine restore is out of scope.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from coopcrm import fr

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# A table in `pg_restore -l`: "215; 1259 16390 TABLE public members postgres" (not TABLE DATA).
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one French line."""


@dataclass
class Summary:
    """What a backup or restore did, for the one-line French report."""

    action: str  # "backup" or "restore"
    path: str
    engine: str
    tables: int
    size: int
    seconds: float
    revision: str | None

    def summary_fr(self) -> str:
        """The French report line."""
        revision = f"révision du schéma {self.revision}" if self.revision else \
            "révision du schéma inconnue"
        facts = (f"{ENGINE_LABELS[self.engine]}, {self.tables} table(s), {_size_fr(self.size)}, "
                 f"{_seconds_fr(self.seconds)}, {revision}")
        if self.action == "backup":
            return f"Sauvegarde écrite dans {self.path} ({facts})."
        return (f"Restauration terminée depuis {self.path} ({facts}). "
                "Lancez ensuite « coopcrm db upgrade ».")


def _size_fr(size: int) -> str:
    if size < 1024 * 1024:
        return f"{fr.decimal(size / 1024, 1)} Ko"
    return f"{fr.decimal(size / (1024 * 1024), 1)} Mo"


def _seconds_fr(seconds: float) -> str:
    return f"{fr.decimal(seconds, 2)} s"


def engine_of(url: str) -> str:
    """'sqlite' or 'postgresql' for a SQLAlchemy URL; anything else is refused."""
    name = make_url(url).get_backend_name()
    if name not in ENGINE_LABELS:
        raise BackupError(f"Moteur de base non pris en charge pour la sauvegarde : {name}.")
    return name


def kind_of_file(path: str) -> str:
    """'sqlite' or 'postgresql' from a backup file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"Fichier introuvable : {path}.") from None
    except IsADirectoryError:
        raise BackupError(f"{path} est un dossier, pas un fichier de sauvegarde.") from None
    except OSError as e:
        raise BackupError(f"Lecture impossible de {path} : {e.strerror}.") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} n'est ni une sauvegarde SQLite ni une archive pg_dump.")


def backup(url: str, path: str, force: bool = False) -> Summary:
    """Write a consistent copy of the database at `url` to `path`."""
    engine = engine_of(url)
    target = Path(path)
    if target.is_dir():
        raise BackupError(f"{path} est un dossier : donnez le nom du fichier de sauvegarde.")
    if target.exists() and not force:
        raise BackupError(f"{path} existe déjà : ajoutez --force pour le remplacer.")
    if not target.parent.is_dir():
        raise BackupError(f"Le dossier {target.parent} n'existe pas.")
    if engine == "sqlite" and target.exists() and _same_file(target, _sqlite_path(url)):
        # Renaming over the live database would leave the app writing to a deleted file.
        raise BackupError(f"{path} est la base elle-même : choisissez un autre fichier.")
    started = time.perf_counter()
    # Written beside the target then renamed: a failed backup never leaves a
    # truncated file under the final name, nor clobbers a previous backup.
    try:
        fd, tmp = tempfile.mkstemp(prefix=".coopcrm-backup-", dir=target.parent)
    except OSError as e:
        raise BackupError(f"Écriture impossible dans {target.parent} : {e.strerror}.") from None
    os.close(fd)
    try:
        if engine == "sqlite":
            tables, revision = _sqlite_backup(_sqlite_path(url), tmp)
        else:
            tables, revision = _pg_backup(url, tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise BackupError(f"Écriture impossible de {path} : {e.strerror}.") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Summary("backup", path, engine, tables, target.stat().st_size,
                   time.perf_counter() - started, revision)


def restore(url: str, path: str, known_revisions: AbstractSet[str] | None = None) -> Summary:
    """Bring the backup at `path` back into the EMPTY database at `url`.

    `known_revisions`: the migration revisions this code has; a backup made by a
    newer version of the application (an unknown revision) is refused.
    """
    engine = engine_of(url)
    kind = kind_of_file(path)
    if kind != engine:
        raise BackupError(
            f"{path} est une sauvegarde {ENGINE_LABELS[kind]} et la base configurée est "
            f"{ENGINE_LABELS[engine]} : la restauration d'un moteur à l'autre n'est pas prise "
            "en charge.")
    started = time.perf_counter()
    if engine == "sqlite":
        revision = _sqlite_revision(path)
        _check_revision(revision, known_revisions)
        tables = _sqlite_restore(path, _sqlite_path(url))
    else:
        revision = _pg_revision(path)
        _check_revision(revision, known_revisions)
        tables = _pg_restore(url, path)
    return Summary("restore", path, engine, tables, os.path.getsize(path),
                   time.perf_counter() - started, revision)


def _check_revision(revision: str | None, known: AbstractSet[str] | None) -> None:
    if revision and known is not None and revision not in known:
        raise BackupError(
            f"Cette sauvegarde est au schéma {revision}, inconnu de cette version de CoopCRM "
            "(sauvegarde faite par une version plus récente ?) : mettez l'application à jour "
            "avant de restaurer.")


# SQLite ---------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("La base SQLite configurée n'est pas un fichier : rien à sauvegarder.")
    return database


def _same_file(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def _sqlite_read_revision(conn: sqlite3.Connection) -> str | None:
    if "alembic_version" not in _sqlite_tables(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _sqlite_backup(source: str, tmp: str) -> tuple[int, str | None]:
    if not os.path.isfile(source):
        raise BackupError(f"La base SQLite {source} n'existe pas.")
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(tmp)
        try:
            # pages=-1 (the default): one step, under one read transaction, so
            # the copy is a single consistent snapshot even if the app writes
            # meanwhile (WAL: the writers are not blocked either).
            src.backup(dst)
            # A self-contained file: no -wal beside it to forget when copying.
            dst.execute("PRAGMA journal_mode=DELETE")
            return len(_sqlite_tables(dst)), _sqlite_read_revision(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as e:
        raise BackupError(f"Sauvegarde SQLite impossible : {e}.") from None


def _sqlite_revision(path: str) -> str | None:
    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return _sqlite_read_revision(conn)
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise BackupError(f"Sauvegarde SQLite illisible ({path}) : {e}.") from None


def _sqlite_restore(backup_path: str, database: str) -> int:
    if not Path(database).parent.is_dir():
        raise BackupError(f"Le dossier de la base, {Path(database).parent}, n'existe pas.")
    try:
        dst = sqlite3.connect(database)
        try:
            existing = _sqlite_tables(dst)
            if existing:
                raise BackupError(_not_empty(len(existing)))
            src = sqlite3.connect(Path(backup_path).resolve().as_uri() + "?mode=ro", uri=True)
            try:
                src.backup(dst)
            finally:
                src.close()
            return len(_sqlite_tables(dst))
        finally:
            dst.close()
    except sqlite3.Error as e:
        raise BackupError(f"Restauration SQLite impossible : {e}.") from None


def _not_empty(tables: int) -> str:
    return (f"La base de destination n'est pas vide ({tables} table(s)) : la restauration se fait "
            "dans une base vide, avant tout « coopcrm db upgrade ».")


# PostgreSQL -----------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict]:
    """The libpq URL (no driver, no password) and the environment carrying the password.

    The password goes through PGPASSWORD so that it never shows in `ps`.
    """
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    # Built anew: URL.set(password=None) means "leave the password as it is".
    bare = URL.create("postgresql", username=parsed.username, host=parsed.host,
                      port=parsed.port, database=parsed.database, query=parsed.query)
    return bare.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} est introuvable : installez le client PostgreSQL (paquet "
            "postgresql-client, de la version du serveur ou plus récente).") from None


def _tool_failed(tool: str, result: subprocess.CompletedProcess) -> BackupError:
    lines = [ln.strip() for ln in result.stderr.decode("utf-8", "replace").splitlines()
             if ln.strip()]
    detail = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
    return BackupError(f"{tool} a échoué (code {result.returncode}) : {detail}")


def _pg_backup(url: str, tmp: str) -> tuple[int, str | None]:
    dsn, env = _libpq(url)
    # -w: never prompt for a password (a cron job would hang).
    result = _run(["pg_dump", "-Fc", "-w", "-f", tmp, "-d", dsn], env)
    if result.returncode:
        raise _tool_failed("pg_dump", result)
    return _pg_table_count(tmp), _pg_revision(tmp)


def _pg_table_count(path: str) -> int:
    result = _run(["pg_restore", "-l", path], dict(os.environ))
    if result.returncode:
        raise _tool_failed("pg_restore", result)
    return sum(1 for line in result.stdout.decode("utf-8", "replace").splitlines()
               if _TOC_TABLE.match(line))


def _pg_revision(path: str) -> str | None:
    """The alembic revision stored in a pg_dump archive (its alembic_version data)."""
    result = _run(["pg_restore", "-a", "-t", "alembic_version", "-f", "-", path],
                  dict(os.environ))
    if result.returncode:
        raise _tool_failed("pg_restore", result)
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            return None if value == "\\." else value
    return None


def _pg_restore(url: str, path: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    count_sql = text("SELECT count(*) FROM pg_tables "
                     "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            existing = conn.scalar(count_sql)
        if existing:
            raise BackupError(_not_empty(existing))
        dsn, env = _libpq(url)
        # --single-transaction: a failure leaves the database empty, so the
        # restore can simply be run again; --no-owner/--no-privileges: the
        # roles of the source server need not exist here.
        result = _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                       "--single-transaction", "-w", "-d", dsn, path], env)
        if result.returncode:
            raise _tool_failed("pg_restore", result)
        with engine.connect() as conn:
            return conn.scalar(count_sql)
    except SQLAlchemyError as e:
        detail = str(getattr(e, "orig", e)).strip().splitlines()[0]
        raise BackupError(f"Connexion à la base impossible : {detail}") from None
    finally:
        engine.dispose()
