"""Saved member filters (segments)."""

from __future__ import annotations

from coopcrm.members.query import MemberFilter
from coopcrm.segments import services
from coopcrm.segments.models import Segment
from tests.factories._base import finished, n


def segment(name=None, filters: MemberFilter | dict | None = None, user=None,
            commit=True) -> Segment:
    """A segment saved through the service; `filters` as a MemberFilter or the query's dict."""
    if not isinstance(filters, MemberFilter):
        filters = MemberFilter.parse(filters or {})[0]
    return finished(services.create(name or f"Segment {n()}", filters, user), commit)
