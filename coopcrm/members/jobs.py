"""The members domain's periodic job: the import tasks queued by the upload page."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


def _queued() -> bool:
    from coopcrm.members.importing.tasks import any_queued

    return any_queued()


# Every minute as a fallback (and to catch up after a restart); the scheduler process
# also checks every few seconds whether a task waits (`wake`), so that a referent
# watching the progress bar waits seconds, not a minute, without a ledger row per check.
@register("members.imports", every=timedelta(minutes=1), wake=_queued,
          description_fr="Lit, vérifie et enregistre les imports de coopérateurs déposés.")
def run_imports(now: datetime) -> str:
    """Run the queued import tasks, oldest first."""
    from coopcrm.members.importing.tasks import run_queued

    return run_queued(now)
