"""`coopcrm mailcatcher`: SMTP on 127.0.0.1:1025, mailbox on http://127.0.0.1:1080."""

from __future__ import annotations

import os
import signal

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import make_server

HOST = "127.0.0.1"  # never a relay, never reachable from the network


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command("mailcatcher")
@click.option("--smtp-port", default=1025, type=int, show_default=True, help="Port SMTP.")
@click.option("--http-port", default=1080, type=int, show_default=True,
              help="Port de la boîte web.")
@click.option("--maildir", type=click.Path(file_okay=False), default=None,
              help="Dossier des messages (par défaut instance/mailcatcher).")
@with_appcontext
def mailcatcher(smtp_port: int, http_port: int, maildir: str | None) -> None:
    """Boîte mail locale (développement) : reçoit les emails et les affiche dans le navigateur."""
    from coopcrm.mailcatcher.smtp import SMTPServer
    from coopcrm.mailcatcher.store import MailStore
    from coopcrm.mailcatcher.web import create_web_app
    from coopcrm.serving.development import RequestHandler

    store = MailStore(maildir or os.path.join(current_app.instance_path, "mailcatcher"))
    try:
        smtp = SMTPServer(store, HOST, smtp_port).start()
        web = make_server(HOST, http_port, create_web_app(store), threaded=True,
                          request_handler=RequestHandler)
    except OSError as exc:
        raise click.ClickException(f"Port déjà utilisé ou indisponible : {exc}") from exc
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Boîte mail locale : http://{HOST}:{web.server_port}  "
               f"(SMTP {HOST}:{smtp.port}, {len(store)} message(s) dans {store.path})")
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.server_close()
        smtp.stop()
