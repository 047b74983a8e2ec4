"""Turning the text cells of an import file into checked member values, row by row.

Nothing here touches the database: the reference lists (entities, residences,
colleges) are loaded once by the importer and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from coopcrm.members import validation
from coopcrm.members.models import STATUSES, TRACKS, Entity, Member, MemberEntity
from coopcrm.members.text import fold
from coopcrm.models import text_limit, too_long
from coopcrm.plaintext import CONTROLS, line_problem
from coopcrm.spreadsheet import restore

V = validation
_CIVILITIES = {
    "m": "M.", "m.": "M.", "mr": "M.", "mr.": "M.", "monsieur": "M.",
    "mme": "Mme", "mme.": "Mme", "madame": "Mme", "mlle": "Mme", "mademoiselle": "Mme",
}
# Import column -> member column (the longest value accepted is the column's).
_TEXTS = {
    "prenom": "first_name", "nom": "last_name", "telephone": "phone",
    "adresse": "address", "code_postal": "postal_code", "ville": "city",
}
_DATES = {"date_signature_reservation": "reservation_signed_on", "date_entree_lieux": "moved_in_on"}
# Columns whose cells may be workbook dates (datetime is a date too).
_DAY_COLUMNS = {*_DATES, "date_souscription"}
# Text columns whose values repeat from line to line (kept once each).
_REPEATED = {"prenom", "nom", "code_postal", "ville"}
_NO_CACHE: dict[str, str] = {}
_CONSENTS = {
    "consentement_newsletter": "newsletter",
    "consentement_convocation_electronique": "econvocation",
}


@dataclass
class Lookups:
    """The reference lists, keyed by folded text."""

    entities: dict[str, Entity]  # folded code -> Entity
    residences: dict[tuple[int, str], int]  # (entity id, folded name) -> id
    colleges: dict[str, int]  # folded code and folded name -> id
    allowed_entity_ids: set[int] | None  # None: every entity
    default_entity: Entity | None
    today: date
    now: datetime | None = None  # what the import stamps (a job's now)


# The member columns a row may set (besides the derived ones: status, shares, consents),
# in the order a row keeps their values.
FIELDS = (
    "civility", "first_name", "last_name", "email", "phone", "address", "postal_code", "city",
    "residence_id", "track", "college_id", "reservation_signed_on", "moved_in_on",
)
CONSENT_KINDS = ("newsletter", "econvocation")
_UNSET = object()  # a column the row leaves as it is
_NONE: tuple = ()  # the errors and merged rows of a row without any (never appended to)
_RELEASED = ("released",)  # what a released row keeps instead of its values
# Every (newsletter, econvocation) pair a row can say, each kept once: a row points to one.
_CONSENT_PAIRS = {(a, b): (a, b) for a in (None, True, False) for b in (None, True, False)}


@dataclass(slots=True, eq=False)
class Row:
    """One data line of the file, parsed; `errors` maps a column to French messages.

    Every line of the file stays in memory until its batch is planned, so a row is
    compact: its values are a tuple in FIELDS order (`values` gives them as a dict),
    its consents one shared pair, and its errors and merged rows a shared empty tuple
    until there is one (100,000 lines: ~70 MB less than a dict, a dict and two lists each).
    """

    line: int
    packed: tuple = _NONE  # the values of FIELDS, _UNSET where the row sets nothing
    entity: Entity | None = None
    reference: str | None = None
    email: str | None = None
    status: str | None = None
    parts: int | None = None
    unit_amount: Decimal | None = None
    subscribed_on: date | None = None
    consent_pair: tuple = _CONSENT_PAIRS[None, None]  # CONSENT_KINDS' answers, None: none
    errors: list[tuple[str, str]] = cast(list, _NONE)
    member_id: int | None = None
    merged: list[Row] = cast(list, _NONE)  # the same person's lines in other entities

    @property
    def values(self) -> dict:
        """The member columns the row sets (a new dict: set them through `values = …`)."""
        return {k: v for k, v in zip(FIELDS, self.packed, strict=False) if v is not _UNSET}

    @values.setter
    def values(self, values: dict) -> None:
        self.packed = tuple(values.get(k, _UNSET) for k in FIELDS)

    @property
    def consents(self) -> dict[str, bool]:
        """"newsletter" / "econvocation" -> granted, for the consents the row states."""
        pairs = zip(CONSENT_KINDS, self.consent_pair, strict=True)
        return {k: v for k, v in pairs if v is not None}

    @consents.setter
    def consents(self, consents: dict[str, bool]) -> None:
        self.consent_pair = _CONSENT_PAIRS[consents.get("newsletter"),
                                          consents.get("econvocation")]

    def error(self, column: str, message: str) -> None:
        if self.packed is _RELEASED:
            raise RuntimeError(f"line {self.line} was released")
        if self.errors is _NONE:
            self.errors = []
        self.errors.append((column, message))

    def merge(self, other: Row) -> None:
        """Carry `other`, the same person's line in another entity."""
        if self.merged is _NONE:
            self.merged = []
        self.merged.append(other)

    def release(self) -> None:
        """Drop the values once planned (and written): only the line and its errors stay."""
        for row in (self, *self.merged):
            row.packed = _RELEASED
        self.merged = cast(list, _NONE)

    @property
    def known_entity(self) -> Entity:
        """The entity of a line without errors (parsing gives each line one, or an error)."""
        assert self.entity is not None, f"line {self.line} has no entity"
        return self.entity

    @property
    def links(self) -> list[tuple[Entity, str | None]]:
        """(entity, reference) of this line and of the lines merged into it."""
        return [(self.known_entity, self.reference),
                *((r.known_entity, r.reference) for r in self.merged)]


