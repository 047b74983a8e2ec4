"""A tiny IMAP4rev1 server on loopback: enough of LOGIN/SELECT/SEARCH/FETCH/STORE for imaplib.

One folder of messages with their flags, one account; every command is
recorded (`commands`) so a test can say the client never deleted or expunged.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Mailbox:
    user: str
    password: str
    folder: str = "INBOX"
    messages: list[bytes] = field(default_factory=list)
    flags: list[set[str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, raw: bytes, seen: bool = False) -> None:
        self.messages.append(raw)
        self.flags.append({"\\Seen"} if seen else set())


def _args(text: str) -> list[str]:
    return [u if u else re.sub(r"\\(.)", r"\1", q) for q, u in _QUOTED.findall(text)]


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        self.send("* OK IMAP4rev1 test server ready")
        logged_in = selected = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            box.commands.append(command)
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
            elif command == "LOGIN":
                user, password = _args(args)[:2]
                if (user, password) != (box.user, box.password):
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
                    continue
                logged_in = True
            elif command == "SELECT" and logged_in:
                if _args(args)[0] != box.folder:
                    self.send(f"{tag} NO no such folder")
                    continue
                selected = True
                self.send(f"* {len(box.messages)} EXISTS")
                self.send("* FLAGS (\\Seen \\Deleted)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
                continue
            elif command == "SEARCH" and selected:
                wanted = [str(i + 1) for i, f in enumerate(box.flags)
                          if args.upper() != "UNSEEN" or "\\Seen" not in f]
                self.send("* SEARCH" + "".join(" " + n for n in wanted))
            elif command == "FETCH" and selected:
                number, _, what = args.partition(" ")
                raw_msg = box.messages[int(number) - 1]
                if "RFC822.SIZE" in what:
                    self.send(f"* {number} FETCH (RFC822.SIZE {len(raw_msg)})")
                else:
                    partial = re.search(r"<0\.(\d+)>", what)
                    body = raw_msg[:int(partial.group(1))] if partial else raw_msg
                    origin = "<0>" if partial else ""
                    self.send(f"* {number} FETCH (BODY[]{origin} {{{len(body)}}}\r\n".encode()
                              + body + b")\r\n")
            elif command == "STORE" and selected:
                number, op, flags = args.split(" ", 2)
                if op.upper() == "+FLAGS":
                    box.flags[int(number) - 1] |= set(flags.strip("()").split())
                flagged = " ".join(sorted(box.flags[int(number) - 1]))
                self.send(f"* {number} FETCH (FLAGS ({flagged}))")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unsupported here")
                continue
            self.send(f"{tag} OK {command} completed")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class FakeImap:
    """`with FakeImap(box) as server:` serves `box` on `server.port` until the block ends."""

    def __init__(self, box: Mailbox):
        self.box = box
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.box = box  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]

    def __enter__(self) -> FakeImap:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
