from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from coopcrm import clock
from coopcrm.scheduler.registry import Job, Registry, load_jobs


def _noop(now):
    return 0


def paris(*args):
    return datetime(*args, tzinfo=clock.PARIS).astimezone(UTC)


def test_every_registered_job_has_a_unique_name_a_schedule_and_a_description():
    jobs = load_jobs().all()
    names = [j.name for j in jobs]
    assert "maintenance.prune_job_runs" in names
    assert len(names) == len(set(names))
    for job in jobs:
        assert (job.every is None) != (job.cron is None), job.name
        assert isinstance(job.trigger(), (IntervalTrigger, CronTrigger)), job.name
        assert str(job.trigger().timezone) == "Europe/Paris", job.name
        assert job.description_fr, job.name
        assert job.schedule_fr, job.name


def test_a_name_is_registered_once():
    reg = Registry()
    reg.register("a.job", _noop, every=timedelta(minutes=1))
    with pytest.raises(ValueError, match="already registered"):
        reg.register(Job("a.job", _noop, every=timedelta(hours=1)))


def test_the_decorator_registers_and_returns_the_function():
    reg = Registry()

    @reg.register("a.job", cron={"hour": 3}, description_fr="x")
    def job(now):
        return "fait"

    assert job(None) == "fait"
    assert reg.get("a.job").func is job


def test_a_job_needs_exactly_one_valid_schedule():
    with pytest.raises(ValueError):
        Job("x", _noop)
    with pytest.raises(ValueError):
        Job("x", _noop, every=timedelta(minutes=1), cron={"hour": 1})
    with pytest.raises(ValueError):
        Job("x", _noop, every=timedelta(0))
    with pytest.raises(ValueError):
        Job("x", _noop, cron={"hour": 25})


def test_an_interval_job_is_due_when_its_interval_has_passed():
    job = Job("x", _noop, every=timedelta(hours=1))
    last = paris(2027, 1, 15, 9, 0)
    assert job.is_due(last, None)
    assert not job.is_due(last, last)
    assert not job.is_due(last + timedelta(minutes=59), last)
    assert job.is_due(last + timedelta(hours=1), last)
    assert not job.is_due(last - timedelta(days=30), last)  # a clock moved back: nothing to do


def test_a_cron_job_is_due_once_its_time_has_come_again_in_paris_time():
    job = Job("x", _noop, cron={"hour": 9, "minute": 0})
    last = paris(2027, 1, 15, 9, 0)
    assert not job.is_due(paris(2027, 1, 16, 8, 59), last)
    assert job.is_due(paris(2027, 1, 16, 9, 0), last)
    assert job.next_due(last) == paris(2027, 1, 16, 9, 0)
    # Summer time: still 09:00 in Paris, i.e. 07:00 UTC.
    assert job.next_due(paris(2027, 7, 1, 9, 0)) == datetime(2027, 7, 2, 7, 0, tzinfo=UTC)
    # A run late in the day (after a catch-up) waits for the next 09:00.
    assert not job.is_due(paris(2027, 1, 16, 8, 0), paris(2027, 1, 15, 18, 30))


def test_schedules_read_in_plain_french():
    assert Job("x", _noop, every=timedelta(minutes=1)).schedule_fr == "toutes les minutes"
    assert Job("x", _noop, every=timedelta(minutes=5)).schedule_fr == "toutes les 5 minutes"
    assert Job("x", _noop, every=timedelta(days=1)).schedule_fr == "tous les jours"
    assert Job("x", _noop, every=timedelta(hours=6)).schedule_fr == "toutes les 6 heures"
    assert Job("x", _noop, cron={"hour": 9, "minute": 0}).schedule_fr == "tous les jours à 09:00"


def test_every_listed_job_module_exists_and_registers_jobs():
    import importlib

    from coopcrm.scheduler import registry as reg

    load_jobs()
    owners = {job.func.__module__ for job in reg.registry.all()}
    for module in reg.JOB_MODULES:
        importlib.import_module(module)  # raises if the module is missing
        assert module in owners, f"{module} registers no job"


def test_a_missing_job_module_is_an_error_not_skipped(monkeypatch):
    from coopcrm.scheduler import registry as reg

    monkeypatch.setattr(reg, "JOB_MODULES", (*reg.JOB_MODULES, "coopcrm.nowhere.jobs"))
    with pytest.raises(reg.MissingJobModule, match=r"coopcrm\.nowhere\.jobs"):
        load_jobs()


def test_a_broken_import_inside_a_job_module_is_not_reported_as_a_missing_module(
        monkeypatch, tmp_path):
    from coopcrm.scheduler import registry as reg

    (tmp_path / "broken_jobs_module.py").write_text("import coopcrm.no_such_thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(reg, "JOB_MODULES", ("broken_jobs_module",))
    with pytest.raises(ModuleNotFoundError) as raised:
        load_jobs()
    assert not isinstance(raised.value, reg.MissingJobModule)
    assert raised.value.name == "coopcrm.no_such_thing"


def test_the_scheduler_refuses_to_start_with_a_missing_job_module(cli, monkeypatch):
    from coopcrm.scheduler import registry as reg
    from coopcrm.scheduler import runner

    def never(*args, **kwargs):
        raise AssertionError("the scheduler started")

    monkeypatch.setattr(runner, "serve", never)
    monkeypatch.setattr(reg, "JOB_MODULES", (*reg.JOB_MODULES, "coopcrm.nowhere.jobs"))
    for args in (["scheduler"], ["jobs", "list"]):
        result = cli(*args)
        assert result.exit_code == 1, result.output
        assert "module de tâches introuvable : coopcrm.nowhere.jobs" in result.output
        assert "Traceback" not in result.output
