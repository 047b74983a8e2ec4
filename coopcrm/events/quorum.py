"""Quorum arithmetic for an AG: pure functions, no database.

The defaults follow the usual statutes of a coopérative (a cooperative may
change them): an ordinary AG needs one fifth of the votes present or
represented on first convocation and none on the second; an extraordinary AG
one quarter, then one fifth.

Votes: each member carries the vote weight of their college
(`College.vote_weight`, 1 by default: one person, one vote). The quorum
compares the votes present or represented with the votes of all members
called to the AG, college by college and in total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from coopcrm import fr

DEFAULT_QUORUM = {
    ("ag_ordinaire", 1): Fraction(1, 5),
    ("ag_ordinaire", 2): None,
    ("ag_extraordinaire", 1): Fraction(1, 4),
    ("ag_extraordinaire", 2): Fraction(1, 5),
}


def required_fraction(kind: str, convocation_number: int) -> Fraction | None:
    """The share of votes needed for the AG to deliberate; None when there is no quorum."""
    return DEFAULT_QUORUM.get((kind, 2 if convocation_number == 2 else 1))


@dataclass(frozen=True)
class CollegeCount:
    """Headcounts of one college for one AG."""

    name: str
    weight: Decimal
    members: int  # called to the AG
    present: int
    represented: int

    @property
    def votes(self) -> Decimal:
        return self.weight * self.members

    @property
    def votes_in(self) -> Decimal:
        return self.weight * (self.present + self.represented)

    @property
    def rate(self) -> Fraction:
        if not self.members:
            return Fraction(0)
        return Fraction(self.present + self.represented, self.members)


@dataclass(frozen=True)
class QuorumResult:
    colleges: list[CollegeCount]
    required: Fraction | None
    votes: Decimal  # all votes of the members called
    votes_in: Decimal  # votes present or represented
    needed: Decimal  # votes needed (0 without quorum)

    @property
    def members(self) -> int:
        return sum(c.members for c in self.colleges)

    @property
    def present(self) -> int:
        return sum(c.present for c in self.colleges)

    @property
    def represented(self) -> int:
        return sum(c.represented for c in self.colleges)

    @property
    def reached(self) -> bool:
        return self.votes_in >= self.needed

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), self.needed - self.votes_in)

    @property
    def rate(self) -> Fraction:
        return Fraction(self.votes_in / self.votes) if self.votes else Fraction(0)


def compute(colleges: list[CollegeCount], required: Fraction | None) -> QuorumResult:
    """Votes present + represented against the quorum, summed over the colleges."""
    votes = sum((c.votes for c in colleges), Decimal(0))
    votes_in = sum((c.votes_in for c in colleges), Decimal(0))
    needed = Decimal(0)
    if required is not None:
        needed = votes * required.numerator / required.denominator
        # With whole weights the votes in are whole: a quarter of 83 is reached at 21,
        # and "20,75 voix requises" asks for a vote nobody can cast.
        if all(c.weight == c.weight.to_integral_value() for c in colleges):
            needed = needed.to_integral_value(rounding=ROUND_CEILING)
    return QuorumResult(colleges, required, votes, votes_in, needed)


def fraction_fr(value: Fraction | None) -> str:
    """'un cinquième', 'un quart', or 'aucun quorum'."""
    names = {Fraction(1, 5): "un cinquième", Fraction(1, 4): "un quart",
             Fraction(1, 3): "un tiers", Fraction(1, 2): "la moitié"}
    if value is None:
        return "aucun quorum"
    return names.get(value, f"{value.numerator}/{value.denominator}")


def votes_fr(value: Decimal) -> str:
    """A number of votes for display: '12' or '12,5'."""
    return fr.decimal(Decimal(value).quantize(Decimal("0.001")).normalize())
