"""`coopcrm outbox …` and `coopcrm bounces …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coopcrm.sending.models import STATUSES


@click.group(cls=AppGroup)
def outbox() -> None:
    """Emails en attente d'envoi (la file d'envoi)."""


@outbox.command("flush")
@click.option("--limit", type=int, default=None, help="Nombre maximum de messages à traiter.")
@click.option("--batch-size", type=int, default=None, help="Messages par connexion SMTP.")
def flush_command(limit: int | None, batch_size: int | None) -> None:
    """Envoie les messages dus (sans risque si plusieurs envois tournent en même temps)."""
    from coopcrm.sending.flush import flush

    report = flush(limit=limit, batch_size=batch_size)
    click.echo(report.summary_fr())
    if report.error:
        raise SystemExit(1)


@outbox.command("status")
def status_command() -> None:
    """Nombre de messages par statut."""
    from coopcrm.sending.services import counts_by_status

    counts = counts_by_status()
    for status, label in STATUSES.items():
        click.echo(f"{label} : {counts.get(status, 0)}")


@click.group(cls=AppGroup)
def bounces() -> None:
    """Retours de non-remise (adresses en erreur)."""


@bounces.command("ingest")
@click.argument("path", type=click.Path(exists=True))
def ingest_command(path: str) -> None:
    """Lit les avis de non-remise (RFC 3464) d'un maildir, d'un dossier de .eml ou d'un fichier."""
    from coopcrm.sending.bounces import ingest

    result = ingest(path)
    click.echo(result.summary_fr())
    for error in result.errors:
        click.echo(error, err=True)
    if result.errors:
        raise SystemExit(1)
