"""The `coopcrm` command: Flask's CLI plus each domain's commands.

Whatever goes wrong reaches the user as one French line and a non-zero exit,
never a traceback: bad arguments, settings that cannot be used, a database
that cannot be reached or is not migrated yet.
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo

from coopcrm import cli_fr

cli_fr.install()

# Commands that work on a database that is not (yet) at the current schema.
NO_SCHEMA_CHECK = {"db", "config", "mailcatcher", "backup", "restore", "routes", "shell"}


def _create_app():
    from coopcrm import create_app

    return create_app()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class CoopGroup(FlaskGroup):
    """FlaskGroup that speaks French on failure and refuses an unmigrated database."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        from sqlalchemy.exc import SQLAlchemyError

        from coopcrm.config import ConfigError

        try:
            done = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            # Without standalone mode click returns an Exit's code (--help: 0).
            code = done if isinstance(done, int) else 0
        except click.Abort:
            click.echo("Interrompu.", err=True)
            code = 1
        except click.UsageError as exc:
            hint = f" (voir `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            click.echo(f"Erreur : {exc.format_message()}{hint}", err=True)
            code = exc.exit_code
        except click.ClickException as exc:
            click.echo(f"Erreur : {exc.format_message()}", err=True)
            code = exc.exit_code
        except ConfigError as exc:
            click.echo(f"Configuration invalide : {exc}", err=True)
            code = 2
        except SQLAlchemyError as exc:
            click.echo(f"Base de données injoignable ou invalide : {_first_line(exc)}", err=True)
            code = 1
        except OSError as exc:
            click.echo(f"Erreur système : {exc.strerror or exc} "
                       f"{('(' + str(exc.filename) + ')') if exc.filename else ''}".rstrip(),
                       err=True)
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and name not in NO_SCHEMA_CHECK \
                and not {"--help", "-h"} & set(rest) and not ctx.resilient_parsing:
            _check_schema(ctx)
        return name, command, rest


def _check_schema(ctx: click.Context) -> None:
    from coopcrm import schema

    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        problem = schema.state().problem_fr()
    if problem:
        raise click.ClickException(problem)


@click.group(cls=CoopGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """CoopCRM : gestion de la vie coopérative."""


def _mount_all() -> None:
    from coopcrm.auth.cli import users
    from coopcrm.backup.cli import backup_command, restore_command
    from coopcrm.campaigns.cli import campaigns
    from coopcrm.config_cli import config_group
    from coopcrm.inbox.cli import inbox
    from coopcrm.mailcatcher.cli import mailcatcher
    from coopcrm.members.cli import members
    from coopcrm.privacy.cli import privacy
    from coopcrm.scheduler.cli import jobs, scheduler_command
    from coopcrm.seeding.cli import seed
    from coopcrm.sending.cli import bounces, outbox
    from coopcrm.serving.development import run
    from coopcrm.serving.server import serve

    # `run` replaces Flask's own (the same, minus the versions in its Server header).
    for group in (users, members, seed, mailcatcher, outbox, bounces, jobs, scheduler_command,
                  config_group, serve, run, backup_command, restore_command, campaigns,
                  privacy, inbox):
        main.add_command(group)


_mount_all()


def _mount_dev() -> None:
    from coopcrm.devserver import dev

    main.add_command(dev)


_mount_dev()

if __name__ == "__main__":
    main()
