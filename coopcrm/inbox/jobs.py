"""The inbox's periodic job: read the unsubscribe mailbox when one is configured."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from coopcrm.scheduler.registry import register


@register("inbox.ingest", every=timedelta(minutes=5),
          description_fr="Lit la boîte des désinscriptions par email (COOPCRM_INBOX_URL).")
def ingest_inbox(now: datetime) -> str:
    """Ingest COOPCRM_INBOX_URL as of `now`; nothing when it is not set."""
    location = current_app.config.get("INBOX_URL") or ""
    if not location:
        return "aucune boîte configurée (COOPCRM_INBOX_URL)"
    from coopcrm.inbox.services import ingest

    report = ingest(location, now=now)
    if report.errors:  # the others are recorded; these are tried again next time
        raise RuntimeError(report.summary_fr() + " " + " ; ".join(report.errors[:5]))
    return report.summary_fr()
