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
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import write
from coopcrm.members.importing.merge import fold_lines, refuse_together
from coopcrm.members.importing.read import COLUMNS, ImportFileError, Limits, read_table
from coopcrm.members.importing.rows import Lookups, Row, RowParser
from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence, ShareMovement
from coopcrm.members.shares import status_for
from coopcrm.members.text import fold, search_text
from coopcrm.models import text_limit
from coopcrm.privacy.audit import plain
from coopcrm.privacy.models import ConsentRecord

CHUNK = 2000  # values per IN (...) when fetching existing members
ANALYZE_AFTER = 10_000  # members written: refresh PostgreSQL's statistics afterwards
# Member columns an import may set, besides the derived ones (status, shares, consents).
FIELDS = (
    "civility", "first_name", "last_name", "email", "phone", "address", "postal_code", "city",
    "residence_id", "track", "college_id", "reservation_signed_on", "moved_in_on",
)
_LOADED = (*FIELDS, "status", "share_count", "share_amount", "newsletter_consent",
           "econvocation_consent", "search_text", "anonymised_dt")
_DEFAULTS = {
    "civility": "", "first_name": "", "email": None, "phone": "", "address": "",
    "postal_code": "", "city": "", "residence_id": None, "track": "accession",
    "college_id": None, "reservation_signed_on": None, "moved_in_on": None,
}


@dataclass
class Problem:
    """One thing wrong: a file line (0 for the file itself), a column, a French message."""

    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import found and did: counts, then every problem by line and column."""

    filename: str
    dry_run: bool = False
    skip_invalid: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    # When the report was saved with only its first problems (tasks.saved): how many there were.
    problems_total: int | None = None
    warnings_total: int | None = None

    @property
    def file_problem(self) -> bool:
        """The file itself could not be used (no line-by-line report)."""
        return any(p.line == 0 for p in self.problems)

    @property
    def blocked(self) -> bool:
        """Nothing can be written: a file problem, or invalid rows without skip_invalid."""
        return self.file_problem or (self.invalid > 0 and not self.skip_invalid)

    @property
    def valid(self) -> int:
        return self.created + self.updated + self.unchanged


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


def _check_and_write(table, lookups: Lookups, report: ImportReport, filename: str, user,
                     dry_run: bool, progress: Progress, finish) -> ImportReport:
    labels = {c: c for c in COLUMNS}
    for name, column in zip(table.header, table.columns, strict=False):
        if column:
            labels[column] = name
    positions = [(i, c) for i, c in enumerate(table.columns) if c]
    parser = RowParser(positions, labels, lookups)
    # Each line is parsed as it is read: the file's cells are never all in memory.
    rows = []
    for line, cells in table.rows:
        rows.append(parser.parse(line, cells))
        if len(rows) % PROGRESS_EVERY == 0:
            progress("reading", len(rows))
    progress("reading", len(rows))
    report.rows = len(rows)
    _mark_duplicates(rows, labels)
    candidates = [r for r in rows if not r.errors]
    _match(candidates, labels)
    # One lead row per person: a member's lines in several entities become one.
    leads = fold_lines(candidates, labels)
    del candidates
    writer = None if dry_run else user if not isinstance(user, Everyone) else None
    # Planned (and written) a batch at a time, in the one transaction: what a batch
    # needs is dropped once it is written, so memory does not grow with the plan.
    checked = written = 0
    # All or nothing: a line already refused stops the writing (unless it is to be skipped).
    writing = not dry_run and (report.skip_invalid or not any(r.errors for r in rows))
    for start in range(0, len(leads), BATCH):
        batch = leads[start:start + BATCH]
        plan = _plan(batch, labels, lookups, report, filename)
        checked += len(batch)
        progress("checking", checked)
        if writing and not report.skip_invalid and any(r.errors for r in batch):
            writing = False
        if writing and (plan.creates or plan.updates):
            progress("writing", written)
            write.write(plan, filename, writer)
            written += len(plan.creates) + len(plan.updates)
            progress("writing", written)
        del plan
        for row in batch:
            row.release()
    report.unchanged = sum(1 for r in leads if not r.errors) - report.created - report.updated

    for row in rows:
        if row.errors:
            report.invalid += 1
            report.problems.extend(Problem(row.line, c, m) for c, m in row.errors)
    if report.blocked or dry_run:
        db.session.rollback()
        return report
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


def _mark_duplicates(rows: list[Row], labels: dict[str, str]) -> None:
    """Two lines for one reference or one email in one entity: both are refused.

    One email in two entities is one person's two links (merge.py).
    """
    # The first line of each key, and lists for the keys seen twice only: a list per line
    # would cost ~10 MB per 100,000 lines.
    first_reference: dict[tuple, Row] = {}
    first_email: dict[tuple, Row] = {}
    again_reference: defaultdict[tuple, list[Row]] = defaultdict(list)
    again_email: defaultdict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.reference is not None and row.entity is not None:
            key = (row.entity.id, row.reference)
            if first_reference.setdefault(key, row) is not row:
                again_reference[key].append(row)
        if row.email is not None:
            by = (row.entity.id if row.entity else None, row.email)
            if first_email.setdefault(by, row) is not row:
                again_email[by].append(row)
    for (entity_id, reference), later in again_reference.items():
        same = [first_reference[(entity_id, reference)], *later]
        for row in same:
            others = ", ".join(str(r.line) for r in same if r is not row)
            row.error(labels["reference"],
                      f"Référence « {reference} » en double dans le fichier "
                      f"(aussi ligne {others}).")
    for (entity_key, email), later in again_email.items():
        same = [first_email[(entity_key, email)], *later]
        for row in same:
            others = ", ".join(str(r.line) for r in same if r is not row)
            row.error(labels["email"],
                      f"Email « {email} » en double dans le fichier (aussi ligne {others}).")


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _among(column, values: list):
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter, not thousands
    (psycopg parses every placeholder of every statement it cannot cache)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _match(rows: list[Row], labels: dict[str, str]) -> None:
    """Set row.member_id from the database: entity + reference first, else email."""
    by_entity = defaultdict(list)
    for row in rows:
        if row.reference is not None and row.entity is not None:
            by_entity[row.entity.id].append(row.reference)
    referenced: dict[tuple[int, str | None], int] = {}  # (entity id, reference) -> member id
    for entity_id, references in by_entity.items():
        for chunk in _chunks(references):
            referenced.update(
                ((entity_id, ref), mid) for ref, mid in db.session.execute(
                    select(MemberEntity.reference, MemberEntity.member_id).where(
                        MemberEntity.entity_id == entity_id, _among(MemberEntity.reference, chunk)))
            )
    emails = [r.email for r in rows if r.email is not None]
    by_email = defaultdict(list)
    for chunk in _chunks(emails):
        # Emails are stored lower-cased (validation.email), as the file's are once parsed.
        for mid, email in db.session.execute(
                select(Member.id, Member.email).where(_among(Member.email, chunk),
                                                      Member.anonymised_dt.is_(None))):
            by_email[email].append(mid)
    for row in rows:
        if row.reference is not None and row.entity is not None:
            row.member_id = referenced.get((row.entity.id, row.reference))
        if row.member_id is None and row.email is not None:
            found = by_email.get(row.email, [])
            if len(found) > 1:
                row.error(labels["email"],
                          f"Plusieurs coopérateurs ont l'email « {row.email} » : "
                          "indiquez leur référence pour choisir.")
            elif found:
                row.member_id = found[0]


def _load(member_ids: list[int]) -> tuple[dict, dict, set]:
    """Existing members' columns, their links {entity id: reference}, and who has shares."""
    members: dict[int, dict] = {}
    links: defaultdict[int, dict[int, str | None]] = defaultdict(dict)
    with_shares: set[int] = set()
    columns = [getattr(Member, c) for c in _LOADED]
    for chunk in _chunks(member_ids):
        found = db.session.execute(select(Member.id, *columns).where(_among(Member.id, chunk)))
        for record in found:
            members[record[0]] = dict(zip(_LOADED, record[1:], strict=True))
        for mid, entity_id, reference in db.session.execute(
                select(MemberEntity.member_id, MemberEntity.entity_id, MemberEntity.reference)
                .where(_among(MemberEntity.member_id, chunk))):
            links[mid][entity_id] = reference
        with_shares.update(db.session.scalars(
            select(ShareMovement.member_id).distinct()
            .where(_among(ShareMovement.member_id, chunk))))
    return members, links, with_shares


