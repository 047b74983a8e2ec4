"""Subject-access export (RGPD art. 15 and 20): everything the file holds on one member.

Found rather than listed: every table with a foreign key to `members` (and the audit
trail, whose `member_id` has none so that it survives erasure) is a section, so a
table added by a new domain cannot be left out; its model names the section with
`access_title` (`tests/privacy/test_access.py` fails when one does not) and may hide
columns with `access_hidden` (hashes, message bodies of bulk mail, internal keys).
Columns pointing at other tables are shown by the name of what they point at
(a survey's title, a moment type's label), never by a bare id.

`collect()` gives the sections; `archive()` the ZIP a member receives: a readable
PDF (`donnees.pdf`, each section's most recent rows), a spreadsheet per section
(`tableaux/*.csv`, every row), `donnees.json`, machine-readable, with ISO values, and the files
a model hands over with `access_files` (the scans of paper consent forms, `preuves/`).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy import Column, Table, select

from coopcrm import clock, fr, spreadsheet
from coopcrm.extensions import db

# Columns never shown: the row's own id, bookkeeping of the sending machinery.
ALWAYS_HIDDEN = frozenset({"id", "claim_token", "claimed_dt", "idempotency_key",
                           "shared_context_id", "next_attempt_dt", "outbox_key"})
# The column of the referenced table that names a row, in this order of preference.
NAMING_COLUMNS = ("title", "label", "name", "subject", "code", "email")
# French labels of the column names the sections share; other names are shown as is.
COLUMN_LABELS = {
    "civility": "Civilité", "first_name": "Prénom", "last_name": "Nom", "email": "Email",
    "phone": "Téléphone", "address": "Adresse", "postal_code": "Code postal", "city": "Ville",
    "status": "Statut", "track": "Parcours", "college_id": "Collège",
    "residence_id": "Résidence", "entity_id": "Entité", "reference": "Référence",
    "kind": "Nature", "type_id": "Type", "occurs_on": "Date", "occurred_on": "Date",
    "channel": "Canal", "notes": "Notes", "note": "Note", "quantity": "Quantité",
    "unit_amount": "Valeur unitaire", "granted": "Accordé", "source": "Source",
    "wording": "Texte présenté", "user_id": "Enregistré par", "recorded_dt": "Enregistré le",
    "created_dt": "Créé le", "updated_dt": "Modifié le", "sent_dt": "Envoyé le",
    "subject": "Objet", "to_address": "Adresse d'envoi", "template": "Modèle",
    "survey_id": "Sondage", "event_id": "Événement", "edition_id": "Lettre d'information",
    "campaign_id": "Campagne", "response": "Réponse", "answers": "Réponses",
    "action": "Action", "changes": "Modifications", "summary": "Résumé",
    "actor": "Auteur", "outcome": "Résultat", "reason": "Motif",
    "newsletter_consent": "Consentement lettre d'information",
    "econvocation_consent": "Consentement convocation électronique",
    "email_status": "État de l'adresse email", "owner_id": "Suivi par",
    "created_by_id": "Créé par", "recorded_by_id": "Enregistré par",
    "member_id": "Coopérateur", "proxy_member_id": "Mandataire", "holder_id": "Porteur",
    "proof_file": "Scan du formulaire (dossier preuves/)", "proof_bytes": "Taille du scan (octets)",
}


# The readable document shows each section's most recent rows only: WeasyPrint lays a
# page out in about 0.2 s, and a member of twenty years fills 60 pages (13 s) with every
# email and receipt. Every row of every section is in the spreadsheet of its section
# (tableaux/<section>.csv, read by any office suite) and in donnees.json.
PDF_ROWS = 5


@dataclass
class Section:
    """One kind of data: a title and its rows, column → value as stored."""

    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recent(self) -> list[dict[str, Any]]:
        """The rows the readable document reproduces: the last PDF_ROWS, oldest first."""
        return self.rows[-PDF_ROWS:]

    @property
    def table_file(self) -> str:
        """The section's spreadsheet in the ZIP."""
        return f"tableaux/{self.key}.csv"

    def labels(self) -> list[str]:
        return [COLUMN_LABELS.get(c, c) for c in self.columns]

    def named(self) -> list[tuple[str, str]]:
        """(column, French label) pairs."""
        return list(zip(self.columns, self.labels(), strict=True))


def _models_by_table() -> dict[str, type]:
    mappers = cast(Any, db.Model).registry.mappers
    return {m.local_table.name: m.class_ for m in mappers if isinstance(m.local_table, Table)}


def _table_of(model: type) -> Table:
    return cast(Any, model).__table__


