"""Spreadsheets the app writes (CSV or XLSX): never a live formula, read back exactly.

Every export goes through `write_csv` or `write_xlsx` (views.download for a
download), which pass each text cell through `neutral`: an export cannot
forget it. The member import reads cells back through `restore`, so an export
re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What makes Excel or LibreOffice start a formula (or DDE) when the cell comes first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What an XLSX cell cannot hold at all (XML 1.0): openpyxl refuses the workbook.
# Nothing lets such a character in any more (coopcrm.plaintext); one stored before is
# shown as U+FFFD rather than making the export fail.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _formula_like(text: str) -> bool:
    """A formula once any leading apostrophes are taken off."""
    return text.lstrip("'")[:1] in FORMULA_STARTS if text else False


def neutral(value):
    """The value as inert text: an apostrophe before what a spreadsheet would run.

    "=HYPERLINK(…)" becomes "'=HYPERLINK(…)", "+33 6…" becomes "'+33 6…". A text
    that already starts with apostrophes before such a character gets one more,
    so that `restore` can tell it from one this function neutralised.
    Anything that is not text is returned as it is.
    """
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text `neutral` was given (its inverse); other text is returned as it is."""
    if text[:1] == "'" and _formula_like(text):
        return text[1:]
    return text


def write_csv(lines: Iterable[Sequence], target: IO[bytes]) -> int:
    """CSV for Excel (`;`, CRLF, UTF-8 with a BOM) into a binary file; text cells neutral.
    Answers how many lines were written (the header included)."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    text.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    written = 0
    for line in lines:
        writer.writerow([neutral(c) for c in line])
        written += 1
    text.flush()
    text.detach()  # the caller's file stays open
    return written


def write_xlsx(lines: Iterable[Sequence], target: str | IO[bytes], sheet: str) -> int:
    """An XLSX workbook of one sheet into a path or a binary file; text cells neutral,
    dates shown as DD/MM/YYYY. Answers how many lines were written (the header included)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    written = 0
    try:
        for line in lines:
            cells = []
            for value in line:
                if isinstance(value, str):
                    cells.append(neutral(_NOT_IN_XML.sub("\ufffd", value)))
                elif hasattr(value, "strftime"):
                    cell = WriteOnlyCell(worksheet, value=value)
                    cell.number_format = "DD/MM/YYYY"
                    cells.append(cell)
                else:
                    cells.append(value)
            worksheet.append(cells)
            written += 1
    except BaseException:
        # Lines that failed half-way: finish the workbook into nothing, which closes
        # openpyxl's row writer and removes its temporary file, then say why.
        workbook.save(io.BytesIO())
        raise
    workbook.save(target)
    return written
