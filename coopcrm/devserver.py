"""`coopcrm dev`: the web app, the scheduler and the mail catcher together, for `make run`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import click
from flask.cli import with_appcontext

from coopcrm.seeding.demo_logins import DEMO_LOGINS


def _processes(host: str, port: int, mail_port: int, mailbox_port: int,
               commands: dict[str, click.Command]) -> list[tuple[str, list[str]]]:
    """The child processes to start; `commands` are those of the `coopcrm` group that runs
    `dev` (passed in: this module is mounted by coopcrm.cli and must not import it)."""
    exe = [sys.executable, "-m", "coopcrm.cli"]
    procs = [("web", exe + ["run", "--host", host, "--port", str(port)])]
    if "mailcatcher" in commands:
        procs.append(("mail", exe + ["mailcatcher", "--smtp-port", str(mail_port),
                                     "--http-port", str(mailbox_port)]))
    if "scheduler" in commands:
        procs.append(("scheduler", exe + ["scheduler"]))
    return procs


LABELS = {"web": "l'application", "mail": "la boîte mail locale", "scheduler": "le planificateur"}


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_until_listening(host: str, port: int, proc: subprocess.Popen,
                          timeout: float = 30.0) -> bool:
    """True once the web app accepts connections; False if it died or never came up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.command("dev")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--mail-port", default=1025, type=int)
@click.option("--mailbox-port", default=1080, type=int)
@with_appcontext
def dev(host, port, mail_port, mailbox_port):
    """Lancer l'application, le planificateur et la boîte mail locale (développement)."""
    # Every port before anything starts: never half a development stack.
    for label, option, number, bind_host in (("l'application", "--port", port, host),
                                             ("le SMTP local", "--mail-port", mail_port,
                                              "127.0.0.1"),
                                             ("la boîte mail", "--mailbox-port", mailbox_port,
                                              "127.0.0.1")):
        if not _port_free(bind_host, number):
            raise click.ClickException(
                f"Le port {number} ({label}) est déjà utilisé (CoopCRM tourne peut-être déjà ?) : "
                f"arrêtez l'autre programme ou choisissez-en un autre ({option}, "
                f"ou make run PORT=… MAIL_PORT=… MAILBOX_PORT=…)."
            )
    env = dict(os.environ)
    env.setdefault("COOPCRM_SMTP_URL", f"smtp://127.0.0.1:{mail_port}")
    env.setdefault("COOPCRM_BASE_URL", f"http://{host}:{port}")
    # `kill` or a timeout sends SIGTERM: stop the children as Ctrl-C would, never orphan them.
    signal.signal(signal.SIGTERM, _interrupt)
    root = click.get_current_context().find_root().command
    commands = getattr(root, "commands", {})
    children = {name: subprocess.Popen(cmd, env=env)
                for name, cmd in _processes(host, port, mail_port, mailbox_port, commands)}
    web = children["web"]
    try:
        if not _wait_until_listening(host, port, web):
            raise click.ClickException(
                "L'application n'a pas démarré : voir les messages ci-dessus."
            )
        click.echo("")
        click.echo(f"  CoopCRM          http://{host}:{port}")
        if "mail" in children:
            click.echo(f"  Boîte mail locale http://{host}:{mailbox_port}  "
                       f"(SMTP 127.0.0.1:{mail_port})")
        click.echo("  Comptes de démonstration :")
        for email, password, label in DEMO_LOGINS:
            click.echo(f"    {email:30} {password:22} {label}")
        click.echo("  Ctrl-C pour tout arrêter.\n")
        watched = {name: p for name, p in children.items() if name != "web"}
        # The app stays up if a helper process stops; say so instead of quitting silently.
        while web.poll() is None:
            for name, proc in list(watched.items()):
                if proc.poll() is not None:
                    click.echo(f"  Attention : {LABELS.get(name, name)} s'est arrêté "
                               f"(code {proc.returncode}), voir les messages ci-dessus ; "
                               "l'application continue.", err=True)
                    del watched[name]
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(list(children.values()))


def _stop(procs: list[subprocess.Popen]) -> None:
    """Ctrl-C first, then SIGTERM, then kill; started in the background (`make run &`), the
    children inherit an ignored SIGINT, so go straight to SIGTERM then."""
    signals = [signal.SIGTERM, signal.SIGKILL]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.insert(0, signal.SIGINT)
    for sig in signals:
        alive = [p for p in procs if p.poll() is None]
        for proc in alive:
            proc.send_signal(sig)
        deadline = time.monotonic() + 4
        for proc in alive:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
