"""Reference data from seeds/: moment-type catalogue and default colleges (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from coopcrm import resources
from coopcrm.extensions import db
from coopcrm.journeys.models import MomentType
from coopcrm.members.models import College


def _read(name: str) -> list[dict]:
    return resources.seed(name)


def load_moment_types() -> int:
    """Insert the catalogue's missing moment types; existing ones keep their edits."""
    known = set(db.session.scalars(select(MomentType.code)))
    added = 0
    for row in _read("moment_types.json"):
        if row["code"] not in known:
            db.session.add(MomentType(repeatable=row.get("repeatable", False), **{
                k: v for k, v in row.items() if k != "repeatable"}))
            added += 1
    db.session.flush()
    return added


def load_colleges() -> int:
    known = set(db.session.scalars(select(College.code)))
    added = 0
    for row in _read("colleges.json"):
        if row["code"] not in known:
            db.session.add(College(code=row["code"], name=row["name"],
                                   vote_weight=Decimal(row["vote_weight"]),
                                   position=row["position"]))
            added += 1
    db.session.flush()
    return added


def load_all() -> dict[str, int]:
    """Every domain's reference data (idempotent); how many of each were added."""
    from coopcrm.cycle.seed import load_issues
    from coopcrm.journeys.followups.services import seed_rules
    from coopcrm.surveys.services import seed_templates

    added = {
        "type(s) de moment": load_moment_types(),
        "collège(s)": load_colleges(),
        "numéro(s) de la lettre d'information": load_issues(),
    }
    added["règle(s) de relance"] = seed_rules()  # after the moment types it refers to
    added["modèle(s) de sondage"] = len(seed_templates())
    return added
