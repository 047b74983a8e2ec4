"""What every view shares: the transaction of a request that writes, and the form's answer.

A view calls its services inside `transaction()`: the block's work is committed,
or, when a service refuses (ValidationFailed), rolled back and its French
messages shown, on the form's fields or as flashed errors. `render_form` answers
422 when the form it shows carries errors, 200 otherwise. `download` answers a
spreadsheet export, written whole before its first byte is sent (`send_bytes` a file
already whole in memory, `download_pdf` a PDF of letters), and tells the listeners
registered with `on_download` (the security log records who took what).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Response, flash, render_template, send_file

from coopcrm import spreadsheet
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.forms import attach_errors, first_field

FIRST_FIELD: Any = object()  # the default fallback: the form's first visible field


@dataclass
class Outcome:
    """How the block ended: `ok` once committed; else the service's `errors` and the
    `rest` of them that no field of the form took."""

    ok: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    rest: dict[str, str] = field(default_factory=dict)


@contextmanager
def transaction(form=None, *, fallback=FIRST_FIELD, aliases: Mapping[str, str] | None = None,
                flash_rest: bool = True) -> Iterator[Outcome]:
    """Commit what the block wrote; on ValidationFailed roll back and show its messages.

    With a form, a message goes on the field of its key (or of `aliases[key]`), one no
    field takes on `fallback` (the form's first field unless told; None: no fallback).
    The messages left over (all of them without a form) are flashed as errors, or, with
    `flash_rest=False`, left in `outcome.rest` for the page to show. Any other exception
    goes through untouched (the request's teardown discards the session).
    """
    outcome = Outcome()
    try:
        yield outcome
        db.session.commit()
    except ValidationFailed as failed:
        db.session.rollback()
        outcome.errors = dict(failed.errors)
        outcome.rest = outcome.errors
        if form is not None:
            outcome.rest = attach_errors(
                form, failed.errors, aliases=aliases,
                fallback=first_field(form) if fallback is FIRST_FIELD else fallback)
        if flash_rest:
            for message in outcome.rest.values():
                flash(message, "error")
    else:
        outcome.ok = True


def render_form(template: str, form=None, **context) -> tuple[str, int]:
    """The page of `form` (passed as `form`): 422 when it has errors, else 200.

    `errors`, when the page is given them, are messages no field took (or those of a
    page without a WTForms form): they count as errors too.
    """
    failed = bool(form is not None and form.errors) or bool(context.get("errors"))
    if form is not None:
        context["form"] = form
    return render_template(template, **context), 422 if failed else 200


# Past this size a download being written moves from memory to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024

# Called with (filename, data rows) for every file a view hands out; a core module
# names no domain, so the security log registers itself here.
_DOWNLOAD_LISTENERS: list[Callable[[str, int], None]] = []


def on_download(listener: Callable[[str, int], None]) -> Callable[[str, int], None]:
    """Register `listener(filename, rows)`, called in the request before the file is sent;
    what it writes is committed with the download."""
    if listener not in _DOWNLOAD_LISTENERS:
        _DOWNLOAD_LISTENERS.append(listener)
    return listener


def downloaded(filename: str, rows: int) -> None:
    """Tell the listeners that `filename` (of `rows` data rows) is handed out, and commit
    what they recorded: a download is a GET, which writes nothing else."""
    for listener in _DOWNLOAD_LISTENERS:
        listener(filename, rows)
    db.session.commit()


def download(lines: Iterable[Sequence], filename: str, *, sheet: str = "Export") -> Response:
    """`lines` (header first) as a .csv or .xlsx attachment, by `filename`'s extension.

    Every line is read and written (to memory, then a temporary file past 8 MB)
    before the response exists: a query or a value that fails makes the request
    fail with an error page, never a 200 cut short. Text cells are neutralised
    (spreadsheet.neutral) by the writers. The download listeners are told (`downloaded`).
    """
    target = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    try:
        if filename.endswith(".csv"):
            written = spreadsheet.write_csv(lines, target)
            mimetype = spreadsheet.CSV_MIMETYPE
        elif filename.endswith(".xlsx"):
            written = spreadsheet.write_xlsx(lines, target, sheet)
            mimetype = spreadsheet.XLSX_MIMETYPE
        else:
            raise ValueError(f"unknown spreadsheet extension: {filename}")
    except BaseException:
        target.close()
        raise
    size = target.tell()
    target.seek(0)
    downloaded(filename, max(written - 1, 0))  # the header is not a row of data
    response = send_file(target, mimetype=mimetype, as_attachment=True, download_name=filename,
                         max_age=0)
    response.content_length = size
    return response


def send_bytes(content: bytes, filename: str, mimetype: str, rows: int) -> Response:
    """A file made whole in memory (a PDF, a ZIP) as an attachment, told to the download
    listeners like every other download (`rows`: the member rows it holds)."""
    downloaded(filename, rows)
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                         download_name=filename, max_age=0)
    response.content_length = len(content)
    return response


PDF_MIMETYPE = "application/pdf"


def download_pdf(document: bytes, filename: str, *, rows: int) -> Response:
    """A PDF of member data (letters, labels), already whole (WeasyPrint writes it in
    memory), as an attachment through `send_bytes`: `rows` the members it holds."""
    if not filename.endswith(".pdf"):
        raise ValueError(f"not a PDF name: {filename}")
    return send_bytes(document, filename, PDF_MIMETYPE, rows)
