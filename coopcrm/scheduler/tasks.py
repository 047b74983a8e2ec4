"""Background tasks a job drains (member imports, letters PDFs): one queue discipline.

A task row is `queued` until a scheduler claims it with a conditional UPDATE (two
schedulers never run the same task), then runs to its end; `drain` takes the oldest
queued task until none is left and counts how many ended well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from coopcrm.extensions import db


def claim(model: Any, task_id: int, now: datetime, status: str) -> bool:
    """Move a queued task to `status` as of `now`; False when another process took it."""
    result = cast(CursorResult, db.session.execute(
        update(model).where(model.id == task_id, model.status == "queued")
        .values(status=status, started_dt=now, updated_dt=now)))
    db.session.commit()
    return result.rowcount == 1


def drain(model: Any, now: datetime, status: str,
          run_task: Callable[[int, datetime], bool]) -> tuple[int, int]:
    """Claim and run every queued task of `model`, oldest first: (done, failed)."""
    done = failed = 0
    while (task_id := db.session.scalar(select(model.id).where(model.status == "queued")
                                        .order_by(model.id).limit(1))) is not None:
        if not claim(model, task_id, now, status):
            continue
        if run_task(task_id, now):
            done += 1
        else:
            failed += 1
    return done, failed
