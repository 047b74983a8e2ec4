"""Reading a member file (CSV or XLSX) into a header and rows of text cells.

The format is told by the content, never by the name: a renamed PDF is
refused, an XLSX called `.csv` is read as XLSX. Rows are read one at a time
(`Table.rows` is an iterator: the csv module over a text stream, openpyxl's
read-only `iter_rows`), within `Limits` (file, rows, columns, cell length,
and for a workbook its decompressed size, checked before openpyxl opens it).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from coopcrm import fr
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
    # (file line, cells), read as they are asked for; ImportFileError may come mid-way.
    rows: Iterator[tuple[int, list]] = field(default_factory=lambda: iter(()))


@dataclass(frozen=True)
class Limits:
    """What an import file may hold: beyond, the file is refused with a French message."""

    max_bytes: int = 40 * 1024 * 1024
    max_rows: int = 200_000
    max_columns: int = 200
    max_cell_chars: int = 1000
    max_xlsx_bytes: int = 500 * 1024 * 1024  # the workbook's members once decompressed
    max_xlsx_ratio: int = 250  # decompressed / compressed, per member (a zip bomb: ~1000)

    @classmethod
    def from_config(cls, config) -> Limits:
        """The limits of the COOPCRM_IMPORT_* settings (and COOPCRM_MAX_UPLOAD_MB)."""
        return cls(max_bytes=config["MAX_CONTENT_LENGTH"],
                   max_rows=config["IMPORT_MAX_ROWS"],
                   max_columns=config["IMPORT_MAX_COLUMNS"],
                   max_cell_chars=config["IMPORT_MAX_CELL_CHARS"],
                   max_xlsx_bytes=config["IMPORT_MAX_XLSX_MB"] * 1024 * 1024)


def canonical(name: str) -> str:
    """'Prénom' -> 'prenom', 'DATE SIGNATURE RÉSERVATION' -> 'date_signature_reservation'."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")
    return ALIASES.get(key, key)


Source = bytes | Path


def read_table(source: Source, limits: Limits | None = None) -> Table:
    """Open an uploaded file (its bytes, or its path); ImportFileError when it is not a
    usable table. The header is read now, the rows as `table.rows` is iterated."""
    limits = limits or Limits()
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > limits.max_bytes:
        raise ImportFileError(f"Le fichier dépasse la taille maximale autorisée "
                              f"({_mb(limits.max_bytes)} Mo) : il pèse {_mb(size)} Mo.")
    with _open(source) as stream:
        start = stream.read(65536)
    if not start or not start.strip(b" \t\r\n\xef\xbb\xbf") and size <= len(start):
        raise ImportFileError("Le fichier est vide.")
    if start.startswith(XLSX_MAGIC):
        table = _read_xlsx(source, limits)
    elif start.startswith(XLS_MAGIC):
        raise ImportFileError(
            "Ce fichier est au format Excel 97-2003 (.xls), non pris en charge : "
            "enregistrez-le au format .xlsx ou .csv."
        )
    else:
        table = _read_csv(source, start, limits)
    first = next(table.rows, None)  # the first row now: "only a header" before other checks
    if first is None:
        raise ImportFileError(
            "Le fichier ne contient que la ligne d'en-tête : "
            "aucune ligne de coopérateur à importer."
        )
    table.rows = itertools.chain((first,), table.rows)
    return table


def _mb(size: int) -> str:
    """Megabytes in French, with a decimal below 10 (never "0 Mo" for a small size)."""
    mb = size / (1024 * 1024)
    return fr.decimal(mb, 0 if mb >= 10 else 1 if mb >= 0.1 else 3)


def _open(source: Source) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _not_a_table() -> ImportFileError:
    return ImportFileError(
        "Ce fichier n'est ni un fichier CSV ni un classeur Excel (.xlsx) : "
        "enregistrez votre tableau au format CSV ou XLSX."
    )


