"""Run `coopcrm …` as an operator would: the console script, its own database, no app context."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.databases import Throwaway, server_url

LINE_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (DEBUG|INFO|WARNING"
                        r"|ERROR|CRITICAL) [\w.]+ ")


def coopcrm_exe() -> str:
    exe = shutil.which("coopcrm") or str(Path(sys.executable).parent / "coopcrm")
    assert os.path.exists(exe), "the coopcrm console script is not installed"
    return exe


class Database:
    """A database of our own: a SQLite file, or a throwaway PostgreSQL database."""

    def __init__(self, tmp_path: Path):
        self._databases = Throwaway(tmp_path, server_url(), prefix="coopcrm_serve")
        self.url = self._databases.new("coopcrm")

    def drop(self) -> None:
        self._databases.drop_all()


def environment(db: Database, instance: Path, **extra: str) -> dict:
    """The process environment: our database and instance folder, nothing from the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPCRM_")}
    env.update(COOPCRM_DATABASE_URL=db.url, COOPCRM_INSTANCE_PATH=str(instance),
               COOPCRM_SECRET_KEY="serve-test-secret-key",
               COOPCRM_SMTP_URL="file://" + str(instance / "mail"))
    env.update(extra)
    return env


def run(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([coopcrm_exe(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def migrate(env: dict) -> None:
    done = run(["db", "upgrade"], env)
    assert done.returncode == 0, done.stderr


class Server:
    """`coopcrm <command>` in the background, its stderr collected line by line."""

    def __init__(self, args: list[str], env: dict):
        self.proc = subprocess.Popen([coopcrm_exe(), *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.stdout = ""
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 15) -> str:
        """The first stderr line matching `pattern` (a regex), waiting for it if need be."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                assert left > 0, f"no line matching {pattern!r} in:\n" + "\n".join(self.lines)
                self._cond.wait(left)

    def wait_until_answering(self, port: int, timeout: float = 30) -> float:
        """Seconds until GET /connexion answers (any status)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            assert self.proc.poll() is None, "the server died:\n" + "\n".join(self.lines)
            try:
                get(port, "/connexion")
                return time.monotonic() - start
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server never answered:\n" + "\n".join(self.lines))

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as systemd stops a unit; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self._reader.join(timeout=5)
        self.stdout = self.proc.stdout.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: str):
        self.status, self.headers, self.body = status, headers, body

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def get(port: int, path: str, headers: dict | None = None) -> Response:
    """One GET over a fresh connection, the body read whole."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8")
        return Response(resp.status, resp.getheaders(), body)
    finally:
        conn.close()


def post(port: int, path: str, body: str, headers: dict) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body.encode(), headers=headers)
        resp = conn.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read().decode("utf-8"))
    finally:
        conn.close()
