"""The `coopcrm` console script, for backup/restore run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

COOPCRM = shutil.which("coopcrm") or str(Path(sys.executable).parent / "coopcrm")


def run(url: str, *args: str, tmp: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`coopcrm ARGS…` in a subprocess against the database at `url`."""
    instance = tmp / "instance"
    instance.mkdir(exist_ok=True)
    full_env = dict(os.environ, COOPCRM_DATABASE_URL=url, COOPCRM_INSTANCE_PATH=str(instance),
                    COOPCRM_SECRET_KEY="backup-test-secret-key")
    full_env.update(env or {})
    return subprocess.run([COOPCRM, *args], env=full_env, capture_output=True, text=True,
                          timeout=300)


def assert_refused(result: subprocess.CompletedProcess, words: str) -> None:
    """One French line on stderr, no traceback, a non-zero exit."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and words in lines[0], result.stderr