class RowParser:
    """Parses the lines of one file; built once per import.

    Columns with few distinct values (dates, oui/non, entity, college…) are
    parsed once per distinct cell text: a 100,000-row file holds a few
    thousand dates and two words for each consent.
    """

    def __init__(self, positions: list[tuple[int, str]], labels: dict[str, str],
                 lookups: Lookups):
        self.labels, self.lookups = labels, lookups
        self.handlers = [(position, column, self._handler(column), column in _DAY_COLUMNS)
                         for position, column in positions]
        self.width = max((p for p, _ in positions), default=-1) + 1

    def parse(self, line: int, cells: list) -> Row:
        """Check every cell of one line; blank cells are left out (they change nothing).

        A cell is text, or a date from a workbook: a date where text is expected
        is read as its text. A cell holding a control character (a line break, a
        NUL…) is refused, as in every one-line field of the app.
        """
        row = Row(line)
        # What the cells say, by member column (and "newsletter", "econvocation",
        # "residence"), packed into the row once the line is read.
        said: dict = {}
        if len(cells) < self.width:
            cells = [*cells, *[""] * (self.width - len(cells))]
        # One search over the whole line (a line almost never holds one): cells are
        # searched one by one only when it finds something.
        try:
            suspect = CONTROLS.search("".join(cells)) is not None
        except TypeError:  # a workbook's dates among the cells
            suspect = CONTROLS.search("".join(c for c in cells if c.__class__ is str)) is not None
        for position, column, handler, takes_days in self.handlers:
            raw = cells[position]
            if raw.__class__ is not str and not (takes_days and isinstance(raw, date)):
                raw, suspect = ("" if raw is None else str(raw)), True
            if raw.__class__ is str:
                raw = raw.strip()
                if not raw:
                    continue
                if raw[0] == "'":  # an export's neutralised formula-like text
                    raw = restore(raw)
                if suspect and CONTROLS.search(raw) is not None:
                    row.error(self.labels[column], line_problem(raw) or "")
                    continue
            try:
                handler(row, said, raw)
            except V.FieldError as e:
                row.error(self.labels[column], str(e))
        _check_whole_row(row, said, self.labels, self.lookups)
        row.values = row.consents = said
        return row

    def _handler(self, column: str):
        if column in _TEXTS:
            key = _TEXTS[column]
            limit = text_limit(Member, key)

            # Names, cities, postal codes repeat: one string for each, not one per line.
            same: dict[str, str] = {} if column in _REPEATED else _NO_CACHE

            def text(row, said, raw):
                if len(raw) > limit:
                    raise V.FieldError(too_long(limit))
                said[key] = same.setdefault(raw, raw) if same is not _NO_CACHE else raw
            return text
        if column == "email":
            def email(row, said, raw):
                row.email = said["email"] = V.email(raw)
            return email
        if column == "reference":
            longest = text_limit(MemberEntity, "reference")

            def reference(row, said, raw):
                if len(raw) > longest:
                    raise V.FieldError(too_long(longest))
                row.reference = raw
            return reference
        if column == "residence":
            def residence(row, said, raw):
                said["residence"] = raw
            return residence
        parse, apply = self._memoized(column)
        cache: dict = {}

        def memo(row, said, raw):
            try:
                value = cache[raw]
            except KeyError:
                try:
                    value = cache[raw] = parse(raw)
                except V.FieldError as e:
                    value = cache[raw] = e
            except TypeError:  # an unhashable cell: never from CSV or openpyxl, but be safe
                value = parse(raw)
            if isinstance(value, V.FieldError):
                raise value
            apply(row, said, value)
        return memo

    def _memoized(self, column: str):
        """(parse(raw) -> value, apply(row, said, value)) for a column worth caching."""
        lookups = self.lookups
        if column in _DATES:
            key = _DATES[column]
            return V.day, lambda row, said, v: said.__setitem__(key, v)
        if column in _CONSENTS:
            kind = _CONSENTS[column]
            return V.yes_no, lambda row, said, v: said.__setitem__(kind, v)
        if column == "entite":
            def entity(raw):
                found = lookups.entities.get(fold(raw))
                if found is None:
                    raise V.FieldError(f"Entité « {raw} » inconnue.")
                return found
            return entity, lambda row, said, v: setattr(row, "entity", v)
        if column == "college":
            def college(raw):
                found = lookups.colleges.get(fold(raw))
                if found is None:
                    raise V.FieldError(f"Collège « {raw} » inconnu.")
                return found
            return college, lambda row, said, v: said.__setitem__("college_id", v)
        if column == "civilite":
            def civility(raw):
                found = _CIVILITIES.get(fold(raw))
                if found is None:
                    raise V.FieldError(f"Civilité « {raw} » inconnue (M. ou Mme).")
                return found
            return civility, lambda row, said, v: said.__setitem__("civility", v)
        if column == "parcours":
            return (lambda raw: V.choice(raw, TRACKS, "Parcours"),
                    lambda row, said, v: said.__setitem__("track", v))
        if column == "statut":
            return (lambda raw: V.choice(raw, STATUSES, "Statut"),
                    lambda row, said, v: setattr(row, "status", v))
        if column == "nombre_parts":
            return V.positive_int, lambda row, said, v: setattr(row, "parts", v)
        if column == "montant_part":
            def unit(raw):
                value = V.amount(raw)
                if value == 0:
                    raise V.FieldError("Le montant d'une part doit être supérieur à zéro.")
                return value
            return unit, lambda row, said, v: setattr(row, "unit_amount", v)
        if column == "date_souscription":
            return (lambda raw: V.day(raw, allow_future=False, today=lookups.today),
                    lambda row, said, v: setattr(row, "subscribed_on", v))
        raise KeyError(column)