def member_columns(table: Table) -> list[Column]:
    """The columns of `table` that name a member (its foreign keys to members)."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == "members"]


def sources() -> list[tuple[type, list[Column]]]:
    """Every model holding rows about a member, with the columns naming the member.

    The members table itself comes first; then every table with a foreign key to it,
    and the models that name a member without a key (`access_member_columns`).
    """
    models = _models_by_table()
    members = models["members"]
    found: list[tuple[type, list[Column]]] = [(members, [_table_of(members).c.id])]
    for table in db.metadata.sorted_tables:
        model = models.get(table.name)
        if model is None or table.name == "members":
            continue
        columns = member_columns(table) or [table.c[name] for name in
                                            getattr(model, "access_member_columns", ())]
        if columns:
            found.append((model, columns))
    return found


def _namer(column: Column) -> Callable[[set[Any]], dict[Any, str]] | None:
    """For a foreign key to another table: ids → the name of each row pointed at."""
    keys = [fk for fk in column.foreign_keys if fk.column.table.name != "members"]
    if not keys:
        return None
    target = keys[0].column.table
    naming = next((target.c[n] for n in NAMING_COLUMNS if n in target.c), None)
    if naming is None:
        return None
    key = keys[0].column

    def names(ids: set[Any]) -> dict[Any, str]:
        if not ids:
            return {}
        return {k: str(v) for k, v in db.session.execute(select(key, naming)
                                                           .where(key.in_(ids)))}

    return names


def _section(model: type, columns: list[Column], member_id: int) -> Section:
    table = _table_of(model)
    hidden = ALWAYS_HIDDEN | set(getattr(model, "access_hidden", ()))
    if table.name != "members":  # the member is the subject: naming them again says nothing
        hidden |= {c.name for c in columns if len(columns) == 1}
    shown = [c for c in table.c if c.name not in hidden]
    condition = columns[0] == member_id
    for other in columns[1:]:
        condition = condition | (other == member_id)
    order = [c for c in table.primary_key.columns]
    rows = [dict(r._mapping) for r in db.session.execute(
        select(*shown).where(condition).order_by(*order))]
    for column in shown:
        namer = _namer(column)
        if namer is not None:
            names = namer({r[column.name] for r in rows if r[column.name] is not None})
            for r in rows:
                if r[column.name] is not None:
                    r[column.name] = names.get(r[column.name], r[column.name])
    # Another member named in this member's rows (a proxy holder) is shown by reference only.
    for column in columns:
        if column.name in {c.name for c in shown}:
            for r in rows:
                value = r[column.name]
                r[column.name] = "ce coopérateur" if value == member_id else (
                    "un autre coopérateur" if value is not None else None)
    title = getattr(model, "access_title", None) or table.name
    return Section(table.name, title, [c.name for c in shown], rows)


def collect(member_id: int) -> list[Section]:
    """Every section of the member's data, the identity first."""
    return [_section(model, columns, member_id) for model, columns in sources()]


def _plain(value: Any) -> Any:
    """A value as JSON holds it (ISO dates, decimals as strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def as_json(sections: list[Section], member_reference: str, now: datetime) -> str:
    """The machine-readable export (portability, art. 20)."""
    document = {
        "export": {"generated_at": now.isoformat(), "reference": member_reference,
                   "controller": current_app.config["COOP_NAME"]},
        "sections": {s.key: {"title": s.title, "rows": [{k: _plain(v) for k, v in r.items()}
                                                          for r in s.rows]}
                     for s in sections},
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


def shown(value: Any) -> str:
    """A value in the readable document, in French."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return fr.datetime(value)
    if isinstance(value, date):
        return fr.date(value)
    if isinstance(value, Decimal):
        return fr.decimal(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def readable_pdf(sections: list[Section], member_name: str, now: datetime) -> bytes:
    """The export as a PDF document in French, one section per kind of data (its most
    recent rows; the sections without data listed together at the end)."""
    from coopcrm.letters.services import document_pdf

    return document_pdf("privacy/access_document.html", "access-pdf.css",
                        sections=[s for s in sections if s.rows],
                        empty=[s.title for s in sections if not s.rows],
                        member_name=member_name, now=now, shown=shown, limit=PDF_ROWS)


def section_csv(section: Section) -> bytes:
    """Every row of a section as a spreadsheet (French headers and values, cells neutral)."""
    buffer = io.BytesIO()
    lines = [section.labels()] + [[shown(r[c]) for c in section.columns] for r in section.rows]
    spreadsheet.write_csv(lines, buffer)
    return buffer.getvalue()


def attachments(member_id: int) -> list[tuple[str, bytes]]:
    """The files the sections name (a consent's scan), from each source model that says
    `access_files(member_id)`: (name in the ZIP, bytes)."""
    found = []
    for model, _columns in sources():
        files = getattr(model, "access_files", None)
        if files is not None:
            found += files(member_id)
    return found


@dataclass
class Archive:
    content: bytes
    filename: str
    rows: int


def archive(member, now: datetime | None = None) -> Archive:
    """The ZIP handed to the member: the readable document, a spreadsheet per section
    holding data, the JSON and the files the sections name."""
    now = now or clock.now()
    sections = collect(member.id)
    reference = member_reference(member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("donnees.json", as_json(sections, reference, now))
        zf.writestr("donnees.pdf", readable_pdf(sections, member.full_name, now))
        for section in sections:
            if section.rows:
                zf.writestr(section.table_file, section_csv(section))
        for name, content in attachments(member.id):
            zf.writestr(name, content)
    stamp = now.strftime("%Y%m%d")
    safe = "".join(ch for ch in reference if ch.isalnum() or ch in "-_") or str(member.id)
    return Archive(buffer.getvalue(), f"donnees-{safe}-{stamp}.zip",
                   sum(len(s.rows) for s in sections))


def member_reference(member) -> str:
    """The member's first entity reference, else their number in the file."""
    references = sorted(link.reference for link in member.entity_links if link.reference)
    return references[0] if references else f"M{member.id}"


def record_export(member, result: Archive) -> None:
    """The member's history says their data was exported, by whom the caller's actor is
    (`audit.acting_as`), with how many rows: the member page and the command alike."""
    from coopcrm.privacy import audit

    audit.record_bulk(db.session.connection(), [member.id], "access_export",
                      f"Export des données personnelles ({result.rows} lignes)")
