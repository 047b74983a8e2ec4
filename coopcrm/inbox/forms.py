"""The inbox's one form."""

from __future__ import annotations

from coopcrm.forms import Form


class HandledForm(Form):
    """"Marquer comme traité": CSRF only."""
