"""`coopcrm privacy anonymise REF`: erasure of one member, as the member page does it."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

privacy = AppGroup("privacy", help="Données personnelles (RGPD) : anonymisation.")


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
    from coopcrm.members.scoping import by_reference
    from coopcrm.privacy import audit, erasure

    member = by_reference(reference)
    if member is None:
        raise click.ClickException(
            f"Aucun coopérateur (non anonymisé) de référence « {reference} ».")
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
