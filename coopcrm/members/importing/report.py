"""What an import found and did, as the command line, the task and its page read it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong: a file line (0 for the file itself), a column, a French message."""

    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import found and did: counts, then every problem by line and column."""

    filename: str
    dry_run: bool = False
    skip_invalid: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    # When the report was saved with only its first problems (tasks.saved): how many there were.
    problems_total: int | None = None
    warnings_total: int | None = None

    @property
    def file_problem(self) -> bool:
        """The file itself could not be used (no line-by-line report)."""
        return any(p.line == 0 for p in self.problems)

    @property
    def blocked(self) -> bool:
        """Nothing can be written: a file problem, or invalid rows without skip_invalid."""
        return self.file_problem or (self.invalid > 0 and not self.skip_invalid)

    @property
    def valid(self) -> int:
        return self.created + self.updated + self.unchanged
