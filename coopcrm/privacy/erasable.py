"""The mark of a model that holds personal data of members, importable by any domain.

Beside `audited.py` for the same reason: a domain says, next to its columns, what
of its rows is personal, so the erasure (privacy/erasure.py) needs no list of
domains and a new table cannot be forgotten (tests/privacy/test_erasure.py scans
every text column of every table after an anonymisation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class Scrub:
    """An erased column's value: the old text with every former identity string
    (name, email, phone, address, reference) replaced; JSON walked the same way."""

    def __repr__(self) -> str:
        return "SCRUB"


SCRUB = Scrub()
# The text put where a former identity string was.
ERASED = "[effacé]"


class Erasable:
    """Mixin of the models whose rows hold personal data of a member.

    `erase_member_columns`: the columns naming the member (rows where any of them
    is an erased member are erased). `erase_values`: column → the value it takes
    (a constant, `SCRUB`, or a callable of (row id, erasure) giving the value).
    `erase_delete`: the rows are deleted instead (nothing in them is kept).
    `legal_record`: the kind of legal record (privacy/legal.py LEGAL_RECORDS) these
    rows are: the member's identity is kept, apart, for that record's retention.
    """

    erase_member_columns: ClassVar[tuple[str, ...]] = ("member_id",)
    erase_values: ClassVar[Mapping[str, Any]] = {}
    erase_delete: ClassVar[bool] = False
    legal_record: ClassVar[str | None] = None

    @classmethod
    def erase_rows(cls, connection, member_ids: list[int], erasure) -> None:
        """What a rule of columns cannot say (a survey's free-text answers): the model's own."""
