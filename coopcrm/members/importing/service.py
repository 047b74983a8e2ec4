"""Importing members from a CSV or XLSX file: check every row, then write them all at once.

`import_members` reads the file, parses and checks every row (rows.py),
matches rows to existing members in bulk (entity + reference, else email),
works out what would change, and — unless it is a dry run or a row is invalid
and `skip_invalid` is off — writes everything in one transaction with bulk
Core statements (write.py). The same report serves the command line
and the upload page.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import write
from coopcrm.members.importing.match import mark_duplicates, match
from coopcrm.members.importing.merge import fold_lines
from coopcrm.members.importing.plan import plan_batch
from coopcrm.members.importing.read import COLUMNS, ImportFileError, Limits, Table, read_table
from coopcrm.members.importing.report import ImportReport, Problem
from coopcrm.members.importing.rows import Lookups, Row, RowParser
from coopcrm.members.models import College, Entity, Residence
from coopcrm.members.text import fold

ANALYZE_AFTER = 10_000  # members written: refresh PostgreSQL's statistics afterwards


class Everyone:
    """The command line acts for the whole group."""

    sees_all_entities = True
    entity_ids: list[int] = []


Progress = Callable[[str, int], None]  # (phase "reading" | "checking" | "writing", rows so far)
PROGRESS_EVERY = 1000  # rows between two progress reports
BATCH = 5000  # lead rows planned (and written) together


def import_members(source: bytes | Path, filename: str, user=None,
                   entity_code: str | None = None, dry_run: bool = False,
                   skip_invalid: bool = False, max_bytes: int | None = None,
                   limits: Limits | None = None, progress: Progress | None = None,
                   finish: Callable[[ImportReport], None] | None = None,
                   now: datetime | None = None) -> ImportReport:
    """Check and (unless dry_run, or blocked) write a member file; commits its own transaction.

    `source` is the file's bytes or its path (read as a stream, never whole);
    `limits` default to the app's settings; `progress(phase, rows)` is told how far
    it got every PROGRESS_EVERY rows of each phase; `finish(report)` runs in the
    import's transaction just before it commits (a task's "done" with its members).
    `now` (a job's) stamps what is written; the clock's by default.
    """
    report = ImportReport(filename, dry_run=dry_run, skip_invalid=skip_invalid)
    user = user or Everyone()
    if limits is None:
        limits = Limits.from_config(current_app.config) if has_app_context() else Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    with _gc_paused():
        try:
            return _run(source, report, filename, user, entity_code, dry_run, limits,
                        progress or _quiet, finish, now or clock.now())
        except ImportFileError as e:  # a row read half-way was the file's problem
            db.session.rollback()
            report.problems = [Problem(0, "", str(e))]
            report.warnings = []
            report.created = report.updated = report.unchanged = report.invalid = 0
            return report


def _quiet(phase: str, rows: int) -> None:
    pass


def _run(source: bytes | Path, report: ImportReport, filename: str, user,
         entity_code: str | None, dry_run: bool, limits: Limits,
         progress: Progress, finish, now: datetime) -> ImportReport:
    try:
        table = read_table(source, limits)
    except ImportFileError as e:
        return _file_problem(report, str(e))
    report.ignored_columns = table.unknown
    lookups, problem = _lookups(user, entity_code, now)
    if problem:
        return _file_problem(report, problem)
    present = {c for c in table.columns if c}
    missing = [c for c in ("nom",) if c not in present]
    if "entite" not in present and lookups.default_entity is None:
        missing.append("entite")
    if missing:
        return _file_problem(
            report, "Colonne(s) obligatoire(s) absente(s) de l'en-tête : " + ", ".join(missing)
            + ("." if "entite" not in missing else
               " (ou choisissez l'entité dans laquelle importer)."))

    return _check_and_write(table, lookups, report, filename, user, dry_run, progress, finish)


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while ~10 objects a row pile up: 20 % of an import's time.

    Reference counting still frees everything as usual; the collector runs
    again (and catches up) at the end of the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_and_write(table: Table, lookups: Lookups, report: ImportReport, filename: str,
                     user, dry_run: bool, progress: Progress, finish) -> ImportReport:
    labels = {c: c for c in COLUMNS}
    for name, column in zip(table.header, table.columns, strict=False):
        if column:
            labels[column] = name
    rows = _read_rows(table, labels, lookups, progress)
    report.rows = len(rows)
    mark_duplicates(rows, labels)
    match([r for r in rows if not r.errors], labels)
    # One lead row per person: a member's lines in several entities become one.
    leads = fold_lines([r for r in rows if not r.errors], labels)
    writer = None if dry_run else user if not isinstance(user, Everyone) else None
    # All or nothing: a line already refused stops the writing (unless it is to be skipped).
    writing = not dry_run and (report.skip_invalid or not any(r.errors for r in rows))
    _plan_and_write(leads, labels, lookups, report, filename, writing, writer, progress)
    report.unchanged = sum(1 for r in leads if not r.errors) - report.created - report.updated
    del leads
    for row in rows:
        if row.errors:
            report.invalid += 1
            report.problems.extend(Problem(row.line, c, m) for c, m in row.errors)
    if report.blocked or dry_run:
        db.session.rollback()
        return report
    return _commit(report, finish)


def _read_rows(table: Table, labels: dict[str, str], lookups: Lookups,
               progress: Progress) -> list[Row]:
    """Every line parsed as it is read: the file's cells are never all in memory."""
    positions = [(i, c) for i, c in enumerate(table.columns) if c]
    parser = RowParser(positions, labels, lookups)
    rows = []
    for line, cells in table.rows:
        rows.append(parser.parse(line, cells))
        if len(rows) % PROGRESS_EVERY == 0:
            progress("reading", len(rows))
    progress("reading", len(rows))
    return rows


def _batches(leads: list[Row]) -> Iterator[list[Row]]:
    for start in range(0, len(leads), BATCH):
        yield leads[start:start + BATCH]


def _plan_and_write(leads: list[Row], labels: dict[str, str], lookups: Lookups,
                    report: ImportReport, filename: str, writing: bool, writer,
                    progress: Progress) -> None:
    """Plan (and when `writing`, write as `writer`) a batch at a time, in the one
    transaction: what a batch needs is dropped once it is written, so memory does not
    grow with the plan."""
    checked = written = 0
    for batch in _batches(leads):
        planned = plan_batch(batch, labels, lookups, report, filename)
        checked += len(batch)
        progress("checking", checked)
        if writing and not report.skip_invalid and any(r.errors for r in batch):
            writing = False
        if writing and (planned.creates or planned.updates):
            progress("writing", written)
            write.write(planned, filename, writer)
            written += len(planned.creates) + len(planned.updates)
            progress("writing", written)
        del planned
        for row in batch:
            row.release()


def _commit(report: ImportReport, finish) -> ImportReport:
    report.written = True
    try:
        if finish is not None:
            finish(report)
        db.session.commit()
    except Exception:
        report.written = False
        db.session.rollback()
        raise
    if report.created + report.updated >= ANALYZE_AFTER:
        write.analyze()
    return report


def _file_problem(report: ImportReport, message: str) -> ImportReport:
    report.problems.append(Problem(0, "", message))
    return report


def _lookups(user, entity_code: str | None, now: datetime) -> tuple[Lookups, str | None]:
    entities = {fold(e.code): e for e in db.session.scalars(select(Entity))}
    allowed = None if user.sees_all_entities else set(user.entity_ids)
    default = None
    problem = None
    if entity_code:
        default = entities.get(fold(entity_code))
        if default is None:
            problem = f"Entité « {entity_code} » inconnue."
        elif allowed is not None and default.id not in allowed:
            problem = f"Vous ne gérez pas l'entité {default.code}."
    residences = {
        (entity_id, fold(name)): rid
        for rid, entity_id, name in db.session.execute(
            select(Residence.id, Residence.entity_id, Residence.name))
    }
    colleges: dict[str, int] = {}
    for cid, code, name in db.session.execute(select(College.id, College.code, College.name)):
        colleges.setdefault(fold(name), cid)
        colleges[fold(code)] = cid
    return Lookups(entities, residences, colleges, allowed, default, clock.day_of(now),
                   now), problem