def _header(cells: list[str], limits: Limits) -> tuple[list[str], list[str | None], list[str]]:
    if len(cells) > limits.max_columns:
        # Trailing empty cells (a spreadsheet's formatting) do not count.
        while cells and not (cells[-1] or "").strip():
            cells = cells[:-1]
        if len(cells) > limits.max_columns:
            raise ImportFileError(
                f"La ligne d'en-tête a {fr.count(len(cells))} colonnes : au plus "
                f"{fr.count(limits.max_columns)}.")
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
        if len(name) > limits.max_cell_chars:
            raise _too_long(1, position, len(name), limits)
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


def _too_long(line: int, position: int, length: int, limits: Limits) -> ImportFileError:
    return ImportFileError(
        f"Ligne {line}, colonne {position} : la cellule a {fr.count(length)} caractères, "
        f"au plus {fr.count(limits.max_cell_chars)}.")


def _too_wide(line: int, width: int, limits: Limits) -> ImportFileError:
    return ImportFileError(f"Ligne {line} : {fr.count(width)} colonnes, au plus "
                           f"{fr.count(limits.max_columns)}.")


def _too_many_rows(limits: Limits) -> ImportFileError:
    return ImportFileError(f"Le fichier a plus de {fr.count(limits.max_rows)} lignes de "
                           "coopérateurs : découpez-le en plusieurs fichiers.")


# A valid multi-byte UTF-8 sequence (RFC 3629): a cp1252 file (French text: é is one byte
# followed by ASCII) practically never holds one, a UTF-8 file with accents always does.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _encoding(source: Source, start: bytes) -> str:
    """The file's encoding, decided on the whole file, line by line (never all in memory).

    UTF-8 (with or without BOM) when every line is valid UTF-8; cp1252 (what Excel
    writes for "CSV" on a French Windows) only when no line holds a valid multi-byte
    UTF-8 sequence; otherwise the file mixes both: an error naming the first line
    that is not UTF-8. A NUL byte anywhere is refused with its line.
    """
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Texte Unicode"
        return "utf-16"
    bom = start.startswith(b"\xef\xbb\xbf")
    if b"\x00" in start:
        raise _not_a_table()
    first_bad = 0  # the first line that is not UTF-8
    multibyte = False
    with _open(source) as stream:
        for number, line in enumerate(stream, start=1):
            if b"\x00" in line:
                raise ImportFileError(
                    f"Ligne {number} : caractère nul (octet 0) : le fichier est abîmé ou "
                    "n'est pas un fichier CSV.")
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                multibyte = True
            except UnicodeDecodeError:
                if bom:
                    raise _mixed(number) from None
                if not first_bad:
                    first_bad = number
                if not multibyte and _UTF8_MULTIBYTE.search(line):
                    multibyte = True
            if first_bad and multibyte:
                raise _mixed(first_bad)
    return "utf-8-sig" if bom or not first_bad else "cp1252"


def _mixed(line: int) -> ImportFileError:
    return ImportFileError(
        f"Ligne {line} : encodage incohérent (le fichier mélange UTF-8 et Windows-1252) : "
        "enregistrez-le à nouveau en « CSV UTF-8 ».")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _read_csv(source: Source, start: bytes, limits: Limits) -> Table:
    encoding = _encoding(source, start)
    stream = io.TextIOWrapper(_open(source), encoding=encoding, errors="strict", newline="")
    try:
        head = stream.read(65536)
    except UnicodeDecodeError:
        stream.close()
        raise _unknown_encoding() from None
    if _CONTROL.search(head):
        stream.close()
        raise _not_a_table()
    first_line = head.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0 and canonical(first_line) not in COLUMNS:
        stream.close()
        raise _not_a_table()
    stream.seek(0)
    lines = _lines(stream)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        try:
            header_cells = next(reader)
            while not any(c.strip() for c in header_cells):
                header_cells = next(reader)
        except StopIteration:
            raise ImportFileError("Le fichier est vide.") from None
        except csv.Error as e:
            raise _malformed(reader.line_num, e, limits) from None
        header, columns, unknown = _header(header_cells, limits)
    except BaseException:
        stream.close()
        raise
    return Table("csv", header, columns, unknown, _csv_rows(stream, reader, limits))


