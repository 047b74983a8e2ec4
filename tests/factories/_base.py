"""What every factory module shares: one counter (unique names across domains), saving."""

from __future__ import annotations

import itertools
from datetime import date

from coopcrm.extensions import db

_seq = itertools.count(1)


def n() -> int:
    """The next number of the run's one sequence (user3, Entité 4, Nom5…: never twice)."""
    return next(_seq)


def saved(row, commit: bool):
    """Add `row` to the session, committed unless `commit` is false; return it."""
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def finished(row, commit: bool):
    """A row a service already added: commit it unless asked not to; return it."""
    if commit:
        db.session.commit()
    return row


def today() -> date:
    from coopcrm import clock

    return clock.today()
