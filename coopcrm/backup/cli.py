"""`coopcrm backup PATH` and `coopcrm restore PATH`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


def _fail(message: str) -> None:
    # One French line and a non-zero exit: click's "Error: …" prefix is English.
    click.echo(message, err=True)
    raise SystemExit(1)


@click.command("backup")
@click.argument("path")
@click.option("--force", is_flag=True, help="Remplacer le fichier s'il existe déjà.")
@with_appcontext
def backup_command(path: str, force: bool) -> None:
    """Sauvegarder toute la base dans un fichier (copie cohérente, même appli en marche)."""
    from coopcrm.backup.services import BackupError, backup

    try:
        summary = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path, force=force)
    except BackupError as e:
        _fail(str(e))
    click.echo(summary.summary_fr())


@click.command("restore")
@click.argument("path")
@with_appcontext
def restore_command(path: str) -> None:
    """Restaurer une sauvegarde dans une base vide (du même moteur)."""
    from coopcrm.backup.services import BackupError, restore
    from coopcrm.schema import known_revisions

    try:
        summary = restore(current_app.config["SQLALCHEMY_DATABASE_URI"], path,
                          known_revisions=known_revisions())
    except BackupError as e:
        _fail(str(e))
    click.echo(summary.summary_fr())