def _plan(leads: list[Row], labels: dict[str, str], lookups: Lookups, report: ImportReport,
          filename: str) -> write.Plan:
    """Decide, for a batch of lead rows, what to create and what to change; count; never write."""
    members, links, with_shares = _load([r.member_id for r in leads if r.member_id is not None])
    now = lookups.now or clock.now()
    source = f"import {filename}"[:text_limit(ConsentRecord, "source")]
    plan = write.Plan(now=now, source=source, filename=filename)
    for row in leads:
        if row.member_id is None:
            _plan_create(row, plan, lookups, labels)
        else:
            _plan_update(row, members[row.member_id], links[row.member_id],
                         row.member_id in with_shares, plan, lookups, labels, report)
        refuse_together([row, *row.merged], labels)
    # Counted by member, not by line.
    report.created += len(plan.creates)
    report.updated += sum(1 for u in plan.updates if u.visible)
    return plan


def _subscription(row: Row, signed_on: date | None, lookups: Lookups) -> dict | None:
    if not row.parts:
        return None
    unit = row.unit_amount or row.known_entity.share_unit_amount or Decimal("16.00")
    on = row.subscribed_on
    if on is None:
        on = signed_on if signed_on is not None and signed_on <= lookups.today else lookups.today
    return {"kind": "subscription", "quantity": row.parts, "unit_amount": unit, "occurred_on": on}


def _status(row: Row, current: str | None, had: bool, count: int, labels) -> str | None:
    """The status after the import; None (with a row error) when it cannot hold."""
    if had:
        return status_for(count, True)
    declared = row.status or current or "prospect"
    if declared != "cooperateur" or current == "cooperateur":
        # A coopérateur whose register was never filled in stays as they are.
        return declared
    row.error(labels["statut"], "Un coopérateur détient au moins une part : renseignez "
                                "nombre_parts (ou indiquez le statut prospect).")
    return None


