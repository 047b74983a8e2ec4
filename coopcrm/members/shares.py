"""The social-share register: movements in, share count, amount and status out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from coopcrm import clock, plaintext
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Member, ShareMovement


def held(member: Member) -> tuple[int, Decimal]:
    """Shares held now, and their amount, from the register."""
    rows = db.session.execute(
        select(ShareMovement.kind, ShareMovement.quantity, ShareMovement.unit_amount).where(
            ShareMovement.member_id == member.id
        )
    ).all()
    count, amount = 0, Decimal("0")
    for kind, quantity, unit in rows:
        sign = 1 if kind == "subscription" else -1
        count += sign * quantity
        amount += sign * quantity * unit
    return count, amount


@dataclass
class Register:
    """The member's share register as the member page shows it."""

    movements: list[ShareMovement]
    authors: dict[int, str]  # user id -> name, for "Saisi par"
    subscribed: int
    reimbursed: int


def register(member: Member) -> Register:
    """Every movement of the member, oldest first, with who typed it and the totals."""
    movements = list(db.session.scalars(
        select(ShareMovement).where(ShareMovement.member_id == member.id)
        .order_by(ShareMovement.occurred_on, ShareMovement.id)
    ))
    user_ids = {m.created_by_id for m in movements if m.created_by_id}
    authors: dict[int, str] = {}
    if user_ids:
        authors = {id_: name for id_, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_(user_ids)))}
    return Register(
        movements=movements, authors=authors,
        subscribed=sum(m.quantity for m in movements if m.kind == "subscription"),
        reimbursed=sum(m.quantity for m in movements if m.kind == "reimbursement"),
    )


def status_for(count: int, had_movements: bool, declared: str = "prospect") -> str:
    """Coopérateur while holding a share; ancien after full reimbursement."""
    if count > 0:
        return "cooperateur"
    if had_movements:
        return "ancien"
    return declared if declared in ("prospect", "ancien") else "prospect"


def refresh(member: Member) -> None:
    """Bring the member's share count, amount and status in line with the register."""
    db.session.flush()
    count, amount = held(member)
    had = db.session.scalar(
        select(ShareMovement.id).where(ShareMovement.member_id == member.id).limit(1)
    )
    member.share_count = count
    member.share_amount = amount
    member.status = status_for(count, had is not None, member.status)


def record(
    member: Member,
    kind: str,
    quantity: int,
    occurred_on: date,
    unit_amount: Decimal | None = None,
    note: str = "",
    user=None,
) -> ShareMovement:
    """Append a subscription or reimbursement; refuses to reimburse more than is held."""
    if kind not in ("subscription", "reimbursement"):
        raise ValidationFailed({"kind": "Type de mouvement inconnu."})
    if quantity is None or quantity <= 0:
        raise ValidationFailed({"quantity": "Le nombre de parts doit être supérieur à zéro."})
    if (problem := plaintext.line_problem(note)) is not None:
        raise ValidationFailed({"note": problem})
    if occurred_on > clock.today():
        raise ValidationFailed({"occurred_on": "La date ne peut pas être dans le futur."})
    count, _ = held(member)
    if kind == "reimbursement" and quantity > count:
        raise ValidationFailed(
            {
                "quantity": f"Remboursement de {quantity} part(s) impossible : "
                f"le coopérateur n'en détient que {count}."
            }
        )
    if unit_amount is None:
        unit_amount = _default_unit_amount(member)
    movement = ShareMovement(
        member=member,
        kind=kind,
        quantity=quantity,
        unit_amount=unit_amount,
        occurred_on=occurred_on,
        note=note,
        created_dt=clock.now(),
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(movement)
    refresh(member)
    return movement


def _default_unit_amount(member: Member) -> Decimal:
    for link in member.entity_links:
        return link.entity.share_unit_amount
    return Decimal("16.00")


@dataclass
class RegisterLine:
    """One line of the cooperative's share register, as the law asks it be kept."""

    movement: ShareMovement
    member_id: int
    last_name: str
    first_name: str
    address: str


def _register_query(user, entity_id: int | None):
    from sqlalchemy.orm import selectinload

    from coopcrm.members.models import MemberEntity
    from coopcrm.members.scoping import scope

    members = scope(select(Member.id), user, anonymised=True)
    if entity_id is not None:
        members = members.where(Member.id.in_(select(MemberEntity.member_id).where(
            MemberEntity.entity_id == entity_id)))
    return (select(ShareMovement).where(ShareMovement.member_id.in_(members))
            .options(selectinload(ShareMovement.member))
            .order_by(ShareMovement.occurred_on, ShareMovement.id))


def _lines(movements: list[ShareMovement]) -> list[RegisterLine]:
    """The lines, an erased member named from the legal identity kept for the register."""
    from coopcrm.privacy.legal import kept_identities

    erased = [m.member_id for m in movements if m.member.anonymised_dt is not None]
    kept = kept_identities(erased, clock.today())
    lines = []
    for movement in movements:
        who = kept.get(movement.member_id, movement.member)
        address = ", ".join(p for p in (who.address, f"{who.postal_code} {who.city}".strip())
                            if p)
        lines.append(RegisterLine(movement, movement.member_id, who.last_name, who.first_name,
                                  address))
    return lines


def register_page(user, page: int, per_page: int = 100, entity_id: int | None = None):
    """The whole register, oldest first, of the members the user may see (anonymised ones
    included: a legal record keeps their identity apart until its retention ends)."""
    from coopcrm.pagination import paginate

    result = paginate(db.session, _register_query(user, entity_id), page, per_page)
    result.items = _lines(result.items)
    return result


def register_lines(user, entity_id: int | None = None) -> list[RegisterLine]:
    """Every line of the register the user may see, for its download."""
    return _lines(list(db.session.scalars(_register_query(user, entity_id))))
