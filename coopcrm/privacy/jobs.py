"""The privacy domain's periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("privacy.prune_reads", every=timedelta(days=1),
          description_fr="Efface du journal des consultations les entrées plus anciennes "
                         "que la durée de conservation.")
def prune_reads(now: datetime) -> str:
    """Delete the reads older than COOPCRM_RETENTION_READS_DAYS."""
    from coopcrm.privacy import reads

    return f"{reads.prune(now)} consultation(s) effacée(s)"
