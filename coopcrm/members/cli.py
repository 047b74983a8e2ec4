"""`coopcrm members import|export`: the member file from and to CSV or XLSX."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext


@click.group(cls=AppGroup)
def members() -> None:
    """Fichier des coopérateurs : import, export."""


@members.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--entity", "entity_code", help="Code de l'entité des lignes sans colonne entite.")
@click.option("--dry-run", is_flag=True, help="Vérifier et compter, sans rien enregistrer.")
@click.option("--skip-invalid", is_flag=True,
              help="Enregistrer les lignes valides et ignorer les autres (listées).")
@with_appcontext
def import_command(path: str, entity_code: str | None, dry_run: bool, skip_invalid: bool) -> None:
    """Importer des coopérateurs depuis un fichier CSV ou XLSX."""
    from coopcrm.members.importing.service import import_members

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    name = os.path.basename(path)
    if os.path.getsize(path) > limit:
        raise click.ClickException(
            f"{name} dépasse la taille maximale autorisée ({limit // (1024 * 1024)} Mo).")
    # The file's path: the importer reads it as a stream (never whole, whatever its size).
    report = import_members(Path(path), name, entity_code=entity_code, dry_run=dry_run,
                            skip_invalid=skip_invalid, max_bytes=limit)
    click.echo(format_report(report))
    if report.blocked:
        raise SystemExit(1)


@members.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--entity", "entity_code", help="Seulement les coopérateurs de cette entité.")
@with_appcontext
def export_command(path: str, entity_code: str | None) -> None:
    """Exporter le fichier des coopérateurs (CSV ou XLSX selon l'extension)."""
    from coopcrm.auth import events
    from coopcrm.extensions import db
    from coopcrm.members import exporter

    try:
        count = exporter.export_file(path, entity_code=entity_code)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    # The file is out of the app's hands now: the security log says so, as for a download.
    events.record("export", client=events.COMMAND_LINE,
                  detail=events.export_detail(Path(path).name, count))
    db.session.commit()
    click.echo(f"{count} coopérateur(s) exporté(s) dans {path}.")


def format_report(report) -> str:
    """The import report as plain text, in French."""
    lines = []
    if report.file_problem:
        lines.append(f"Import impossible : {report.problems[0].message}")
        return "\n".join(lines)
    lines.append(f"{report.filename} : {report.rows} ligne(s) lue(s).")
    lines.append(f"  à créer : {report.created}")
    lines.append(f"  à mettre à jour : {report.updated}")
    lines.append(f"  inchangés : {report.unchanged}")
    lines.append(f"  invalides : {report.invalid}")
    if report.ignored_columns:
        lines.append("Colonnes ignorées : " + ", ".join(report.ignored_columns))
    for p in report.problems:
        lines.append(f"Ligne {p.line}, colonne {p.column} : {p.message}")
    for p in report.warnings:
        lines.append(f"Ligne {p.line}, colonne {p.column} (avertissement) : {p.message}")
    if report.written:
        skipped = f" ; {report.invalid} ligne(s) invalide(s) ignorée(s)" if report.invalid else ""
        lines.append(f"Import enregistré : {report.created} créé(s), {report.updated} mis à jour"
                     f"{skipped}.")
    elif report.dry_run and not report.blocked:
        lines.append("Simulation (--dry-run) : rien n'a été enregistré.")
    elif report.blocked:
        lines.append("Rien n'a été enregistré : corrigez les lignes en erreur, "
                     "ou relancez avec --skip-invalid pour n'importer que les lignes valides.")
    return "\n".join(lines)
