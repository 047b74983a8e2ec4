import click


@click.group()
def members() -> None:
    """Fichier des coopérateurs : import, export."""