def _check_whole_row(row: Row, said: dict, labels: dict[str, str], lookups: Lookups) -> None:
    residence_name = said.pop("residence", None)
    if "last_name" not in said and not any(c == labels["nom"] for c, _ in row.errors):
        row.error(labels["nom"], "Le nom est obligatoire.")
    if row.entity is None and not any(c == labels["entite"] for c, _ in row.errors):
        row.entity = lookups.default_entity
        if row.entity is None:
            row.error(labels["entite"], "Entité manquante : indiquez le code de l'entité.")
    entity = row.entity
    if entity is not None and lookups.allowed_entity_ids is not None \
            and entity.id not in lookups.allowed_entity_ids:
        row.error(labels["entite"], f"Vous ne gérez pas l'entité {entity.code}.")
    if residence_name is not None and entity is not None:
        residence_id = lookups.residences.get((entity.id, fold(residence_name)))
        if residence_id is None:
            row.error(labels["residence"],
                      f"Résidence « {residence_name} » inconnue dans l'entité {entity.code}.")
        else:
            said["residence_id"] = residence_id
    if row.reference is None and row.email is None and not row.errors:
        row.error(labels["reference"],
                  "Indiquez une référence ou un email : sans l'un ni l'autre, ce coopérateur "
                  "ne pourrait pas être retrouvé par un prochain import.")
