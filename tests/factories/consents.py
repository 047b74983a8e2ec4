"""Consents: a grant or withdrawal, recorded as the member pages record it."""

from __future__ import annotations

import io
from contextlib import nullcontext
from datetime import datetime

from coopcrm import clock
from coopcrm.privacy.consents import set_consent
from tests.factories._base import finished


def scan_pdf() -> bytes:
    """A whole one-page PDF (blank), as a scanner writes one: walks read PDFs back."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def consent_scan(member, user, commit=True):
    """A paper form recorded by `user` with its scan (privacy/proofs.py): the member's
    e-convocation answer turned over."""
    return consent(member, kind="econvocation", granted=not member.econvocation_consent,
                   source="bulletin papier", user=user, proof=scan_pdf(), commit=commit)


def consent(member, kind="newsletter", granted=True, when: datetime | None = None,
            source="formulaire", wording="texte", commit=True, **kw):
    """The ConsentRecord of a change (None when the member already stood there), at `when`."""
    with clock.frozen(when) if when is not None else nullcontext():
        record = set_consent(member, kind, granted, source, wording, **kw)
        return finished(record, commit)
