"""The majority engine, rule by rule: each case is an assembly, a resolution, the room's votes
and the outcome expected (pure: no database)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from coopcrm.events.votes import statutes
from coopcrm.events.votes.majority import (
    ABSTAIN,
    AGAINST,
    FOR,
    Assembly,
    College,
    Motion,
    Postal,
    Room,
    TallyError,
    decide,
    decide_all,
    prepare,
)

DEADLINE = datetime(2027, 6, 14, 18, 30, tzinfo=UTC)
BEFORE, AFTER = datetime(2027, 6, 10, tzinfo=UTC), datetime(2027, 6, 15, tzinfo=UTC)
ONE = (College("c", "Coopérateurs"),)
AGO, AGE = Motion(1, "ago", True), Motion(3, "age", True)
MEMBER_MOTION = Motion(2, "ago", False)  # proposed by members, not the board


def people(n: int, college: str = "c", start: int = 1) -> dict[int, str]:
    return {i: college for i in range(start, start + n)}


def votes(**by_choice: range) -> dict[int, str]:
    """votes(for_=range(1, 6), against=range(6, 8)) -> {member: choice}."""
    names = {"for_": FOR, "against": AGAINST, "abstain": ABSTAIN}
    return {m: names[k] for k, members in by_choice.items() for m in members}


def assembly(voters=None, present=(), proxies=None, postal=None, colleges=ONE):
    voters = voters if voters is not None else people(10)
    return Assembly(colleges, voters, frozenset(present), proxies or {}, postal or {}, DEADLINE)


CASES = [
    # (name, assembly, motion, room, adopted, ratio)
    ("AGO: more for than against", assembly(present=range(1, 11)), AGO,
     Room(named=votes(for_=range(1, 6), against=range(6, 10))), True, Fraction(5, 9)),
    ("AGO: a tie is rejected", assembly(present=range(1, 11)), AGO,
     Room(named=votes(for_=range(1, 5), against=range(5, 9))), False, Fraction(1, 2)),
    ("abstentions are not cast (loi 2019-744)", assembly(present=range(1, 11)), AGO,
     Room(named=votes(for_=range(1, 3), against=range(3, 4), abstain=range(4, 11))),
     True, Fraction(2, 3)),
    ("AGE: two thirds exactly is enough", assembly(present=range(1, 11)), AGE,
     Room(named=votes(for_=range(1, 7), against=range(7, 10))), True, Fraction(2, 3)),
    ("AGE: just under two thirds fails", assembly(voters=people(11), present=range(1, 12)), AGE,
     Room(named=votes(for_=range(1, 8), against=range(8, 12))), False, Fraction(7, 11)),
    ("nobody cast a vote: rejected", assembly(present=range(1, 4)), AGO,
     Room(named=votes(abstain=range(1, 4))), False, None),
    ("a proxy follows its holder", assembly(present=[1, 2], proxies={3: 1, 4: 1}), AGO,
     Room(named={1: FOR, 2: AGAINST}), True, Fraction(3, 4)),
    ("a holder may split the proxies", assembly(present=[1, 2], proxies={3: 1, 4: 1}), AGO,
     Room(named={1: FOR, 2: AGAINST}, split={3: AGAINST, 4: AGAINST}), False, Fraction(1, 4)),
    ("a holder not present carries nothing", assembly(present=[2], proxies={3: 1, 4: 1}), AGO,
     Room(named={1: FOR, 2: AGAINST}), False, Fraction(0)),
    ("a blank proxy votes for the board's resolution",
     assembly(present=[1], proxies={2: None, 3: None}), AGO,
     Room(named={1: AGAINST}), True, Fraction(2, 3)),
    ("a blank proxy votes against the others",
     assembly(present=[1], proxies={2: None, 3: None}), MEMBER_MOTION,
     Room(named={1: FOR}), False, Fraction(1, 3)),
    ("a postal form before the deadline counts",
     assembly(present=[1], postal={2: Postal(BEFORE, {1: FOR}), 3: Postal(BEFORE, {1: FOR})}),
     AGO, Room(named={1: AGAINST}), True, Fraction(2, 3)),
    ("a postal form after the deadline does not",
     assembly(present=[1], postal={2: Postal(AFTER, {1: FOR}), 3: Postal(AFTER, {1: FOR})}),
     AGO, Room(named={1: AGAINST}), False, Fraction(0)),
    ("proxy and postal form: the form is set aside",
     assembly(present=[1], proxies={2: 1}, postal={2: Postal(BEFORE, {1: AGAINST})}),
     AGO, Room(named={1: FOR}), True, Fraction(1)),
    ("an unanswered line of a postal form is blank",
     assembly(present=[1], postal={2: Postal(BEFORE, {3: FOR})}), AGO,
     Room(named={1: FOR}), True, Fraction(1)),
    ("a postal voter in the room votes by post only",
     assembly(present=[1, 2], postal={2: Postal(BEFORE, {1: AGAINST})}), AGO,
     Room(named={1: FOR, 2: FOR}), False, Fraction(1, 2)),
    ("outside the snapshot: nothing", assembly(voters=people(2), present=[1, 2, 99]), AGO,
     Room(named={1: FOR, 2: AGAINST, 99: FOR}), False, Fraction(1, 2)),
    ("a per-person weight multiplies voices",
     assembly(voters={1: "a", 2: "b", 3: "b"}, present=[1, 2, 3],
              colleges=(College("a", "A", Fraction(3)), College("b", "B"))),
     AGO, Room(named={1: FOR, 2: AGAINST, 3: AGAINST}), True, Fraction(3, 5)),
    ("SCIC weights: each college's ratio counts with its share",
     assembly(voters={**people(10, "a"), **people(2, "b", 11), **people(3, "s", 13)},
              present=range(1, 16),
              colleges=(College("a", "Usagers", share=Fraction(1, 2)),
                        College("b", "Bénévoles", share=Fraction(1, 5)),
                        College("s", "Salariés", share=Fraction(3, 10)))),
     AGE, Room(named={**votes(for_=range(1, 11)), 11: AGAINST, 12: AGAINST,
                      **votes(for_=range(13, 14), against=range(14, 16))}),
     False, Fraction(1, 2) + Fraction(3, 10) * Fraction(1, 3)),
    ("weighted: a college that cast nothing drops out",
     assembly(voters={1: "a", 2: "b"}, present=[1, 2],
              colleges=(College("a", "A", share=Fraction(3, 5)),
                        College("b", "B", share=Fraction(2, 5)))),
     AGO, Room(named={1: FOR, 2: ABSTAIN}), True, Fraction(1)),
    ("room totals by college, proxies held included",
     assembly(present=[1, 2, 3], proxies={4: 1, 5: None}), AGO,
     Room(totals={"c": (1, 2, 1)}), False, Fraction(2, 4)),
]


@pytest.mark.parametrize(("name", "assembly_", "motion", "room", "adopted", "ratio"), CASES,
                         ids=[c[0] for c in CASES])
def test_rule(name, assembly_, motion, room, adopted, ratio):
    result = decide(prepare(assembly_), motion, room)
    assert (result.adopted, result.ratio) == (adopted, ratio), result.explanation


def test_the_sentence_explains_the_result():
    voters = {**people(500, "l"), **people(40, "s", 501)}
    colleges = (College("l", "Locataires"), College("s", "Salariés"))
    named = {**votes(for_=range(1, 392), against=range(392, 501)),
             **votes(for_=range(501, 522), against=range(522, 526), abstain=range(526, 541))}
    [result] = decide_all(Assembly(colleges, voters, frozenset(voters)), [AGE], {3: Room(named)})
    assert result.explanation == (
        "Résolution 3 (AGE) adoptée : 412 voix pour sur 525 exprimées, soit 78,5\u00a0% ≥ 2/3 ; "
        "collège locataires 391 pour / 500 exprimées ; collège salariés 21 pour / 25 exprimées."
        " Abstentions et bulletins blancs : 15 voix, non comptées parmi les exprimées.")


def test_weighted_sentence_shows_each_college():
    colleges = (College("a", "Usagers", share=Fraction(1, 2)),
                College("s", "Salariés", share=Fraction(1, 2)))
    result = decide(prepare(Assembly(colleges, {1: "a", 2: "s", 3: "s"}, frozenset({1, 2, 3}))),
                    AGO, Room(named={1: FOR, 2: FOR, 3: AGAINST}))
    assert result.explanation == (
        "Résolution 1 (AGO) adoptée : 75,0\u00a0% > 1/2 des voix pondérées par collège ; "
        "collège usagers (50,0\u00a0%) 1 pour / 1 exprimées, soit 100,0\u00a0% ; "
        "collège salariés (50,0\u00a0%) 1 pour / 2 exprimées, soit 50,0\u00a0%.")


def test_notes_name_what_was_left_out():
    result = decide(prepare(assembly(present=[1], proxies={2: 7, 3: 1},
                                     postal={4: Postal(AFTER, {1: FOR}),
                                             3: Postal(BEFORE, {1: FOR})})),
                    AGO, Room(named={1: FOR}))
    assert "1 formulaire de vote par correspondance reçu(s) après la date limite" in \
        result.explanation
    assert "1 formulaire de vote par correspondance écarté(s) : la même personne a donné un " \
        "pouvoir" in result.explanation
    assert "1 pouvoir sans porteur présent dans la salle" in result.explanation


@pytest.mark.parametrize(("totals", "message"), [
    ({"c": (3, 1, 0)}, "Collège Coopérateurs : 4 votes saisis pour 3 votant(s) dans la salle"),
    ({"c": (-1, 0, 0)}, "ne peut pas être négatif"),
    ({"x": (1, 0, 0)}, "Collège inconnu"),
])
def test_room_totals_cannot_exceed_the_room(totals, message):
    # 2 present, one proxy they hold, one proxy whose holder left: 3 may vote.
    prepared = prepare(assembly(present=[1, 2], proxies={3: 1, 4: 9}))
    with pytest.raises(TallyError, match=re.escape(message)):
        decide(prepared, AGO, Room(totals=totals))


@pytest.mark.parametrize(("shares", "rule", "users", "problems"), [
    ("a=50,b=30,c=20", "scic", "", []),
    ("a=60,b=20,c=20", "scic", "", ["En SCIC, aucun collège ne dépasse 50 % des voix : a."]),
    ("a=50,b=50", "scic", "", ["Une SCIC compte au moins trois collèges."]),
    ("a=50,b=30", "", "", ["Les parts des collèges font 80 %, pas 100 %."]),
    ("l=30,acc=21,s=49", "scp_hlm", "l,acc", []),
    ("l=30,acc=20,s=50", "scp_hlm", "l,acc",
     ["En SCP d'HLM, le collège des utilisateurs détient au moins 51 % des voix (ici 50 %)."]),
    ("a=50,b=50,c=0", "", "", ["Collège(s) sans part des voix : d."]),
    ("", "scic", "", []),  # no weighting: one person, one vote
])
def test_statutes_check_the_shares(shares, rule, users, problems):
    parsed = statutes.parse_shares(shares)
    voting = ["a", "b", "c", "d"] if "c=0" in shares else list(parsed)
    assert statutes.problems(parsed, rule, voting, statutes.parse_codes(users)) == problems


@pytest.mark.parametrize("raw", ["a", "a=x", "=3", "a=1,a=2", "a=-1"])
def test_shares_read_or_say_why(raw):
    with pytest.raises(ValueError):
        statutes.parse_shares(raw)


def test_statutes_are_the_settings_values():
    from coopcrm.config import VOTE_STATUTES

    assert tuple(statutes.STATUTES) == VOTE_STATUTES
