"""The moment-type catalogue, kept by admins: add, rename, reorder, (de)activate.

A type that moments use is never deleted (their history would lose its
meaning); it is deactivated, which hides it from forms and expectations.
Codes never change once created: follow-up rules and imports refer to them.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from coopcrm import plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from coopcrm.journeys.services import types_for_track
from coopcrm.members.models import TRACKS
from coopcrm.members.text import fold

TYPE_TRACKS = {**TRACKS, "both": "Les deux parcours"}
LABEL_MAX = 200


def journeys() -> dict[str, list[MomentType]]:
    """Each member track's full sequence (its own types and the common ones), inactive included."""
    return {track: types_for_track(track, include_inactive=True)
            for track in ("accession", "locatif")}


def usage() -> dict[int, int]:
    """How many moments use each type."""
    return dict(db.session.execute(
        select(Moment.type_id, func.count()).group_by(Moment.type_id)).all())


def in_use(moment_type: MomentType) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Moment).where(Moment.type_id == moment_type.id)) or 0


def add_type(label: str | None, track: str, repeatable: bool = False) -> MomentType:
    """A new active type, placed at the end of its journey."""
    label = _check(label, track, None)
    position = (db.session.scalar(
        select(func.max(MomentType.position)).where(
            MomentType.track.in_(_overlapping(track)), MomentType.position < 900)
    ) or 0) + 10
    moment_type = MomentType(code=_new_code(label), label=label, track=track,
                             position=position, repeatable=bool(repeatable), active=True)
    db.session.add(moment_type)
    db.session.flush()
    return moment_type


def update_type(moment_type: MomentType, label: str | None, track: str, position: int | None,
                repeatable: bool) -> MomentType:
    """Rename, re-track (only while unused), reposition, make (non-)repeatable."""
    label = _check(label, track, moment_type)
    errors = {}
    if track != moment_type.track and in_use(moment_type):
        errors["track"] = ("Ce type est déjà utilisé : son parcours ne peut plus changer. "
                           "Désactivez-le et créez-en un autre.")
    if position is None or not 0 <= position <= 100_000:
        errors["position"] = "Indiquez une position entre 0 et 100 000."
    if errors:
        raise ValidationFailed(errors)
    assert position is not None  # refused above
    moment_type.label = label
    moment_type.track = track
    moment_type.position = position
    moment_type.repeatable = bool(repeatable)
    db.session.flush()
    return moment_type


def set_active(moment_type: MomentType, active: bool) -> None:
    moment_type.active = active
    db.session.flush()


def move(moment_type: MomentType, track: str, direction: int) -> bool:
    """Swap with its neighbour (-1 up, +1 down) in a journey; False at either end."""
    sequence = types_for_track(track, include_inactive=True)
    if moment_type not in sequence:
        return False
    index = sequence.index(moment_type)
    other_index = index + (1 if direction > 0 else -1)
    if not 0 <= other_index < len(sequence):
        return False
    other = sequence[other_index]
    if other.position == moment_type.position:
        # Equal positions sort by label: make the order explicit before swapping.
        for i, t in enumerate(sequence):
            t.position = (i + 1) * 10
    moment_type.position, other.position = other.position, moment_type.position
    db.session.flush()
    return True


def delete_type(moment_type: MomentType) -> None:
    """Delete a type no moment uses; ValidationFailed otherwise."""
    count = in_use(moment_type)
    if count:
        raise ValidationFailed({"type": f"« {moment_type.label} » est utilisé par {count} "
                                        "moment(s) : désactivez-le plutôt que de le supprimer."})
    db.session.delete(moment_type)
    db.session.flush()


def _overlapping(track: str) -> tuple[str, ...]:
    return ("accession", "locatif", "both") if track == "both" else (track, "both")


def _check(label: str | None, track: str, current: MomentType | None) -> str:
    errors = {}
    problem = plaintext.line_problem(label)
    label = " ".join((label or "").split())
    if problem is not None:
        errors["label"] = problem
    elif not label:
        errors["label"] = "Indiquez le libellé du moment."
    elif len(label) > LABEL_MAX:
        errors["label"] = f"Le libellé dépasse {LABEL_MAX} caractères."
    if track not in TYPE_TRACKS:
        errors["track"] = "Choisissez le parcours : accession, locatif ou les deux."
    if label and "label" not in errors:
        for other in db.session.scalars(select(MomentType)):
            if other is not current and _key(other.label) == _key(label):
                errors["label"] = f"Le type « {other.label} » existe déjà."
                break
    if errors:
        raise ValidationFailed(errors)
    return label


def _key(label: str) -> str:
    # "d'accueil" and "d’accueil" are the same words to the person typing them.
    return fold(label).replace("’", "'")


def _new_code(label: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_")[:50] or "moment"
    taken = set(db.session.scalars(select(MomentType.code).where(MomentType.code.like(base + "%"))))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code
