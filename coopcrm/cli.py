"""The `coopcrm` command: Flask's CLI plus each domain's commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from coopcrm import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CoopCRM : gestion de la vie coopérative."""


def _mount_all() -> None:
    from coopcrm.auth.cli import users
    from coopcrm.backup.cli import backup_command, restore_command
    from coopcrm.mailcatcher.cli import mailcatcher
    from coopcrm.members.cli import members
    from coopcrm.scheduler.cli import jobs, scheduler_command
    from coopcrm.seeding.cli import seed
    from coopcrm.sending.cli import bounces, outbox

    for group in (users, members, seed, mailcatcher, outbox, bounces, jobs, scheduler_command,
                  backup_command, restore_command):
        main.add_command(group)


_mount_all()


def _mount_dev() -> None:
    from coopcrm.devserver import dev

    main.add_command(dev)


_mount_dev()

if __name__ == "__main__":
    main()
