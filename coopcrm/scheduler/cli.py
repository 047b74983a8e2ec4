"""`coopcrm jobs …` (list, run-due, run) and `coopcrm scheduler` (the long-running process)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import nullcontext
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask.globals import app_ctx

from coopcrm import clock, fr, logs

NOW_HELP = "Date et heure de référence (ISO, heure de Paris si sans fuseau), ex. 2027-01-15T09:00"


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return clock.parse_iso(value)
    except ValueError:
        raise click.BadParameter(
            f"date invalide « {value} » : attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM",
            param_hint="--now",
        ) from None


def _echo_results(results) -> None:
    for r in results:
        if r.ok:
            click.echo(f"  réussie  {r.name} — {r.summary}")
        elif r.skipped:
            click.echo(f"  déjà faite  {r.name} — {r.summary}")
        else:
            click.echo(f"  ERREUR   {r.name} — {r.error}")


def _load_jobs() -> None:
    """The job registry, or the one-line French error of a missing job module (start-up)."""
    from coopcrm.scheduler.registry import MissingJobModule, load_jobs

    try:
        load_jobs()
    except MissingJobModule as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=AppGroup)
def jobs() -> None:
    """Tâches périodiques (planificateur)."""
    _load_jobs()


@jobs.command("list")
def list_jobs():
    """Lister les tâches : calendrier, dernière exécution, état."""
    from coopcrm.scheduler import services

    for row in services.job_overview(clock.now()):
        last = row.last_run
        click.echo(f"{row.job.name:32} {row.job.schedule_fr}")
        if last is None:
            click.echo("    jamais exécutée")
        else:
            line = f"    dernière : {fr.datetime(last.started_dt)} {last.status_label}"
            if last.summary:
                line += f" — {last.summary}"
            click.echo(line)
        click.echo(f"    prochaine : {row.next_due_fr}")


@jobs.command("run-due")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help=NOW_HELP)
def run_due_command(now_text):
    """Exécuter une fois chaque tâche due à cette date (rattrapage, tests)."""
    from coopcrm.scheduler import runner

    now = _parse_now(now_text)
    with clock.frozen(now) if now else nullcontext():
        now = clock.now()
        results = runner.run_due(now, origin="run-due")
    click.echo(f"Au {fr.datetime(now)} (heure de Paris) : {len(results)} tâche(s) due(s).")
    _echo_results(results)
    if any(r.failed for r in results):
        sys.exit(1)


@jobs.command("run")
@click.argument("name")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help=NOW_HELP)
def run_command(name, now_text):
    """Exécuter une tâche maintenant, même si elle n'est pas due."""
    from coopcrm.scheduler import runner
    from coopcrm.scheduler.registry import load_jobs

    if name not in load_jobs():
        raise click.BadParameter(f"tâche inconnue « {name} » (voir `coopcrm jobs list`)",
                                 param_hint="NAME")
    now = _parse_now(now_text)
    with clock.frozen(now) if now else nullcontext():
        result = runner.run_job(name, clock.now(), origin="manuel")
    _echo_results([result])
    if result.failed:
        sys.exit(1)


@click.command("scheduler")
@click.option("--poll", default=10.0, show_default=True,
              help="Secondes entre deux tentatives quand un autre planificateur est actif.")
@with_appcontext
def scheduler_command(poll):
    """Lancer le planificateur (processus à part, jamais dans le serveur web)."""
    from coopcrm.scheduler import lock, runner

    _load_jobs()  # before waiting as a standby: a broken job list fails now, not on takeover
    logs.setup(logs.parse_level(current_app.config.get("LOG_LEVEL")))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick otherwise
    app = app_ctx.app  # the application itself, not the current_app proxy, for its threads
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not runner.serve(app, lock.for_app(app), stop, poll_seconds=poll):
        pass  # lock lost: back to standby with a fresh lock
    click.echo("Planificateur arrêté.")
