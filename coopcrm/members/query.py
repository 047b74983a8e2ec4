"""The members-list query: search, filters and sort, as one parsed object.

Segments store `MemberFilter.to_dict()`; campaigns, surveys, events and
exports rebuild the same query from it, so an audience is always exactly
what the referent saw in the list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlalchemy import ColumnExpressionArgument, Select, exists, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import STATUSES, TRACKS, Member, MemberEntity
from coopcrm.members.scoping import scope
from coopcrm.members.text import fold
from coopcrm.params import MAX_ID, BadInput, parse_int

SORTS = {
    "nom": (Member.last_name, Member.first_name, Member.id),
    "-nom": (Member.last_name.desc(), Member.first_name.desc(), Member.id.desc()),
    "signature": (Member.reservation_signed_on, Member.id),
    "-signature": (Member.reservation_signed_on.desc(), Member.id.desc()),
    "entree": (Member.moved_in_on, Member.id),
    "-entree": (Member.moved_in_on.desc(), Member.id.desc()),
    "-cree": (Member.created_dt.desc(), Member.id.desc()),
}
YES_NO = {"oui": True, "non": False}
# The numbers a filter takes, with their range: ids, and years since moving in.
NUMBERS = {"entity": (1, MAX_ID), "college": (1, MAX_ID), "residence": (1, MAX_ID),
           "tenure_min": (0, 200), "tenure_max": (0, 200)}


@dataclass
class MemberFilter:
    q: str = ""
    entity: int | None = None
    track: str = ""
    college: int | None = None
    status: str = ""
    residence: int | None = None
    tenure_min: int | None = None
    tenure_max: int | None = None
    signed_from: date | None = None
    signed_to: date | None = None
    deliverable: str = ""  # "oui" / "non" / ""
    newsletter: str = ""
    econvocation: str = ""
    reserved: str = ""  # a reservation contract signed ("oui" / "non"): home-buyers
    sort: str = "nom"

    @classmethod
    def parse(cls, args) -> tuple[MemberFilter, dict[str, str]]:
        """From request args (or a segment's dict): the filter and French errors."""
        f, errors = cls(), {}
        for field in fields(cls):
            raw = args.get(field.name)
            if raw in (None, ""):
                continue
            raw = str(raw).strip()
            value: int | date | str | None
            try:
                if field.name in NUMBERS:
                    value = parse_int(raw, *NUMBERS[field.name])
                elif field.name in ("signed_from", "signed_to"):
                    value = date.fromisoformat(raw)
                else:
                    value = raw
            except ValueError:
                errors[field.name] = "Valeur invalide."
                continue
            setattr(f, field.name, value)
        if f.track and f.track not in TRACKS:
            errors["track"] = "Parcours inconnu."
            f.track = ""
        if f.status and f.status not in STATUSES:
            errors["status"] = "Statut inconnu."
            f.status = ""
        for name in ("deliverable", "newsletter", "econvocation", "reserved"):
            if getattr(f, name) and getattr(f, name) not in YES_NO:
                errors[name] = "Choisir oui ou non."
                setattr(f, name, "")
        if f.sort not in SORTS:
            f.sort = "nom"
        if f.signed_from and f.signed_to and f.signed_from > f.signed_to:
            errors["signed_to"] = "La date de fin précède la date de début."
        return f, errors

    def to_dict(self) -> dict:
        """Only the fields set, as strings: what a URL or a segment stores."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, "") or (key == "sort" and value == "nom"):
                continue
            out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def is_empty(self) -> bool:
        return not {k for k in self.to_dict() if k != "sort"}

    def conditions(self, today: date | None = None) -> list:
        """SQL conditions over Member for every filter set."""
        today = today or clock.today()
        c: list[ColumnExpressionArgument[bool]] = []  # a hybrid (deliverable email) among columns
        if self.q:
            for word in fold(self.q).split():
                c.append(Member.search_text.contains(word, autoescape=True))
        if self.entity is not None:
            c.append(
                exists().where(
                    MemberEntity.member_id == Member.id, MemberEntity.entity_id == self.entity
                )
            )
        if self.track:
            c.append(Member.track == self.track)
        if self.college is not None:
            c.append(Member.college_id == self.college)
        if self.status:
            c.append(Member.status == self.status)
        if self.residence is not None:
            c.append(Member.residence_id == self.residence)
        if self.tenure_min is not None:
            c.append(Member.moved_in_on <= clock.years_after(today, -self.tenure_min))
        if self.tenure_max is not None:
            c.append(Member.moved_in_on > clock.years_after(today, -(self.tenure_max + 1)))
        if self.signed_from:
            c.append(Member.reservation_signed_on >= self.signed_from)
        if self.signed_to:
            c.append(Member.reservation_signed_on <= self.signed_to)
        if self.deliverable:
            ok = Member.has_deliverable_email
            c.append(ok if YES_NO[self.deliverable] else ~ok)
        if self.newsletter:
            c.append(Member.newsletter_consent.is_(YES_NO[self.newsletter]))
        if self.econvocation:
            c.append(Member.econvocation_consent.is_(YES_NO[self.econvocation]))
        if self.reserved:
            signed = Member.reservation_signed_on
            c.append(signed.is_not(None) if YES_NO[self.reserved] else signed.is_(None))
        return c


def audience_filter(args) -> MemberFilter:
    """The filter of a URL that acts on the members it selects (a segment, an export).

    A value it cannot read is refused (400), never dropped: that would act on more
    members than the referent chose.
    """
    f, errors = MemberFilter.parse(args)
    if errors:
        raise BadInput("Un critère de la sélection n'est pas valide : revenez à la liste des "
                       "coopérateurs pour le corriger.")
    return f


def members_query(user, f: MemberFilter, today: date | None = None) -> Select:
    """The scoped, filtered, sorted query over Member: the app's only path to a member list."""
    return scope(select(Member), user).where(*f.conditions(today)).order_by(*SORTS[f.sort])


def member_ids_query(user, f: MemberFilter, today: date | None = None) -> Select:
    """Just the ids, for audiences (campaigns, surveys, events)."""
    return scope(select(Member.id), user).where(*f.conditions(today))


def name_matches(user, q: str, limit: int = 10) -> list[Member]:
    """Members the user may see whose folded name contains `q` (a member picker), by name."""
    return list(db.session.scalars(
        scope(select(Member), user).where(Member.search_text.like(f"%{fold(q)}%"))
        .order_by(Member.last_name, Member.first_name).limit(limit)))
