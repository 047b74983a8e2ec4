"""A real SMTP server for tests: aiosmtpd on loopback, recording what it accepts.

A plugin (tests/conftest.py registers it): `smtp_server` and `memory_mail` are
there for every test folder; a module that starts a sink of its own imports
`SMTPSink` from here.

`SMTPSink(delay=0.05)` is a slow relay (each body takes that long to accept), and
`sink.handler.on_message(count)` runs once a message is stored, before its 250 goes
back (a test kills the sender there: accepted, not yet marked sent).

It offers PIPELINING like production relays (`SMTPSink(pipelining=False)` for
one that does not, which the client then talks to one command at a time).

`smtp_server` (function-scoped) starts one on a free port and points the
app's COOPCRM_SMTP_URL at it. Script its answers per recipient:

    smtp_server.answer("jo@exemple.test", "451 4.3.0 Réessayez", "250 OK")  # then accepts
    smtp_server.answer("x@exemple.test", "550 5.1.1 Unknown user")

Each accepted message is in `smtp_server.messages` (mail_from, rcpt_tos,
data bytes, `.email` parsed with the modern policy).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.helpers import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def email(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


class RecordingHandler:
    def __init__(self, pipelining: bool = True, delay: float = 0.0):
        self.messages: list[Received] = []
        self.delay = delay  # seconds per message body: a slow relay
        # Called with the count of messages accepted, before the client hears the 250.
        self.on_message: Callable[[int], None] | None = None
        self.rcpt_script: dict[str, list[str]] = {}
        self.data_script: dict[str, list[str]] = {}  # replies to the end of the body
        self.lock = threading.Lock()
        self.pipelining = pipelining
        self.commands: list[str] = []  # the envelope commands received, in order

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:  # as real relays (Postfix, Exim) do; aiosmtpd copes with it
            return responses[:-1] + ["250-PIPELINING", responses[-1]]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.commands.append("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.commands.append("RCPT")
            replies = self.rcpt_script.get(address.lower())
            reply = replies.pop(0) if replies else None
        if reply and not reply.startswith("2"):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            replies = self.data_script.get(envelope.rcpt_tos[0].lower())
            reply = replies.pop(0) if replies else None
            if reply and not reply.startswith("2"):
                return reply
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
            count = len(self.messages)
        if self.on_message is not None:
            self.on_message(count)
        return "250 Message accepted for delivery"


class SMTPSink:
    """An aiosmtpd server in a thread; `auth=(user, password)` checks AUTH (offered without TLS)."""

    def __init__(self, auth: tuple[str, str] | None = None, pipelining: bool = True,
                 delay: float = 0.0):
        self.handler = RecordingHandler(pipelining, delay)
        self.host, self.port = "127.0.0.1", free_port()
        kwargs = {}
        if auth is not None:
            def authenticator(server, session, envelope, mechanism, data):
                ok = (data.login.decode(), data.password.decode()) == auth
                return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235/535
            # AUTH offered without TLS (loopback only); a wrong password gets 535.
            kwargs = dict(auth_require_tls=False, authenticator=authenticator)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def answer(self, address: str, *replies: str) -> None:
        """Script the next RCPT replies for `address` (then it is accepted)."""
        with self.handler.lock:
            self.handler.rcpt_script.setdefault(address.lower(), []).extend(replies)

    def answer_data(self, address: str, *replies: str) -> None:
        """Script the next replies to the end of a body sent to `address`."""
        with self.handler.lock:
            self.handler.data_script.setdefault(address.lower(), []).extend(replies)

    def received_by(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def start(self) -> SMTPSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server(app):
    sink = SMTPSink().start()
    previous = app.config["SMTP_URL"], app.config.get("SMTP_RATE", 0)
    app.config.update(SMTP_URL=sink.url, SMTP_RATE=0)
    yield sink
    app.config["SMTP_URL"], app.config["SMTP_RATE"] = previous
    sink.stop()


@pytest.fixture
def memory_mail(app):
    """The outbox sends to `transports.MEMORY` (memory://): no server, every message kept."""
    from coopcrm.sending import transports

    transports.MEMORY.clear()
    previous = app.config["SMTP_URL"], app.config.get("SMTP_RATE", 0)
    app.config.update(SMTP_URL="memory://", SMTP_RATE=0)
    yield transports.MEMORY
    app.config["SMTP_URL"], app.config["SMTP_RATE"] = previous
    transports.MEMORY.clear()
