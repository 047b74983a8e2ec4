import click
from flask.cli import AppGroup, with_appcontext


@click.group(cls=AppGroup)
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
    except Exception as exc:  # noqa: BLE001 - one French line, and nothing was kept
        raise click.ClickException(
            f"Le chargement de la démonstration a échoué ({type(exc).__name__} : {exc}) : "
            "rien n'a été enregistré.") from None
    click.echo(result)


@seed.command("reference")
@with_appcontext
def reference():
    """Charger les données de référence (moments clés, collèges, numéros de la lettre)."""
    from coopcrm.extensions import db
    from coopcrm.seeding.reference import load_all

    added = load_all()
    db.session.commit()
    click.echo("Données de référence ajoutées : " + (", ".join(
        f"{n} {label}" for label, n in added.items() if n) or "rien de nouveau") + ".")
