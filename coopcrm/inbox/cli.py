"""`coopcrm inbox …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup


@click.group(cls=AppGroup)
def inbox() -> None:
    """Boîte des désinscriptions par email (List-Unsubscribe mailto)."""


@inbox.command("ingest")
@click.argument("location")
def ingest_command(location: str) -> None:
    """Lit une boîte (maildir, mbox, .eml, ou imap[s]://utilisateur:mdp@hôte/DOSSIER).

    Sans risque à relancer : chaque message n'est appliqué qu'une fois.
    """
    from coopcrm.inbox.services import ingest
    from coopcrm.inbox.sources import SourceError

    try:
        report = ingest(location)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary_fr())
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise SystemExit(1)
