"""The one list of periodic jobs.

A domain declares its jobs in its own `jobs.py` with `register`:

    from coopcrm.scheduler.registry import register

    @register("sending.flush", every=timedelta(minutes=1),
              description_fr="Envoie les emails en attente")
    def flush(now: datetime) -> int:
        ...  # select what is due as of `now`, act, return a short summary

and the module is listed in `JOB_MODULES` below. `func(now)` returns a short
summary (a count or a sentence); the runner commits after it returns.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from coopcrm import clock

# Modules that register jobs when imported. Each must exist: a name listed here
# whose module is missing (a typo, a file moved) would otherwise silently leave
# its jobs unscheduled, so it stops the scheduler at start-up (`load_jobs`).
JOB_MODULES = (
    "coopcrm.scheduler.maintenance",
    "coopcrm.members.jobs",
    "coopcrm.sending.jobs",
    "coopcrm.letters.jobs",
    "coopcrm.campaigns.jobs",
    "coopcrm.inbox.jobs",
    "coopcrm.cycle.jobs",
    "coopcrm.journeys.jobs",
    "coopcrm.events.jobs",
    "coopcrm.surveys.jobs",
    "coopcrm.privacy.jobs",
)

JobFunc = Callable[[datetime], "str | int | None"]


@dataclass(frozen=True)
class Job:
    """A periodic job: `func(now)` every `every`, or when the `cron` fields (Paris time) fire."""

    name: str
    func: JobFunc
    every: timedelta | None = None
    cron: dict | None = field(default=None, hash=False)
    description_fr: str = ""
    # A cheap question the long-running process asks every few seconds ("is work
    # waiting?"): True runs the job now rather than at its next interval.
    wake: Callable[[], bool] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self):
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"job {self.name!r}: give exactly one of every= or cron=")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError(f"job {self.name!r}: every= must be positive")
        if self.cron is not None:
            self.trigger()  # CronTrigger rejects bad fields now, not at 3 a.m.

    def trigger(self) -> BaseTrigger:
        """The APScheduler trigger for the long-running process."""
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=clock.PARIS)
        assert self.cron is not None  # exactly one of every= and cron= (__post_init__)
        return CronTrigger(timezone=clock.PARIS, **self.cron)

    def next_due(self, last_ok: datetime | None) -> datetime | None:
        """When the job falls due after a successful run at `last_ok` (None: due now)."""
        if last_ok is None:
            return None
        if self.every is not None:
            return last_ok + self.every
        fire = self.trigger().get_next_fire_time(None, last_ok + timedelta(microseconds=1))
        return fire.astimezone(UTC) if fire is not None else None

    def is_due(self, now: datetime, last_ok: datetime | None) -> bool:
        """Due when it never succeeded, or its interval has passed / its cron has fired since."""
        if last_ok is None:
            return True
        due = self.next_due(last_ok)
        return due is not None and due <= now

    @property
    def schedule_fr(self) -> str:
        """The schedule in plain French, for the admin page and `jobs list`."""
        if self.every is not None:
            return _every_fr(self.every)
        assert self.cron is not None  # exactly one of every= and cron= (__post_init__)
        fields = dict(self.cron)
        if set(fields) <= {"hour", "minute"} and all(isinstance(v, int) for v in fields.values()):
            return f"tous les jours à {fields.get('hour', 0):02d}:{fields.get('minute', 0):02d}"
        return "calendrier : " + ", ".join(f"{k}={v}" for k, v in fields.items())


def _every_fr(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    for size, one, many in ((86400, "tous les jours", "jours"),
                            (3600, "toutes les heures", "heures"),
                            (60, "toutes les minutes", "minutes")):
        if seconds % size == 0:
            n = seconds // size
            return one if n == 1 else f"{'tous' if size == 86400 else 'toutes'} les {n} {many}"
    return f"toutes les {seconds} secondes"


class Registry:
    """Jobs by name; a name is registered once."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def register(self, job_or_name: Job | str, func: JobFunc | None = None, *,
                 every: timedelta | None = None, cron: dict | None = None,
                 description_fr: str = "", wake: Callable[[], bool] | None = None):
        """Register a Job, or `register(name, func, every=…)`, or use `@register(name, every=…)`."""
        if isinstance(job_or_name, Job):
            return self._add(job_or_name)
        if func is None:
            def decorator(f: JobFunc) -> JobFunc:
                self._add(Job(job_or_name, f, every, cron, description_fr, wake))
                return f
            return decorator
        return self._add(Job(job_or_name, func, every, cron, description_fr, wake))

    def _add(self, job: Job) -> Job:
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} is already registered")
        self._jobs[job.name] = job
        return job

    def unregister(self, name: str) -> None:
        """Remove a job (tests register throwaway jobs)."""
        self._jobs.pop(name, None)

    @contextmanager
    def only(self, *jobs: Job) -> Iterator[Registry]:
        """Within the block, exactly these jobs are registered (tests isolate the runner)."""
        load_jobs()  # a job module first imported inside the block would register into it
        saved = self._jobs
        self._jobs = {}
        try:
            for job in jobs:
                self._add(job)
            yield self
        finally:
            self._jobs = saved

    def get(self, name: str) -> Job:
        try:
            return self._jobs[name]
        except KeyError:
            raise KeyError(f"no job named {name!r}") from None

    def all(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.name)

    def __contains__(self, name: str) -> bool:
        return name in self._jobs


registry = Registry()
register = registry.register


class MissingJobModule(RuntimeError):
    """A module named in JOB_MODULES cannot be found: its jobs would never run."""


def load_jobs() -> Registry:
    """Import every domain's job module (once) and return the registry.

    Raises MissingJobModule when a module of JOB_MODULES does not exist; an
    error inside an existing module propagates as it is.
    """
    for module in JOB_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not _is_or_contains(exc.name, module):
                raise  # the module exists but imports something missing: its own bug
            raise MissingJobModule(
                f"module de tâches introuvable : {module} (JOB_MODULES, "
                "coopcrm/scheduler/registry.py)") from exc
    return registry


def _is_or_contains(name: str, module: str) -> bool:
    """Whether `name` is `module` or one of its parent packages."""
    return module == name or module.startswith(name + ".")