def _plan_create(row: Row, plan, lookups: Lookups, labels) -> None:
    values = {**_DEFAULTS, **row.values}
    share = _subscription(row, values["reservation_signed_on"], lookups)
    count = share["quantity"] if share else 0
    status = _status(row, None, share is not None, count, labels)
    if status is None:
        return
    values["status"] = status
    values["share_count"] = count
    values["share_amount"] = share["quantity"] * share["unit_amount"] if share else Decimal("0")
    consents = []
    for kind in ("newsletter", "econvocation"):
        granted = row.consents.get(kind, False)
        values[f"{kind}_consent"] = granted
        values[f"{kind}_consent_dt"] = plan.now if granted else None
        values[f"{kind}_consent_source"] = plan.source if granted else ""
        if granted:
            consents.append((kind, True))
    values["email_status"] = "valid"
    links = [(entity.id, reference) for entity, reference in row.links]
    values["search_text"] = search_text(values["last_name"], values["first_name"],
                                        values["email"], [ref for _, ref in links])
    values["created_dt"] = values["updated_dt"] = plan.now
    plan.creates.append(write.Create(values, links, share, consents))


def _plan_update(row: Row, current: dict, links: dict, had: bool, plan, lookups: Lookups,
                 labels, report: ImportReport) -> None:
    if current["anonymised_dt"] is not None:
        row.error(labels["reference"], f"La référence « {row.reference} » désigne une fiche "
                                       "anonymisée : elle ne peut plus être importée.")
        return
    allowed = lookups.allowed_entity_ids
    if allowed is not None and links and not allowed & set(links):
        # Matched by email to someone followed only by entities this user does not manage:
        # linking them here would pull another entity's member into this user's view.
        row.error(labels["email"], f"L'email {row.email} est celui d'un coopérateur suivi par "
                                   "une autre entité : un administrateur peut le rattacher à "
                                   f"{row.known_entity.code}.")
        return
    link_changes = []
    for entity, reference in row.links:
        if entity.id not in links:
            link_changes.append(("insert", entity.id, reference))
        elif reference is not None and links[entity.id] != reference:
            if links[entity.id] is not None:
                row.error(labels["reference"],
                          f"L'email {row.email} correspond à un coopérateur qui a déjà la "
                          f"référence « {links[entity.id]} » dans l'entité {entity.code}.")
                return
            link_changes.append(("update", entity.id, reference))
    codes = {entity.id: entity.code for entity, _ in row.links}

    changes = {k: v for k, v in row.values.items() if current[k] != v}
    share = None
    count = current["share_count"]
    if had:
        if row.parts is not None and row.parts != count:
            report.warnings.append(_warning(row, labels["nombre_parts"],
                                            "Le registre des parts de ce coopérateur existe déjà : "
                                            "le nombre de parts n'est pas modifié par l'import."))
    else:
        signed_on = changes.get("reservation_signed_on", current["reservation_signed_on"])
        share = _subscription(row, signed_on, lookups)
    if share is not None:
        had, count = True, share["quantity"]
        changes["share_count"] = count
        changes["share_amount"] = count * share["unit_amount"]
    status = _status(row, current["status"], had, count, labels)
    if status is None:
        return
    if had and row.status and row.status != status:
        report.warnings.append(_warning(row, labels["statut"],
                                        f"Statut « {row.status} » ignoré : il suit le registre "
                                        f"des parts ({status})."))
    if status != current["status"]:
        changes["status"] = status
    consents = []
    for kind, granted in row.consents.items():
        if bool(current[f"{kind}_consent"]) != granted:
            changes[f"{kind}_consent"] = granted
            changes[f"{kind}_consent_dt"] = plan.now
            changes[f"{kind}_consent_source"] = plan.source
            consents.append((kind, granted))

    references = dict(links)
    for _kind, entity_id, reference in link_changes:
        references[entity_id] = reference
    merged = {**current, **changes}
    text = search_text(merged["last_name"], merged["first_name"], merged["email"],
                       list(references.values()))
    visible = bool(changes or link_changes)
    # The search tests each word on its own: the words' order is not a change.
    if sorted(text.split()) != sorted((current["search_text"] or "").split()):
        changes["search_text"] = text
    if not changes and not link_changes:
        return
    audit = {k: [plain(current.get(k)), plain(v)] for k, v in changes.items()
             if k not in ("search_text", "share_count", "share_amount")
             and not k.endswith("_consent_dt") and not k.endswith("_consent_source")}
    for _kind, entity_id, reference in link_changes:
        audit[f"reference {codes[entity_id]}"] = [links.get(entity_id), reference]
    if share:
        audit["parts"] = [0, share["quantity"]]
    assert row.member_id is not None  # _plan updates matched lines only
    plan.updates.append(write.Update(row.member_id, changes, link_changes, share,
                                              consents, audit, visible))


def _warning(row: Row, column: str, message: str) -> Problem:
    return Problem(row.line, column, message)

