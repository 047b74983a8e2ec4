"""`coopcrm dev`: the web app, the scheduler and the mail catcher together, for `make run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask.cli import with_appcontext

DEMO_LOGINS = [
    ("admin@coop.example", "demo-admin-2026", "administrateur"),
    ("referente@coop.example", "demo-referente-2026", "référente (toutes entités)"),
    ("referent.ght@coop.example", "demo-referent-2026", "référent (GHT seulement)"),
    ("lecteur@coop.example", "demo-lecteur-2026", "lecteur"),
]


def _processes(host: str, port: int, mail_port: int, mailbox_port: int) -> list[tuple[str, list[str]]]:
    from coopcrm.cli import main

    exe = [sys.executable, "-m", "coopcrm.cli"]
    procs = [("web", exe + ["run", "--host", host, "--port", str(port)])]
    if "mailcatcher" in main.commands:
        procs.append(("mail", exe + ["mailcatcher", "--smtp-port", str(mail_port),
                                     "--http-port", str(mailbox_port)]))
    if "scheduler" in main.commands:
        procs.append(("scheduler", exe + ["scheduler"]))
    return procs


@click.command("dev")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--mail-port", default=1025, type=int)
@click.option("--mailbox-port", default=1080, type=int)
@with_appcontext
def dev(host, port, mail_port, mailbox_port):
    """Lancer l'application, le planificateur et la boîte mail locale (développement)."""
    env = dict(os.environ)
    env.setdefault("COOPCRM_SMTP_URL", f"smtp://127.0.0.1:{mail_port}")
    env.setdefault("COOPCRM_BASE_URL", f"http://{host}:{port}")
    children = []
    for name, cmd in _processes(host, port, mail_port, mailbox_port):
        children.append((name, subprocess.Popen(cmd, env=env)))
    time.sleep(1.5)
    click.echo("")
    click.echo(f"  CoopCRM          http://{host}:{port}")
    if any(n == "mail" for n, _ in children):
        click.echo(f"  Boîte mail locale http://{host}:{mailbox_port}  (SMTP 127.0.0.1:{mail_port})")
    click.echo("  Comptes de démonstration :")
    for email, password, label in DEMO_LOGINS:
        click.echo(f"    {email:30} {password:22} {label}")
    click.echo("  Ctrl-C pour tout arrêter.\n")
    try:
        while all(p.poll() is None for _, p in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for _, p in children:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for _, p in children:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
