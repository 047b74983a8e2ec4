"""`coopcrm privacy export|anonymise REF`: a member's data, or its erasure, as the member
page does them."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

privacy = AppGroup("privacy", help="Données personnelles (RGPD) : export, anonymisation, "
                                   "durées de conservation.")


@privacy.command("anonymise")
@click.argument("reference")
@click.option("--reason", required=True, help="Motif (demande d'effacement du …).")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def anonymise_command(reference: str, reason: str, yes: bool) -> None:
    """Anonymiser le coopérateur de cette référence : identité et coordonnées effacées,
    statistiques et registres légaux conservés."""
    from coopcrm import clock, fr
    from coopcrm.extensions import db
    from coopcrm.privacy import audit, erasure

    member = _member(reference)
    plan = erasure.plan(member.id)
    click.echo(f"Anonymisation de {member.full_name} ({reference}).")
    click.echo("Effacé : " + " ; ".join(plan.wiped) + ".")
    click.echo("Conservé : " + " ; ".join(plan.kept) + ".")
    for label, law, until in plan.legal:
        click.echo(f"Registre légal : {label} ({law}) garde le nom jusqu'au {until}.")
    if not yes and not click.confirm("Confirmer l'anonymisation ?", default=False):
        raise click.ClickException("Rien n'a été fait.")
    with audit.acting_as(actor="ligne de commande"):
        erasure.anonymise([member.id], reason=reason)
    db.session.commit()
    click.echo(f"Coopérateur anonymisé le {fr.date(clock.now())}.")


def _member(reference: str):
    from coopcrm.members.scoping import by_reference

    member = by_reference(reference)
    if member is None:
        raise click.ClickException(
            f"Aucun coopérateur (non anonymisé) de référence « {reference} ».")
    return member


@privacy.command("export")
@click.argument("reference")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Fichier ZIP à écrire (document lisible et donnees.json).")
@with_appcontext
def export_command(reference: str, out: str) -> None:
    """Exporter les données personnelles du coopérateur de cette référence (droit d'accès,
    RGPD art. 15 et 20), comme le bouton de sa fiche ; l'export est journalisé."""
    from pathlib import Path

    from coopcrm.auth import events
    from coopcrm.extensions import db
    from coopcrm.privacy import access, audit

    member = _member(reference)
    result = access.archive(member)
    try:
        Path(out).write_bytes(result.content)
    except OSError as error:
        raise click.ClickException(f"Impossible d'écrire {out} : {error.strerror}.") from None
    with audit.acting_as(actor=events.COMMAND_LINE):
        access.record_export(member, result)
    # The security log, as for a download from the member page.
    events.record("export", client=events.COMMAND_LINE,
                  detail=events.export_detail(Path(out).name, result.rows))
    db.session.commit()
    click.echo(f"Données de {reference} écrites dans {out} ({result.rows} lignes).")


@privacy.command("retention")
@click.option("--dry-run", is_flag=True,
              help="Compter seulement (sans vider les données de fusion des vieux messages).")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Compter, règle par règle, les fiches dont la durée de conservation est passée
    (leur anonymisation s'approuve sur la page RGPD), alléger les messages envoyés et
    vider les messages reçus, effacer l'historique des modifications passé leur durée de
    conservation (page Durées de conservation, sinon COOPCRM_RETENTION_OUTBOX_MONTHS,
    COOPCRM_RETENTION_INBOX_MONTHS et COOPCRM_RETENTION_AUDIT_YEARS)."""
    from coopcrm import clock
    from coopcrm.extensions import db
    from coopcrm.privacy import retention

    found = retention.counts(clock.today())
    for key, n in found.items():
        click.echo(f"{retention.RULES[key].label} ({retention.RULES[key].description()}) : {n}")
    if dry_run:
        click.echo("Simulation : rien n'a été modifié.")
        return
    cleared = retention.clear_sent_payloads(clock.now())
    received = retention.clear_received(clock.now())
    history = retention.prune_audit(clock.now())
    db.session.commit()
    click.echo(f"{cleared} message(s) envoyé(s) allégé(s) de leurs données de fusion.")
    click.echo(f"{received} message(s) reçu(s) vidé(s) de leur contenu.")
    click.echo(f"{history} entrée(s) de l'historique des modifications effacée(s).")
