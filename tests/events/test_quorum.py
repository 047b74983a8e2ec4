"""Quorum arithmetic: pure functions, votes weighted by college."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from coopcrm.events.quorum import CollegeCount, compute, fraction_fr, required_fraction, votes_fr


def test_default_quorums_by_kind_and_convocation():
    assert required_fraction("ag_ordinaire", 1) == Fraction(1, 5)
    assert required_fraction("ag_ordinaire", 2) is None
    assert required_fraction("ag_extraordinaire", 1) == Fraction(1, 4)
    assert required_fraction("ag_extraordinaire", 2) == Fraction(1, 5)
    assert fraction_fr(Fraction(1, 4)) == "un quart" and fraction_fr(None) == "aucun quorum"


def test_one_person_one_vote():
    result = compute([CollegeCount("Locataires", Decimal(1), 100, 15, 5)], Fraction(1, 5))
    assert result.needed == 20 and result.votes_in == 20 and result.reached
    short = compute([CollegeCount("Locataires", Decimal(1), 100, 15, 4)], Fraction(1, 5))
    assert not short.reached and short.missing == 1


def test_whole_votes_need_a_whole_number_of_votes():
    """A quarter of 83 members: 21 must come, not "20,75 voix requises"."""
    result = compute([CollegeCount("Locataires", Decimal(1), 83, 20, 0)], Fraction(1, 4))
    assert result.needed == 21 and votes_fr(result.needed) == "21"
    assert not result.reached and result.missing == 1
    weighted = compute([CollegeCount("Salariés", Decimal("2.5"), 3, 0, 0)], Fraction(1, 4))
    assert weighted.needed == Decimal("1.875")  # fractional weights: the fraction stays


def test_weights_count_votes_not_heads():
    colleges = [
        CollegeCount("Locataires", Decimal("1"), 80, 10, 2),  # 12 of 80 votes
        CollegeCount("Salariés", Decimal("2.5"), 35, 21, 0),  # 52.5 of 87.5 votes
        CollegeCount("Collectivités", Decimal("10"), 3, 0, 0),  # 0 of 30 votes
    ]
    result = compute(colleges, Fraction(1, 4))
    assert result.votes == Decimal("197.5")
    assert result.votes_in == Decimal("64.5")
    assert result.needed == Decimal("49.375")
    assert result.reached
    assert (result.members, result.present, result.represented) == (118, 31, 2)
    # By heads it would be 33 of 118 (28 %); it is the votes that decide.
    assert votes_fr(result.needed) == "49,375" and votes_fr(Decimal("12.000")) == "12"
    without_staff = compute([colleges[0], colleges[2]], Fraction(1, 4))
    # 27,5 of 110 whole votes: 28 needed, 16 missing
    assert not without_staff.reached and without_staff.missing == 16


def test_no_quorum_on_second_convocation_and_empty_colleges():
    result = compute([CollegeCount("Locataires", Decimal(1), 50, 0, 0)], None)
    assert result.reached and result.needed == 0
    assert compute([], Fraction(1, 5)).reached  # nothing called: nothing needed
    assert CollegeCount("Vide", Decimal(1), 0, 0, 0).rate == 0