def _lines(stream: IO[str]) -> Iterator[str]:
    try:
        yield from stream
    except UnicodeDecodeError:  # cp1252's five undefined bytes
        raise _unknown_encoding() from None


def _unknown_encoding() -> ImportFileError:
    return ImportFileError(
        "L'encodage du fichier n'est pas reconnu : enregistrez-le en « CSV UTF-8 ».")


def _malformed(line: int, e: csv.Error, limits: Limits) -> ImportFileError:
    if "field larger than field limit" in str(e):
        return ImportFileError(f"Ligne {line} : une cellule dépasse "
                               f"{fr.count(limits.max_cell_chars)} caractères.")
    return ImportFileError(f"Ligne {line} : le fichier CSV est mal formé ({e}).")


def _csv_rows(stream: IO[str], reader, limits: Limits) -> Iterator[tuple[int, list]]:
    longest = limits.max_cell_chars
    count = 0
    try:
        previous_end = reader.line_num
        try:
            for cells in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if len(cells) > limits.max_columns:
                    raise _too_wide(start, len(cells), limits)
                if any(cells) and any(c.strip() for c in cells):
                    for position, cell in enumerate(cells, start=1):
                        if len(cell) > longest:
                            raise _too_long(start, position, len(cell), limits)
                    count += 1
                    if count > limits.max_rows:
                        raise _too_many_rows(limits)
                    yield start, cells
        except csv.Error as e:
            raise _malformed(reader.line_num, e, limits) from None
    finally:
        stream.close()


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a zip bomb from the members' declared sizes, before anything is inflated.

    zipfile stops at a member's declared size (and fails its CRC beyond), so what
    the directory says is what openpyxl can be made to inflate.
    """
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_xlsx_ratio:
            raise ImportFileError(
                f"Le classeur est anormalement compressé ({info.filename} : "
                f"{fr.count(int(ratio))} fois) : refusé par prudence. Enregistrez-le en CSV.")
    if total > limits.max_xlsx_bytes:
        raise ImportFileError(
            f"Le classeur décompressé pèse {_mb(total)} Mo : au plus "
            f"{_mb(limits.max_xlsx_bytes)} Mo. Enregistrez-le en CSV ou découpez-le.")


def _read_xlsx(source: Source, limits: Limits) -> Table:
    import openpyxl

    try:
        with _open(source) as stream, zipfile.ZipFile(stream) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise _not_a_table()
            _check_zip(archive, limits)
        workbook = openpyxl.load_workbook(_open(source), read_only=True, data_only=True)
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
            if number > limits.max_rows:
                break
            if any(v not in (None, "") for v in values):
                header_cells, header_line = [_cell_text(v) for v in values], number
                break
        if header_cells is None:
            raise ImportFileError("Le fichier est vide.")
        header, columns, unknown = _header(header_cells, limits)
    except BaseException:
        workbook.close()
        raise
    return Table("xlsx", header, columns, unknown,
                 _xlsx_rows(workbook, lines, header_line, len(columns), limits))


def _xlsx_rows(workbook, lines: Iterable, header_line: int, width: int,
               limits: Limits) -> Iterator[tuple[int, list]]:
    longest = limits.max_cell_chars
    count = 0
    try:
        for line, values in enumerate(lines, start=header_line + 1):
            cells = [_cell_value(v) for v in values[:width]]
            if any(c not in (None, "") for c in cells):
                for position, cell in enumerate(cells, start=1):
                    if cell.__class__ is str and len(cell) > longest:
                        raise _too_long(line, position, len(cell), limits)
                count += 1
                if count > limits.max_rows:
                    raise _too_many_rows(limits)
                yield line, cells
    except ImportFileError:
        raise
    except Exception:  # a sheet's XML broken half-way
        raise ImportFileError(
            "Le classeur Excel n'a pas pu être lu jusqu'au bout (fichier abîmé).") from None
    finally:
        workbook.close()


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
