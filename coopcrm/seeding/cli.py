import click
from flask.cli import with_appcontext


@click.group()
def seed() -> None:
    """Données de référence et de démonstration."""


@seed.command("demo")
@click.option("--if-empty", is_flag=True,
              help="Ne rien faire si la base contient déjà des membres ou les entités.")
@click.option("--members", "count", default=2000, show_default=True,
              type=click.IntRange(1, 200_000), help="Nombre de coopérateurs")
@click.option("--random-seed", default=2026, show_default=True)
@with_appcontext
def demo(if_empty, count, random_seed):
    """Charger la démonstration : 2 entités, ~10 résidences, ~2 000 coopérateurs."""
    from coopcrm.seeding import demo as demo_data

    try:
        result = demo_data.load(count=count, random_seed=random_seed, if_empty=if_empty)
    except demo_data.DemoAlreadyLoaded as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result)


@seed.command("reference")
@with_appcontext
def reference():
    """Charger le catalogue des moments clés et les collèges par défaut (sans doublon)."""
    from coopcrm.extensions import db
    from coopcrm.seeding.reference import load_colleges, load_moment_types

    types, colleges = load_moment_types(), load_colleges()
    db.session.commit()
    click.echo(f"{types} type(s) de moment et {colleges} collège(s) ajoutés.")
