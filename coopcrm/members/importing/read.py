"""Reading a member file (CSV or XLSX) into a header and rows of text cells.

The format is told by the content, never by the name: a renamed PDF is
refused, an XLSX called `.csv` is read as XLSX.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from coopcrm.members.text import fold

# The columns of the import file, in the order an export writes them.
COLUMNS = (
    "reference", "civilite", "prenom", "nom", "email", "telephone", "adresse", "code_postal",
    "ville", "entite", "residence", "parcours", "college", "statut",
    "date_signature_reservation", "date_entree_lieux", "nombre_parts", "montant_part",
    "date_souscription", "consentement_newsletter", "consentement_convocation_electronique",
)
# Other spellings referents' spreadsheets use for the same columns.
ALIASES = {
    "ref": "reference", "numero": "reference", "civ": "civilite", "prenoms": "prenom",
    "nom_de_famille": "nom", "e_mail": "email", "mail": "email", "courriel": "email",
    "adresse_email": "email", "tel": "telephone", "portable": "telephone", "cp": "code_postal",
    "commune": "ville", "entites": "entite", "programme": "residence",
}
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message is French, for the referent."""


@dataclass
class Table:
    """What a file holds: canonical column per position (None: ignored), and the data rows."""

    kind: str  # "csv" or "xlsx"
    header: list[str]  # as written in the file
    columns: list[str | None]
    unknown: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (file line, cells)


def canonical(name: str) -> str:
    """'Prénom' -> 'prenom', 'DATE SIGNATURE RÉSERVATION' -> 'date_signature_reservation'."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")
    return ALIASES.get(key, key)


def read_table(data: bytes) -> Table:
    """Parse the bytes of an uploaded file; ImportFileError when it is not a usable table."""
    if not data or not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("Le fichier est vide.")
    if data.startswith(XLSX_MAGIC):
        table = _read_xlsx(data)
    elif data.startswith(XLS_MAGIC):
        raise ImportFileError(
            "Ce fichier est au format Excel 97-2003 (.xls), non pris en charge : "
            "enregistrez-le au format .xlsx ou .csv."
        )
    else:
        table = _read_csv(data)
    if not table.rows:
        raise ImportFileError(
            "Le fichier ne contient que la ligne d'en-tête : "
            "aucune ligne de coopérateur à importer."
        )
    return table


def _not_a_table() -> ImportFileError:
    return ImportFileError(
        "Ce fichier n'est ni un fichier CSV ni un classeur Excel (.xlsx) : "
        "enregistrez votre tableau au format CSV ou XLSX."
    )


def _header(cells: list[str]) -> tuple[list[str], list[str | None], list[str]]:
    header = [(c or "").strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ImportFileError(
            "La première ligne doit être la ligne d'en-tête (nom, prenom, email…).")
    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, int] = {}  # canonical column -> its position
    for position, name in enumerate(header, start=1):
        key = canonical(name)
        if key not in COLUMNS:
            columns.append(None)
            if name:
                unknown.append(name)
            continue
        if key in seen:
            raise ImportFileError(
                f"La colonne « {name} » apparaît deux fois dans l'en-tête "
                f"(colonnes {seen[key]} et {position})."
            )
        seen[key] = position
        columns.append(key)
    if not seen:
        raise ImportFileError(
            "Aucune colonne reconnue dans la ligne d'en-tête. Colonnes attendues : "
            + ", ".join(COLUMNS) + "."
        )
    return header, columns, unknown


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise _not_a_table() from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Texte Unicode"
        return data.decode("utf-16")
    if b"\x00" in data[:65536]:
        raise _not_a_table()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # What Excel writes for "CSV (séparateur : point-virgule)" on a French Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            "L'encodage du fichier n'est pas reconnu : enregistrez-le en « CSV UTF-8 »."
        ) from None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    if _CONTROL.search(text[:65536]):
        raise _not_a_table()
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0 and canonical(first_line) not in COLUMNS:
        raise _not_a_table()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_cells = next(reader)
        while not any(c.strip() for c in header_cells):
            header_cells = next(reader)
    except StopIteration:
        raise ImportFileError("Le fichier est vide.") from None
    header, columns, unknown = _header(header_cells)
    table = Table("csv", header, columns, unknown)
    rows = table.rows
    previous_end = reader.line_num
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cells) and any(c.strip() for c in cells):
                rows.append((start, cells))
    except csv.Error as e:
        raise ImportFileError(
            f"Ligne {reader.line_num} : le fichier CSV est mal formé ({e})."
        ) from None
    return table


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise _not_a_table()
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # zipfile, XML and openpyxl errors: all mean "not a workbook we can read"
        raise ImportFileError(
            "Le classeur Excel n'a pas pu être lu (fichier abîmé ou protégé par mot de passe)."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        lines: Iterator = sheet.iter_rows(values_only=True)
        header_cells, header_line = None, 0
        for number, values in enumerate(lines, start=1):
            if any(v not in (None, "") for v in values):
                header_cells, header_line = [_cell_text(v) for v in values], number
                break
        if header_cells is None:
            raise ImportFileError("Le fichier est vide.")
        header, columns, unknown = _header(header_cells)
        table = Table("xlsx", header, columns, unknown)
        for line, values in enumerate(lines, start=header_line + 1):
            cells = [_cell_value(v) for v in values[: len(columns)]]
            if any(c not in (None, "") for c in cells):
                table.rows.append((line, cells))
    finally:
        workbook.close()
    return table


def _cell_text(value) -> str:
    return "" if value is None else str(value)


def _cell_value(value):
    """Cells as text, except dates (kept as dates so no format is guessed)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)
