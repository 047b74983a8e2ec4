"""Consents: a grant or withdrawal, recorded as the member pages record it."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from coopcrm import clock
from coopcrm.privacy.consents import set_consent
from tests.factories._base import finished


def consent(member, kind="newsletter", granted=True, when: datetime | None = None,
            source="formulaire", wording="texte", commit=True, **kw):
    """The ConsentRecord of a change (None when the member already stood there), at `when`."""
    with clock.frozen(when) if when is not None else nullcontext():
        record = set_consent(member, kind, granted, source, wording, **kw)
        return finished(record, commit)
