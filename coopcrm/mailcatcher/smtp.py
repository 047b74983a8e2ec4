"""The catcher's SMTP side: aiosmtpd in its own event-loop thread, on loopback."""

from __future__ import annotations

import asyncio
import threading

from aiosmtpd.smtp import SMTP, AuthResult

from coopcrm.mailcatcher.store import MailStore


class _Handler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope) -> str:
        self.store.add(envelope.original_content or envelope.content, envelope.mail_from,
                       list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # The app may be configured with smtp://user:pass@...: any login is fine here.
    return AuthResult(success=True)


class SMTPServer:
    """Start/stop an SMTP server that stores every message; port 0 picks a free port."""

    def __init__(self, store: MailStore, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.store = store
        self.host = host
        self.port = port
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _factory(self) -> SMTP:
        return SMTP(
            _Handler(self.store),
            hostname="localhost",  # not getfqdn(): no DNS lookup per connection
            ident="CoopCRM mailcatcher",
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=_accept_any_login,
            loop=self._loop,
        )

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                loop.create_server(self._factory, host=self.host, port=self.port)
            )
        except BaseException as exc:  # e.g. port already in use: report it to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def start(self) -> SMTPServer:
        """Listen; raises the bind error (port in use) in the caller's thread."""
        self._thread = threading.Thread(target=self._run, name="mailcatcher-smtp", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
