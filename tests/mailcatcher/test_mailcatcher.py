"""The local mail catcher: real SMTP on loopback, real maildir, the web mailbox."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage

import pytest

from coopcrm.mailcatcher.smtp import SMTPServer
from coopcrm.mailcatcher.store import MailStore
from coopcrm.mailcatcher.web import create_web_app
from tests.helpers import free_port


def _message(subject="Lettre N°1 · juin", to="jeanne@exemple.test") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Vie coopérative <vie-cooperative@coop.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["List-Unsubscribe"] = "<http://127.0.0.1/u/abc>"
    msg.set_content("Bonjour Jeanne,\nVoici la lettre.")
    msg.add_alternative(
        "<p>Bonjour <b>Jeanne</b></p><script>alert(1)</script>", subtype="html"
    )
    return msg


@pytest.fixture
def catcher(tmp_path):
    """SMTP on a free loopback port and the web app's test client, sharing one maildir."""
    store = MailStore(str(tmp_path / "maildir"))
    smtp = SMTPServer(store, port=0).start()
    web = create_web_app(store)
    yield smtp, store, web.test_client()
    smtp.stop()


def _send(port: int, msg: EmailMessage, **kw) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(msg, **kw)


def test_received_message_is_listed_and_shown(catcher):
    smtp, store, web = catcher
    _send(smtp.port, _message(), to_addrs=["jeanne@exemple.test", "cachee@exemple.test"])
    index = web.get("/").get_data(as_text=True)
    assert "1 message" in index
    assert "Lettre N°1 · juin" in index and "jeanne@exemple.test" in index
    assert "vie-cooperative@coop.example" in index
    key = re.search(r'href="/message/([^"]+)"', index).group(1)

    show = web.get(f"/message/{key}").get_data(as_text=True)
    assert '<iframe class="mc-frame" sandbox=""' in show
    assert "Bonjour Jeanne," in show  # the text part
    assert "cachee@exemple.test" in show  # envelope recipient (a Bcc) is visible
    assert "http://127.0.0.1/u/abc" in show  # List-Unsubscribe shown for checking

    html = web.get(f"/message/{key}/html")
    assert html.status_code == 200 and "<b>Jeanne</b>" in html.get_data(as_text=True)
    csp = html.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp and html.headers["X-Frame-Options"] == "SAMEORIGIN"
    page = web.get(f"/message/{key}")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Subject: Lettre" in web.get(f"/message/{key}/source").get_data(as_text=True)


def test_messages_survive_a_restart(catcher, tmp_path):
    smtp, store, _ = catcher
    _send(smtp.port, _message("Premier"))
    _send(smtp.port, _message("Second"))
    reopened = MailStore(store.path)
    assert [s.subject for s in reopened.page(1, 10)[0]] == ["Second", "Premier"]


def test_clear_needs_the_page_token(catcher):
    smtp, store, web = catcher
    _send(smtp.port, _message())
    assert web.post("/vider").status_code == 400  # a cross-site form cannot empty it
    assert len(store) == 1
    token = re.search(r'name="token" value="([^"]+)"', web.get("/").get_data(as_text=True)).group(1)
    assert web.post("/vider", data={"token": token}).status_code == 303
    assert len(store) == 0
    assert "Aucun message" in web.get("/").get_data(as_text=True)


def test_unknown_keys_and_foreign_hosts_are_refused(catcher):
    _, _, web = catcher
    assert web.get("/message/nope").status_code == 404
    assert web.get("/message/..%2f..%2fetc").status_code == 404
    assert web.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_smtp_login_is_accepted(catcher):
    smtp, store, _ = catcher
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as client:
        client.login("user", "pass")
        client.send_message(_message())
    assert len(store) == 1


def test_pagination(catcher):
    smtp, store, web = catcher
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as client:
        for n in range(53):
            client.send_message(_message(f"Message {n:02d}"))
    first = web.get("/").get_data(as_text=True)
    assert "53 messages" in first and "Message 52" in first and "Message 02" not in first
    second = web.get("/?page=2").get_data(as_text=True)
    assert "Message 02" in second and "Message 00" in second


def test_command_line_serves_both_ports(tmp_path):
    """`coopcrm mailcatcher` as `coopcrm dev` starts it: a real process on loopback."""
    smtp_port, http_port = free_port(), free_port()
    env = dict(os.environ, COOPCRM_DATABASE_URL="sqlite:///" + str(tmp_path / "x.db"),
               COOPCRM_SECRET_KEY="test")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coopcrm.cli", "mailcatcher", "--smtp-port", str(smtp_port),
         "--http-port", str(http_port), "--maildir", str(tmp_path / "md")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _send(smtp_port, _message("Par la ligne de commande"))
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "mailcatcher did not start"
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/", timeout=5) as resp:
            assert "Par la ligne de commande" in resp.read().decode()
            assert resp.headers["Server"] == "CoopCRM"  # werkzeug's, without its versions
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    finally:
        proc.send_signal(signal.SIGTERM)  # as kill and systemd stop it
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{http_port}" in out
