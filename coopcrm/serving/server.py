"""`coopcrm serve`: the app under gunicorn, for production on Linux.

We bind the listening socket ourselves and hand gunicorn its file descriptor: a port
already in use is then reported before gunicorn starts, in one French line, and no
other program can take the port between our check and gunicorn's start.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

import click

from coopcrm import logs
from coopcrm.logs import StartupError, shown

log = logging.getLogger("coopcrm.serving")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
BACKLOG = 2048  # gunicorn's own default
# The combined log format minus its timestamp (ours starts the line), plus the duration.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or StartupError saying why not, in French."""
    if not 1 <= port <= 65535:
        raise StartupError(f"Port invalide {port} : choisir entre 1 et 65535.")
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0]
    except socket.gaierror:
        raise StartupError(f"Adresse inconnue « {shown(host)} » (option --host).") from None
    sock = socket.socket(family, kind, proto)
    # A restart must not wait for the old connections in TIME_WAIT; a live listener
    # on the port still makes bind fail.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"Le port {port} est déjà utilisé (CoopCRM tourne peut-être déjà ?) : "
                f"arrêtez l'autre programme ou choisissez un autre port, "
                f"ex. coopcrm serve --port {port + 1 if port < 65535 else 8000}"
            ) from None
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"Le port {port} est réservé à l'administrateur : prenez un port au-dessus "
                "de 1024 derrière le proxy (nginx)."
            ) from None
        raise StartupError(
            f"Impossible d'écouter sur {shown(host)}:{port} : {exc.strerror}.") from None
    return sock


def worker_count(option: int | None, setting) -> int:
    """--workers, else COOPCRM_WEB_WORKERS, else 2; StartupError unless a whole number ≥ 1."""
    value = option if option is not None else setting
    try:
        count = int(str(value).strip())
    except ValueError:
        count = 0
    if count < 1:
        source = "--workers" if option is not None else "COOPCRM_WEB_WORKERS"
        raise StartupError(f"{source} invalide « {shown(value)} » : un nombre entier, 1 ou plus.")
    return count


def gunicorn_options(fd: int, workers: int, level: int) -> dict:
    """The gunicorn settings `coopcrm serve` runs with."""
    return {
        "bind": [f"fd://{fd}"],
        "workers": workers,
        # Threads: a slow request (an import, an export) neither blocks its worker's other
        # requests nor trips the worker timeout, which gthread's main loop keeps alive.
        "worker_class": "gthread",
        "threads": 4,
        # The app is built once in the master, so errors in it surface before any fork
        # and workers start at once; `systemctl restart` (not HUP) loads new code.
        "preload_app": True,
        "proc_name": "coopcrm-web",
        "accesslog": "-",
        "access_log_format": ACCESS_FORMAT,
        "loglevel": logging.getLevelName(level).lower(),
        "logconfig_dict": logs.dict_config(level),
        # Only ProxyFix (COOPCRM_BEHIND_PROXY) may trust forwarded headers, never
        # gunicorn's own defaults, which trust any local client.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "forwarder_headers": "",
        # gunicorn ≥ 25 opens a control socket in $HOME by default; the service user
        # has no home and systemd already manages the process.
        "control_socket_disable": True,
        "post_fork": _post_fork,
    }


def _post_fork(server, worker) -> None:
    """Each worker opens its own database connections, never the master's."""
    from coopcrm.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)


def _application_class():
    from gunicorn.app.base import BaseApplication

    class CoopcrmServer(BaseApplication):
        """Gunicorn serving an app we already built, configured from a dict."""

        def __init__(self, app, options: dict):
            self.application = app
            self.options = options
            super().__init__(prog="coopcrm serve")

        def load_config(self):
            for key, value in self.options.items():
                # control_socket_disable is gunicorn ≥ 25's; older ones have no such socket.
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            return self.application

    return CoopcrmServer


def _build_app():
    from coopcrm import create_app

    try:
        return create_app()
    except click.ClickException:
        raise
    except Exception as exc:
        log.debug("the application failed to build", exc_info=True)
        raise StartupError(f"L'application n'a pas pu être initialisée : {shown(exc)}") from None


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Adresse d'écoute (127.0.0.1 : seulement le proxy de la même machine).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port d'écoute.")
@click.option("--workers", type=int, default=None,
              help="Processus web (défaut : COOPCRM_WEB_WORKERS, sinon 2).")
def serve(host, port, workers):
    """Servir l'application en production (gunicorn)."""
    app = _build_app()  # first: an impossible setting stops here, in one French line
    level = logs.parse_level(app.config["LOG_LEVEL"])
    logs.setup(level)
    count = worker_count(workers, app.config.get("WEB_WORKERS", "2"))
    sock = listen(host, port)
    fd = sock.detach()  # gunicorn owns and closes it from now on
    master = os.getpid()
    try:
        _application_class()(app, gunicorn_options(fd, count, level)).run()
    except SystemExit as exc:
        if os.getpid() != master:
            raise  # a worker leaving: gunicorn's business, not ours
        if exc.code not in (0, None):
            # The one French line, then gunicorn's own exit code: click's Exit carries a code
            # of its own (a ClickException's exit_code is its class's).
            StartupError(f"Le serveur web s'est arrêté sur une erreur (code {exc.code}) : "
                         "voir le journal ci-dessus.").show()
            raise click.exceptions.Exit(exc.code if isinstance(exc.code, int) else 1) from None
