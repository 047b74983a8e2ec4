"""`coopcrm …` run in-process against the test app (its database, its config).

A plugin (tests/conftest.py registers it). `cli("jobs", "list")` runs the whole
`coopcrm` command as typed (schema check, French errors); `cli.invoke(group, args)`
runs one command group directly, as a unit test of it. Both return click's Result.
tests/cli runs the installed console script in subprocesses instead.
"""

from __future__ import annotations

import pytest
from click.testing import Result


class Cli:
    def __init__(self, app):
        self.runner = app.test_cli_runner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from coopcrm.cli import main

        return self.runner.invoke(main, args=list(args), input=input)

    def invoke(self, command, args: list[str], input: str | None = None) -> Result:
        return self.runner.invoke(command, args, input=input)


@pytest.fixture
def cli(app) -> Cli:
    return Cli(app)
