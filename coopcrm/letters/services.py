"""Letters as print-ready PDF (WeasyPrint, from the app's own Jinja templates), labels, CSV.

`merged_pdf` lays out one member a page on A4 with the address block where a
French DL window envelope shows it (window 110 mm from the left edge, 45 mm
from the top, about 100 × 45 mm); `labels_pdf` fills A4 sheets of 3 × 8 labels
of 70 × 37 mm; `printer_lines` / `printer_csv` are the same letters for a
printing house, through coopcrm.spreadsheet (no cell is a live formula).

Every stored value reaches the HTML through an autoescaping template; a body
is HTML the caller vouches for (a Jinja template's output, or a block document
compiled by coopcrm.blocks, sanitised). WeasyPrint loads nothing but the app's
stored images (letters.fetcher).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup

from coopcrm import fr, spreadsheet
from coopcrm.letters import fetcher

LABELS_PER_SHEET = 24  # 3 columns × 8 rows of 70 × 37 mm on A4
LETTERS_CHUNK = 50  # letters laid out as one WeasyPrint document (see _pdf)
SHEETS_CHUNK = 5  # label sheets laid out as one
STYLESHEET = "letters-pdf.css"  # in coopcrm/static: the page geometry in millimetres
PRINTER_HEADER = ["Numéro", "Civilité", "Prénom", "Nom", "Adresse 1", "Adresse 2",
                  "Code postal", "Ville", "Résidence"]


@dataclass(frozen=True)
class Address:
    """A postal address as the envelope shows it."""

    civility: str
    first_name: str
    last_name: str
    street: tuple[str, ...]  # the address lines between the name and the town
    postcode: str
    city: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)

    @property
    def town(self) -> str:
        # La Poste wants the last line in capitals, postcode first.
        return " ".join(p for p in (self.postcode, self.city.upper()) if p)

    @property
    def lines(self) -> list[str]:
        """The lines of the address block, name first, town last (empty lines left out)."""
        return [line for line in (self.name, *self.street, self.town) if line]


def address_of(member) -> Address:
    """A member's address: civility, name, address lines, postcode, city."""
    street = tuple(" ".join(line.split()) for line in (member.address or "").splitlines()
                   if line.strip())
    return Address(civility=member.civility or "", first_name=member.first_name or "",
                   last_name=member.last_name or "", street=street,
                   postcode=(member.postal_code or "").strip(), city=(member.city or "").strip())


@dataclass(frozen=True)
class Letter:
    """One member's letter: the address block and the body (safe HTML), with its residence
    for sorting and the printer's file."""

    address: Address
    body_html: Markup
    residence: str = ""
    extra: dict = field(default_factory=dict, compare=False)


def letter_for(member, body_html: Markup | str) -> Letter:
    """The letter to `member` with `body_html` (HTML the caller vouches for)."""
    residence = member.residence.name if getattr(member, "residence", None) else ""
    return Letter(address_of(member), Markup(body_html), residence)


def sort_key(letter: Letter) -> tuple[str, str, str, str]:
    """Postal order: postcode, then residence, then name."""
    a = letter.address
    return (a.postcode, letter.residence.casefold(), a.last_name.casefold(),
            a.first_name.casefold())


def _stylesheet(name: str = STYLESHEET):
    from weasyprint import CSS

    path = Path(current_app.static_folder or "") / name
    return CSS(string=path.read_text(encoding="utf-8"))


def document_pdf(template: str, stylesheet: str, **context) -> bytes:
    """One of the app's templates (autoescaped like every page) as a PDF, laid out with a
    stylesheet of coopcrm/static: the subject-access document, the register of processing.
    Images are fetched like the letters' (stored images only)."""
    fetch = fetcher.for_app(current_app.config["BASE_URL"])
    return _document(template, fetch, _stylesheet(stylesheet), **context).write_pdf()


def _document(template: str, fetch, stylesheet, **context):
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html, url_fetcher=fetch, base_url=None).render(stylesheets=[stylesheet])


Progress = Callable[[int, int], None]  # (items laid out, items in all), after each chunk


def _pdf(template: str, chunks: list[dict], key: str, progress: Progress | None = None
         ) -> bytes:
    """`template` rendered by the app's Jinja (autoescape) once per chunk of context, each
    laid out by WeasyPrint, the pages put together in one PDF.

    Chunks, because WeasyPrint's layout of one document grows faster than its pages: a
    page of a 400-letter document cost twice one of a 50-letter document (measured with
    bench/bench_letters.py's letters). `progress` hears after each chunk how many of the
    items (under `key` in each chunk) are laid out: a background task's progress bar.
    """
    fetch = fetcher.for_app(current_app.config["BASE_URL"])
    stylesheet = _stylesheet()
    total, done = sum(len(c[key]) for c in chunks), 0
    documents = []
    for context in chunks:
        documents.append(_document(template, fetch, stylesheet, **context))
        done += len(context[key])
        if progress is not None:
            progress(done, total)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def _chunked(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def merged_pdf(letters: Iterable[Letter], *, title: str = "Courriers",
               dated: date | None = None, progress: Progress | None = None) -> bytes:
    """One PDF, one letter a page (a long body continues on the next), in the given order.

    `dated`: the date printed above each body ("Le 3 décembre 2026"), none when None.
    """
    day = fr.long_date(dated) if dated else ""
    return _pdf("letters/merged.html", [{"letters": chunk, "title": title, "dated": day}
                                        for chunk in _chunked(list(letters), LETTERS_CHUNK)],
                "letters", progress)


def labels_pdf(addresses: Iterable[Address], *, title: str = "Étiquettes",
               progress: Progress | None = None) -> bytes:
    """A4 sheets of 3 × 8 address labels (70 × 37 mm), filled row by row (`progress`
    counts sheets)."""
    sheets = _chunked(list(addresses), LABELS_PER_SHEET)
    return _pdf("letters/labels.html", [{"sheets": chunk, "title": title}
                                        for chunk in _chunked(sheets, SHEETS_CHUNK)],
                "sheets", progress)


def printer_lines(letters: Iterable[Letter]) -> list[Sequence]:
    """The letters for a printing house: a header, then one line per letter (its number is
    its page in the merged PDF)."""
    lines: list[Sequence] = [PRINTER_HEADER]
    for n, letter in enumerate(letters, start=1):
        a = letter.address
        first = a.street[0] if a.street else ""
        lines.append([n, a.civility, a.first_name, a.last_name, first, " ".join(a.street[1:]),
                      a.postcode, a.city, letter.residence])
    return lines


def printer_csv(letters: Iterable[Letter]) -> bytes:
    """printer_lines written as CSV by coopcrm.spreadsheet (formula-like cells neutralised)."""
    target = io.BytesIO()
    spreadsheet.write_csv(printer_lines(letters), target)
    return target.getvalue()
