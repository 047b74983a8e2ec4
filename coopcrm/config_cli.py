"""`coopcrm config check`: the effective settings, and what cannot work."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask

from coopcrm import config as settings


@click.group("config")
def config_group() -> None:
    """Configuration (variables COOPCRM_*)."""


@config_group.command("check")
def check() -> None:
    """Afficher les réglages effectifs (secrets masqués) ; refuser ceux qui ne peuvent marcher."""
    errors = []
    for setting in settings.SETTINGS:
        try:
            setting.value(dict(os.environ))
        except settings.ConfigError as exc:
            errors.append(str(exc))
    instance = settings.instance_path() or Flask("coopcrm").instance_path
    if not errors:
        try:
            values = settings.load(instance)
        except settings.ConfigError as exc:
            errors.append(str(exc))
        else:
            click.echo(f"COOPCRM_INSTANCE_PATH = {instance}")
            for env, shown in settings.effective(values):
                click.echo(f"{env} = {shown}")
    errors += settings.problems()
    for line in errors:
        click.echo(f"Erreur : {line}", err=True)
    if errors:
        sys.exit(2)
    click.echo("Configuration valide.")
