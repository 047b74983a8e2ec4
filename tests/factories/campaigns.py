"""Campaigns, written through the service."""

from __future__ import annotations

from coopcrm.campaigns import services
from tests.factories._base import finished, n

BODY = {"version": 1, "blocks": [
    {"type": "heading", "text": 'Votre résidence <span data-placeholder="residence"></span>'},
    {"type": "paragraph", "html": '<p>Les fondations sont coulées. '
                                  '<a href="https://coop.example/chantier">Photos</a></p>'},
]}


def campaign(user, segment=None, commit=True, **kw):
    """A draft campaign by `user` to `segment`, with a heading and a paragraph."""
    data = {"name": f"Campagne {n()}", "subject": "Information d'avancement",
            "body": BODY, "segment_id": segment.id if segment is not None else None, **kw}
    return finished(services.create(data, user), commit)
