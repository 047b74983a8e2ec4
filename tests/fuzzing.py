"""The settings of every fuzz test (hypothesis): bounded, reproducible, no files written.

200 examples each keep the suite fast; derandomize makes CI run the same
examples on every machine (a failure seen once is seen again); no example
database is kept (hypothesis may still cache the constants it reads from the
source in .hypothesis/, which git ignores). A case a fuzz run found is pinned
with @example beside the test, so it runs whatever the generator draws.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                # The suite's autouse fixtures (app context, clean tables) are set up
                # once per test, not per example: these tests write nothing.
                suppress_health_check=[HealthCheck.function_scoped_fixture])
