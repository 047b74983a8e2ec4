"""Erasure as anonymisation: the person disappears, the statistics and legal records stay.

The member's row stays (status, track, college, entity links, residence, share
count: every aggregate counts them as before) under a random pseudonym; what
names or reaches the person is wiped in every table whose model is `Erasable`
(each domain says which of its columns are personal), and every former identity
string (name, email, phone, address, reference, as the file and its history
held them) is replaced by "[effacé]" in the texts and JSON that may quote them
(outbox, audit trail, notes). Legal records (share register, AG attendance)
keep the identity apart, in `legal_identities`, until their retention ends.

Written with SQL statements rather than through the ORM: one statement per
column rule for a batch of members, and no audit entry quoting the old values
(the trail gets one "anonymise" entry per member instead).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update

from coopcrm import clock, fr
from coopcrm.extensions import db
from coopcrm.models import mapped_subclasses
from coopcrm.privacy import audit
from coopcrm.privacy.erasable import ERASED, Erasable, Scrub
from coopcrm.privacy.legal import LEGAL_RECORDS, kept_until
from coopcrm.privacy.models import AuditEntry, LegalIdentity

# A batch's statements name at most this many members (SQLite's bound parameters).
CHUNK = 500
# Shorter strings are not searched for in texts: "Li" would eat half the words.
MIN_SCRUBBED = 3
# The member columns (and audit keys) whose values are identity strings to scrub.
IDENTITY_COLUMNS = ("first_name", "last_name", "email", "phone", "address", "city")
HISTORY_KEYS = frozenset(IDENTITY_COLUMNS) | {"reference"}

# What the confirmation page and the CLI say before anything is done.
WIPED = (
    "civilité, prénom, nom (remplacés par un pseudonyme)",
    "email, téléphone, adresse postale",
    "références dans les entités",
    "notes des moments et des relances, textes libres des réponses aux sondages",
    "adresse et nom dans l'historique des envois et le journal des modifications",
    "scans des formulaires de consentement papier (fichiers supprimés)",
    "liens personnels (ils cessent de fonctionner)",
)
KEPT = (
    "statut, parcours, collège, entités, résidence, parts sociales",
    "moments (type et date), réponses aux questions fermées des sondages",
    "invitations, réponses et présences aux événements",
    "historique des envois (date, modèle, statut) et des consentements",
)


@dataclass
class Erasure:
    """One batch's state, read by the models' column rules."""

    now: datetime
    pseudonyms: dict[int, str]
    formers: dict[int, list[str]]
    _lowered: dict[frozenset[int], list[str]] = field(default_factory=dict)

    def scrub(self, value: Any, member_ids: Iterable[int]) -> Any:
        """`value` with every former identity string of these members replaced, whatever
        its case; JSON walked (its strings, not its keys)."""
        strings = self._strings(frozenset(member_ids))
        # Most texts quote nobody: one substring test of the whole value first.
        if not strings or not any(s in _lowered(value) for s in strings):
            return value
        return _scrubbed(value, strings)

    def _strings(self, key: frozenset[int]) -> list[str]:
        if key not in self._lowered:
            self._lowered[key] = sorted({s.lower() for m in key for s in self.formers.get(m, ())},
                                        key=len, reverse=True)
        return self._lowered[key]


def _lowered(value: Any) -> str:
    """The value's text in lower case (JSON's strings included) for a quick test."""
    if isinstance(value, str):
        return value.lower()
    return json.dumps(value, ensure_ascii=False, default=str).lower()


def _replaced(text: str, strings: list[str]) -> str:
    """`text` with each occurrence of `strings` (lower case), in any case, made ERASED.

    Found with str.find on the lowered text rather than a case-insensitive pattern:
    compiling one alternation per member cost more than all the updates. Where lower
    case changes the length (a dotted İ), the positions would not match: a pattern then.
    """
    low = text.lower()
    if len(low) != len(text):
        pattern = re.compile("|".join(map(re.escape, strings)), re.IGNORECASE)
        return pattern.sub(ERASED, text)
    spans = []
    for needle in strings:
        start = low.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = low.find(needle, start + len(needle))
    if not spans:
        return text
    out, position = [], 0
    for start, end in _merged(spans):
        out += [text[position:start], ERASED]
        position = end
    out.append(text[position:])
    return "".join(out)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _scrubbed(value: Any, strings: list[str]) -> Any:
    if isinstance(value, str):
        return _replaced(value, strings)
    if isinstance(value, list):
        return [_scrubbed(v, strings) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v, strings) for k, v in value.items()}
    return value


def pseudonym() -> str:
    """A random name that says what happened: 'Anonyme 7F3A2C'."""
    return f"Anonyme {secrets.token_hex(3).upper()}"


def erasable_models() -> list[type[Erasable]]:
    """Every mapped model marked Erasable (their modules are imported: models_registry)."""
    return sorted(mapped_subclasses(Erasable), key=lambda m: _table(m).name)


def _table(model: type[Erasable]) -> Table:
    """The mapped table of an Erasable model (the mixin itself is not mapped)."""
    return cast(Any, model).__table__


def _members_table():
    return db.metadata.tables["members"]


def _strings(values: Iterable[Any]) -> set[str]:
    out = set()
    for value in values:
        if isinstance(value, str) and len(value.strip()) >= MIN_SCRUBBED:
            out.add(value.strip())
    return out


def _formers(connection, ids: list[int]) -> dict[int, list[str]]:
    """Every identity string each member had: in the file now and in its change history."""
    members = _members_table()
    found: dict[int, set[str]] = {i: set() for i in ids}
    for row in connection.execute(select(members.c.id, *(members.c[c] for c in IDENTITY_COLUMNS))
                                  .where(members.c.id.in_(ids))):
        first, last = row.first_name or "", row.last_name or ""
        found[row.id] |= _strings([*row[1:], f"{first} {last}", f"{last} {first}"])
    links = db.metadata.tables["member_entities"]
    for member_id, reference in connection.execute(
            select(links.c.member_id, links.c.reference).where(links.c.member_id.in_(ids))):
        found[member_id] |= _strings([reference])
    entries = AuditEntry.__table__
    for member_id, changes in connection.execute(
            select(entries.c.member_id, entries.c.changes).where(entries.c.member_id.in_(ids))):
        for key, pair in (changes or {}).items():
            if key in HISTORY_KEYS and isinstance(pair, list):
                found[member_id] |= _strings(pair)
    return {i: sorted(s, key=len, reverse=True) for i, s in found.items()}


def legal_records_of(connection, ids: list[int]) -> dict[int, set[str]]:
    """The legal records (LEGAL_RECORDS keys) each member appears in."""
    kinds: dict[int, set[str]] = {}
    for model in erasable_models():
        if model.legal_record is None:
            continue
        table = _table(model)
        for name in model.erase_member_columns:
            column = table.c[name]
            for (member_id,) in connection.execute(
                    select(column).where(column.in_(ids)).distinct()):
                kinds.setdefault(member_id, set()).add(model.legal_record)
    return kinds


def _keep_legal_identities(connection, ids: list[int], erasure: Erasure) -> None:
    records = legal_records_of(connection, ids)
    if not records:
        return
    members, links = _members_table(), db.metadata.tables["member_entities"]
    references: dict[int, list[str]] = {}
    for member_id, reference in connection.execute(
            select(links.c.member_id, links.c.reference)
            .where(links.c.member_id.in_(list(records)), links.c.reference.is_not(None))):
        references.setdefault(member_id, []).append(reference)
    rows = []
    years = {key: record.years() for key, record in LEGAL_RECORDS.items()}
    for row in connection.execute(select(members).where(members.c.id.in_(list(records)))):
        kinds = sorted(records[row.id])
        rows.append({
            "member_id": row.id, "civility": row.civility, "first_name": row.first_name,
            "last_name": row.last_name, "address": row.address, "postal_code": row.postal_code,
            "city": row.city, "references": sorted(references.get(row.id, [])),
            "records": kinds, "kept_until": kept_until(kinds, erasure.now.date(), years),
            "anonymised_dt": erasure.now})
    connection.execute(insert(LegalIdentity.__table__), rows)


def _erase(connection, model: type[Erasable], ids: list[int], erasure: Erasure) -> None:
    table = _table(model)
    columns = [table.c[name] for name in model.erase_member_columns]
    where = or_(*(c.in_(ids) for c in columns))
    if model.erase_delete:
        connection.execute(delete(table).where(where))
        return
    constants = {k: v for k, v in model.erase_values.items()
                 if not callable(v) and not isinstance(v, Scrub)}
    per_row = {k: v for k, v in model.erase_values.items() if k not in constants}
    if per_row:
        keys = list(table.primary_key.columns)
        wanted = set(ids)
        updates = []
        for row in connection.execute(select(*keys, *columns, *(table.c[k] for k in per_row))
                                      .where(where)):
            mapping = row._mapping
            members = {mapping[c] for c in columns if mapping[c] in wanted}
            values = {}
            for name, rule in per_row.items():
                old = mapping[table.c[name]]
                new = (erasure.scrub(old, members) if isinstance(rule, Scrub)
                       else rule(mapping[keys[0]], erasure))
                if new != old:
                    values[name] = new
            if values:
                updates.append(({f"k_{k.name}": mapping[k] for k in keys}, values))
        # One UPDATE per row that changed (a handful per member): scrubbed values differ.
        for key_values, values in updates:
            condition = [k == bindparam(f"k_{k.name}") for k in keys]
            connection.execute(update(table).where(*condition).values(**values), key_values)
    if constants:
        connection.execute(update(table).where(where).values(**constants))
    model.erase_rows(connection, ids, erasure)


def anonymise(member_ids: Sequence[int], *, reason: str, user=None,
              now: datetime | None = None) -> int:
    """Anonymise these members (those not already anonymised); how many were.

    In the caller's transaction: nothing is half-done. `reason` goes in each
    member's audit entry, scrubbed of their former identity like every other text.
    """
    now = now or clock.now()
    connection = db.session.connection()
    db.session.flush()
    members = _members_table()
    done = 0
    for start in range(0, len(member_ids), CHUNK):
        chunk = list(member_ids[start:start + CHUNK])
        ids = list(connection.scalars(select(members.c.id).where(
            members.c.id.in_(chunk), members.c.anonymised_dt.is_(None))))
        if not ids:
            continue
        erasure = Erasure(now, {i: pseudonym() for i in ids}, _formers(connection, ids))
        _keep_legal_identities(connection, ids, erasure)
        for model in erasable_models():
            _erase(connection, model, ids, erasure)
        changes = {i: {"motif": [None, erasure.scrub(reason, [i])]} for i in ids}
        if user is not None:
            with audit.acting_as(user):
                audit.record_bulk(connection, ids, "anonymise", "", changes=changes)
        else:  # the caller's actor (a command says "ligne de commande")
            audit.record_bulk(connection, ids, "anonymise", "", changes=changes)
        done += len(ids)
    db.session.expire_all()  # objects loaded before hold the old identity
    return done


@dataclass
class Plan:
    """What an anonymisation will do to one member, said before it is done."""

    wiped: tuple[str, ...]
    kept: tuple[str, ...]
    legal: list[tuple[str, str, str]]  # label, law, until (French date)


def plan(member_id: int, now: datetime | None = None) -> Plan:
    """The confirmation's content: what is wiped, what is kept, which legal records
    keep the identity and until when."""
    today = (now or clock.now()).date()
    kinds = sorted(legal_records_of(db.session.connection(), [member_id]).get(member_id, ()))
    legal = [(LEGAL_RECORDS[k].label, LEGAL_RECORDS[k].reference, fr.date(kept_until([k], today)))
             for k in kinds]
    return Plan(WIPED, KEPT, legal)
