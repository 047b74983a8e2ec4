"""The sending domain's periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("sending.flush", every=timedelta(minutes=1),
          description_fr="Envoie les emails en attente (avec nouvelles tentatives espacées).")
def flush_outbox(now: datetime) -> str:
    """Drain the outbox: what is due as of `now`, stamped from `now` on."""
    from coopcrm.sending.flush import flush

    report = flush(now=now)
    if report.error:  # the rows went back to the queue; the job shows as failed
        raise RuntimeError(report.summary_fr())
    return report.summary_fr()
