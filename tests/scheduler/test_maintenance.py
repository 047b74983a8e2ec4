from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.scheduler.maintenance import prune_job_runs
from coopcrm.scheduler.models import JobRun

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def add_run(name, days_ago, status="ok"):
    db.session.add(JobRun(name=name, started_dt=NOW - timedelta(days=days_ago),
                          finished_dt=NOW - timedelta(days=days_ago), status=status))


def remaining():
    db.session.rollback()
    runs = db.session.scalars(select(JobRun))
    return sorted((r.name, (NOW - r.started_dt).days, r.status) for r in runs)


def test_old_runs_go_but_each_jobs_latest_success_stays():
    add_run("a", 200)
    add_run("a", 120)
    add_run("a", 95, "error")
    add_run("a", 10)
    add_run("yearly", 400)
    add_run("yearly", 300)  # its latest success, though old: keeps "yearly" from falling due
    add_run("broken", 100, "error")
    db.session.commit()

    assert prune_job_runs(NOW) == "5 exécution(s) effacée(s)"
    db.session.commit()
    assert remaining() == [("a", 10, "ok"), ("yearly", 300, "ok")]
    assert prune_job_runs(NOW) == "0 exécution(s) effacée(s)"  # idempotent
