import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db


@click.group(cls=AppGroup)
def users() -> None:
    """Utilisateurs (référents, administrateurs, lecteurs)."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Nom affiché")
@click.option("--role", type=click.Choice(["admin", "referent", "lecteur"]), default="referent")
@click.option("--entity", "entities", multiple=True, help="Code d'entité (répétable)")
@click.option("--all-entities", is_flag=True, help="Voit toutes les entités du groupe")
@click.option("--password-stdin", is_flag=True,
              help="Lire le mot de passe sur l'entrée standard (scripts), sans le demander.")
def create(email, name, role, entities, all_entities, password_stdin):
    """Créer un utilisateur (le mot de passe est demandé, au moins 12 caractères)."""
    from coopcrm.auth.services import create_user
    from coopcrm.members.models import Entity

    # Never as an argument: it would sit in the shell history and the process list.
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True,
                                confirmation_prompt="Confirmez le mot de passe")

    found = list(db.session.scalars(select(Entity).where(Entity.code.in_(entities))))
    missing = set(entities) - {e.code for e in found}
    if missing:
        raise click.ClickException(f"Entité inconnue : {', '.join(sorted(missing))}")
    try:
        user = create_user(email, name, password, role, found, all_entities)
    except ValidationFailed as failed:
        raise click.ClickException(" ".join(failed.errors.values())) from None
    db.session.commit()
    click.echo(f"Utilisateur créé : {user.email} ({user.role_label})")
