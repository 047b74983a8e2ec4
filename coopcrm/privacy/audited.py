"""The mark of an audited model, importable by any domain's models.

Apart from privacy.models (which imports other domains' models for typing) so
that marking a model adds no import between domains.
"""

from __future__ import annotations

from typing import ClassVar


class Audited:
    """Mixin of the models whose every change goes in the audit trail (privacy.audit).

    A domain marks its own models, so privacy needs no list of them: `audit_kind`
    is the trail's object_type, `audit_ignored` the columns (besides the derived
    ones of every model) whose changes say nothing a person did.
    """

    audit_kind: ClassVar[str]
    audit_ignored: ClassVar[frozenset[str]] = frozenset()

    def audit_member_id(self) -> int | None:
        """The member the change is about (the trail's member_id)."""
        return getattr(self, "member_id", None)

    def audit_object_id(self) -> int | None:
        """Which row of its kind changed (the trail's object_id)."""
        return getattr(self, "id", None)
