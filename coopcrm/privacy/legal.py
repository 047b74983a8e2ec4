"""The legal records a cooperative must keep about a member, even after an erasure.

One table: the kind, its French label, the law that asks for it, and the setting
giving how many years it keeps an anonymised member's identity (a model that is
such a record says so with `Erasable.legal_record`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coopcrm import clock


@dataclass(frozen=True)
class LegalRecord:
    label: str
    reference: str
    years_setting: str

    def years(self) -> int:
        """The period in force (privacy/periods.py: an admin's value, else the setting)."""
        from coopcrm.privacy import periods

        return periods.value(self.years_setting)


LEGAL_RECORDS = {
    "share_register": LegalRecord(
        "Registre des parts sociales",
        "Code de commerce, art. L123-22 et R228-8 ; loi n° 47-1775 du 10 septembre 1947",
        "RETENTION_SHARE_REGISTER_YEARS"),
    "ag_attendance": LegalRecord(
        "Feuilles de présence et pouvoirs des assemblées générales",
        "Code de commerce, art. R225-95",
        "RETENTION_AG_ATTENDANCE_YEARS"),
}


def kept_until(kinds: set[str] | list[str], today: date,
               years: dict[str, int] | None = None) -> date:
    """The day the longest of these records stops needing the identity (`years`: each
    record's period, read once by a caller that asks for many members)."""
    years = years or {k: LEGAL_RECORDS[k].years() for k in kinds}
    return clock.years_after(today, max(years[k] for k in kinds))


def kept_identities(member_ids, today: date) -> dict:
    """The identities legal records still keep for these (anonymised) members, by id."""
    from sqlalchemy import select

    from coopcrm.extensions import db
    from coopcrm.privacy.models import LegalIdentity

    ids = list(member_ids)
    if not ids:
        return {}
    return {i.member_id: i for i in db.session.scalars(select(LegalIdentity).where(
        LegalIdentity.member_id.in_(ids), LegalIdentity.kept_until >= today))}
