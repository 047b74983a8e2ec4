"""The mailbox in a real browser: the HTML part renders, its scripts do not run."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

import pytest
from werkzeug.serving import make_server

from coopcrm.mailcatcher.smtp import SMTPServer
from coopcrm.mailcatcher.store import MailStore
from coopcrm.mailcatcher.web import create_web_app

pytestmark = pytest.mark.browser


@pytest.fixture
def mailbox_url(tmp_path):
    store = MailStore(str(tmp_path / "maildir"))
    smtp = SMTPServer(store, port=0).start()
    server = make_server("127.0.0.1", 0, create_web_app(store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield smtp.port, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()
    smtp.stop()


def test_html_part_is_shown_sandboxed(page, mailbox_url):
    smtp_port, url = mailbox_url
    msg = EmailMessage()
    msg["From"], msg["To"] = "coop@coop.example", "jeanne@exemple.test"
    msg["Subject"] = "Invitation AG"
    msg.set_content("texte")
    msg.add_alternative('<h1 id="t">Assemblée générale</h1>'
                        "<script>document.title='pwned';alert(1)</script>", subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
        client.send_message(msg)

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.get_by_role("link", name="Invitation AG").click()
    frame = page.frame_locator("iframe.mc-frame")
    assert frame.locator("#t").inner_text() == "Assemblée générale"
    assert dialogs == []
    assert page.title() != "pwned"
