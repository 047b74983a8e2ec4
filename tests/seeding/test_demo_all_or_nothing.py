"""`seed demo` is all or nothing, and `--if-empty` never takes a half-loaded base as loaded."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.seeding import demo
from coopcrm.seeding.cli import seed
from tests.seeding.test_demo import NOW


def _row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_a_load_failing_in_its_last_step_leaves_nothing_behind(cli, monkeypatch):
    clock.set_now(NOW)
    from coopcrm.events import demo as events_demo

    real = events_demo.load_demo

    def fails_after_writing(*args, **kwargs):
        # The events' own rows are written and "committed" first: they must go too.
        real(*args, **kwargs)
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(events_demo, "load_demo", fails_after_writing)
    failed = cli.invoke(seed, ["demo", "--members", "30"])
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    message = failed.output.strip()
    assert len(message.splitlines()) == 1
    assert "a échoué" in message and "panne simulée" in message
    assert "rien n'a été enregistré" in message
    assert {name: n for name, n in _row_counts().items() if n} == {}

    monkeypatch.setattr(events_demo, "load_demo", real)
    again = cli.invoke(seed, ["demo", "--members", "30"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count(Member.id))) == 30


def test_if_empty_refuses_a_half_loaded_base_and_says_what_to_do(cli):
    clock.set_now(NOW)
    # What an older, non-atomic load left when a later step failed: members committed,
    # no survey nor events.
    demo._load(30, random.Random(1))
    db.session.commit()
    before = _row_counts()
    for args in (["demo", "--if-empty"], ["demo", "--members", "30"]):
        result = cli.invoke(seed, args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output
        assert "qu'à moitié" in lines[0] and "supprimez la base" in lines[0]
        assert "coopcrm seed demo" in lines[0]
    assert _row_counts() == before


def test_if_empty_still_accepts_a_complete_demo(cli):
    clock.set_now(NOW)
    assert cli.invoke(seed, ["demo", "--members", "20"]).exit_code == 0
    skipped = cli.invoke(seed, ["demo", "--if-empty"])
    assert skipped.exit_code == 0 and "rien à faire" in skipped.output
