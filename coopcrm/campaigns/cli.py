"""`coopcrm campaigns list|show|pause|resume|cancel`: what an operator needs at night."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coopcrm.campaigns.models import RECIPIENT_STATUSES


@click.group(cls=AppGroup)
def campaigns() -> None:
    """Campagnes (envois à un segment, par email ou courrier)."""


def _get(campaign_id: int):
    from coopcrm.campaigns.models import Campaign
    from coopcrm.extensions import db

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"Campagne {campaign_id} introuvable.")
    return campaign


def _act(action, campaign_id: int, *args):
    """Run a state change and commit; a refused transition is one French line, exit 1."""
    from coopcrm.errors import ValidationFailed
    from coopcrm.extensions import db

    campaign = _get(campaign_id)
    try:
        result = action(campaign, *args)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(exc.first_message) from exc
    db.session.commit()
    return campaign, result


@campaigns.command("list")
def list_command() -> None:
    """Les campagnes, la plus récente d'abord : numéro, état, nom."""
    from coopcrm.campaigns import services
    from coopcrm.campaigns.models import Campaign
    from coopcrm.extensions import db

    rows = db.session.scalars(db.select(Campaign).order_by(Campaign.id.desc())).all()
    if not rows:
        click.echo("Aucune campagne.")
    for campaign in rows:
        click.echo(f"{campaign.id}\t{services.state_text(campaign)}\t{campaign.name}")


@campaigns.command("show")
@click.argument("campaign_id", type=click.IntRange(min=1))
def show_command(campaign_id: int) -> None:
    """État d'une campagne et nombre de destinataires par statut."""
    from coopcrm import fr
    from coopcrm.campaigns import services

    campaign = _get(campaign_id)
    services.sync(campaign)
    click.echo(f"Campagne {campaign.id} : {campaign.name}")
    click.echo(f"État : {services.state_text(campaign)}")
    if campaign.launched_at is not None:
        click.echo(f"Lancée le : {fr.datetime(campaign.launched_at)}")
    counts = services.counts(campaign)
    for status, label in RECIPIENT_STATUSES.items():
        click.echo(f"{label} : {fr.count(counts.get(status, 0))}")
    if campaign.launched_at is not None:
        _statistics(campaign)


def _statistics(campaign) -> None:
    """The figures of the campaign page (campaigns.stats), as tab-separated tables."""
    from coopcrm import fr
    from coopcrm.campaigns import stats
    from coopcrm.plaintext import CONTROLS

    figures = stats.statistics(campaign)
    click.echo("Statistiques :")
    for label, n in zip(stats.COLUMNS.values(), figures.total.values(), strict=True):
        click.echo(f"  {label} : {fr.count(n)}")
    for title, lines in (("Par entité", figures.by_entity),
                         ("Par résidence", figures.by_residence)):
        click.echo(f"{title} :\t" + "\t".join(stats.COLUMNS.values()))
        for line in lines:
            # Names are stored values: no control character reaches the terminal.
            click.echo(f"  {CONTROLS.sub(' ', line.label)}\t"
                       + "\t".join(str(n) for n in line.figures.values()))
    click.echo(f"Clics par lien (en tout, jamais par personne) : {fr.count(figures.clicks)}")
    for link in figures.links:
        click.echo(f"  {link.position}\t{link.clicks}\t{CONTROLS.sub(' ', link.url)}")


@campaigns.command("pause")
@click.argument("campaign_id", type=click.IntRange(min=1))
def pause_command(campaign_id: int) -> None:
    """Met l'envoi en pause (les emails pas encore partis sont retenus)."""
    from coopcrm.campaigns import services

    _campaign, taken = _act(services.pause, campaign_id)
    click.echo(f"Campagne {campaign_id} en pause ; {taken} email(s) retenu(s).")


@campaigns.command("resume")
@click.argument("campaign_id", type=click.IntRange(min=1))
def resume_command(campaign_id: int) -> None:
    """Reprend l'envoi là où il s'était arrêté (personne ne le reçoit deux fois)."""
    from coopcrm.campaigns import services

    _act(services.resume, campaign_id)
    click.echo(f"Campagne {campaign_id} reprise.")


@campaigns.command("cancel")
@click.argument("campaign_id", type=click.IntRange(min=1))
def cancel_command(campaign_id: int) -> None:
    """Annule la campagne ; dit combien de membres l'ont déjà reçue."""
    from coopcrm import clock
    from coopcrm.campaigns import services

    _campaign, sent = _act(services.cancel, campaign_id, clock.now())
    click.echo(f"Campagne {campaign_id} annulée ; {sent} membre(s) l'avaient déjà reçue.")
