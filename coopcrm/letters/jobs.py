"""The letters domain's periodic job: the PDF documents queued by the pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


def _queued() -> bool:
    from coopcrm.letters.tasks import any_queued

    return any_queued()


# Every minute as a fallback (and to expire old PDFs); `wake` starts a queued task within
# seconds while the referent watches the progress bar.
@register("letters.documents", every=timedelta(minutes=1), wake=_queued,
          description_fr="Prépare les PDF de courriers et d'étiquettes demandés, et supprime "
                         "ceux qui ont expiré.")
def run_documents(now: datetime) -> str:
    """Run the queued letters tasks, oldest first; expire the old PDFs."""
    from coopcrm.letters.tasks import run_queued

    return run_queued(now)
