"""The majority engine: who votes, with how many voices, and whether a resolution passes.

Pure functions over plain values (no database, no clock), so that every rule is
a line of a table-driven test (tests/events/votes/test_majority.py). The rules
are the usual statutes' defaults, which a cooperative changes to match its own:

- an AGO resolution needs a simple majority of the votes cast (more for than
  against), an AGE resolution two thirds of the votes cast; abstentions and
  blank ballots are not votes cast (loi 2019-744, art. L225-96 and L225-98);
- one person, one vote: each voter carries their college's per-person weight
  (`College.vote_weight`, 1 by default, the attendance sheet's "Voix");
- where the statutes weigh the colleges (SCIC, SCP d'HLM), each college holds
  a share of the assembly's votes: its result (for / cast within the college)
  counts with its share, over the colleges that cast a vote;
- a proxy counts with its holder's vote, or as the holder says for it (split);
  a holder who is not in the room carries nothing; a blank proxy (given to the
  chair) votes for the board's resolutions and against the others;
- a postal form counts only if received by the deadline, and not from a member
  who also gave a proxy (the proxy prevails, the form is set aside); a member
  who voted by post votes by post only (R225-85: no other way once the form is in).

Only the voters of the snapshot taken when the vote opens count (`Assembly.voters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from coopcrm import fr

FOR, AGAINST, ABSTAIN = "for", "against", "abstain"
CHOICES = {FOR: "Pour", AGAINST: "Contre", ABSTAIN: "Abstention"}
# The threshold of votes for among votes cast, and whether reaching it is enough.
THRESHOLDS = {"ago": (Fraction(1, 2), False), "age": (Fraction(2, 3), True)}
THRESHOLD_FR = {Fraction(1, 2): "1/2", Fraction(2, 3): "2/3"}


class TallyError(ValueError):
    """Room totals that cannot be: the message is French and names the college."""


@dataclass(frozen=True)
class College:
    """A college as the snapshot saw it: per-person weight, share of the votes (or None)."""

    key: str
    name: str
    weight: Fraction = Fraction(1)
    share: Fraction | None = None  # 0.3 for 30 % of the assembly's votes


@dataclass(frozen=True)
class Postal:
    """A postal form: when it arrived and the choice per resolution number."""

    received: datetime
    choices: Mapping[int, str]


@dataclass(frozen=True)
class Assembly:
    """Everything common to the resolutions of one AG."""

    colleges: tuple[College, ...]
    voters: Mapping[int, str]  # member id -> college key (the snapshot)
    present: frozenset[int] = frozenset()
    # represented member -> holder (None: the chair, a blank proxy)
    proxies: Mapping[int, int | None] = field(default_factory=dict)
    postal: Mapping[int, Postal] = field(default_factory=dict)
    deadline: datetime | None = None

    @property
    def weighted(self) -> bool:
        return any(c.share is not None for c in self.colleges)


@dataclass(frozen=True)
class Motion:
    """A resolution as the engine needs it."""

    number: int
    majority: str  # ago | age
    board: bool  # proposed (or approved) by the board: blank proxies vote for it


@dataclass(frozen=True)
class Room:
    """The in-room votes of one resolution: named choices, or totals by college.

    `named`: present member -> choice; `split`: represented member -> choice the holder
    gave for that proxy (else it follows the holder). `totals`: college key -> counts of
    persons (for, against, abstain), the proxies held in the room included, each in the
    college of the member represented (blank proxies and postal forms are added here).
    """

    named: Mapping[int, str] = field(default_factory=dict)
    split: Mapping[int, str] = field(default_factory=dict)
    totals: Mapping[str, tuple[int, int, int]] | None = None


@dataclass
class Count:
    """Persons for / against / abstaining in one college."""

    college: College
    persons: dict[str, int] = field(default_factory=lambda: {c: 0 for c in CHOICES})

    def voices(self, choice: str) -> Fraction:
        return self.persons[choice] * self.college.weight

    @property
    def cast(self) -> Fraction:
        return self.voices(FOR) + self.voices(AGAINST)

    @property
    def ratio(self) -> Fraction | None:
        return self.voices(FOR) / self.cast if self.cast else None


@dataclass
class Prepared:
    """Who votes how, once per assembly: postal forms kept, proxies carried, notes."""

    assembly: Assembly
    postal: dict[int, Postal]
    room: frozenset[int]  # voters who vote in the room
    carried: dict[int, list[int]]  # holder -> the members they represent
    blank: list[int]  # members represented by the chair
    notes: list[str]

    def capacity(self) -> dict[str, int]:
        """Persons who may vote in the room, per college (proxies held included)."""
        out = {c.key: 0 for c in self.assembly.colleges}
        voters = self.assembly.voters
        for member in self.room:
            out[voters[member]] += 1
        for members in self.carried.values():
            for member in members:
                out[voters[member]] += 1
        return out


@dataclass
class Result:
    """One resolution's outcome, with the sentence that explains it."""

    motion: Motion
    counts: list[Count]
    ratio: Fraction | None
    adopted: bool
    weighted: bool
    notes: list[str]

    @property
    def cast(self) -> Fraction:
        return sum((c.cast for c in self.counts), Fraction(0))

    def voices(self, choice: str) -> Fraction:
        return sum((c.voices(choice) for c in self.counts), Fraction(0))

    @property
    def explanation(self) -> str:
        return explain(self)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def prepare(assembly: Assembly) -> Prepared:
    """Sort the voters of the snapshot: by post, in the room, represented (and by whom)."""
    voters, notes = assembly.voters, []
    postal, late, conflict = {}, 0, 0
    for member, form in assembly.postal.items():
        if member not in voters:
            continue
        if member in assembly.proxies:
            conflict += 1
        elif assembly.deadline is not None and form.received > assembly.deadline:
            late += 1
        else:
            postal[member] = form
    if late:
        notes.append(f"{_plural(late, 'formulaire')} de vote par correspondance reçu(s) après "
                     f"la date limite : non compté(s).")
    if conflict:
        notes.append(f"{_plural(conflict, 'formulaire')} de vote par correspondance écarté(s) : "
                     "la même personne a donné un pouvoir.")
    room = frozenset(m for m in assembly.present if m in voters and m not in postal)
    carried: dict[int, list[int]] = {}
    blank, orphan = [], 0
    for member, holder in sorted(assembly.proxies.items()):
        if member not in voters or member in room:
            continue
        if holder is None:
            blank.append(member)
        elif holder in room:
            carried.setdefault(holder, []).append(member)
        else:
            orphan += 1
    if orphan:
        notes.append(f"{_plural(orphan, 'pouvoir')} sans porteur présent dans la salle : "
                     "non compté(s).")
    return Prepared(assembly, postal, room, carried, blank, notes)


def _named(prepared: Prepared, room: Room, add) -> None:
    for member in prepared.room:  # counting: any order
        choice = room.named.get(member)
        if choice is not None:
            add(member, choice)
        for represented in prepared.carried.get(member, ()):
            own = room.split.get(represented, choice)
            if own is not None:
                add(represented, own)


def _totals(prepared: Prepared, totals: Mapping[str, tuple[int, int, int]],
            counts: dict[str, Count]) -> None:
    capacity = prepared.capacity()
    for key, persons in totals.items():
        if key not in counts:
            raise TallyError("Collège inconnu dans les totaux saisis.")
        count = counts[key]
        if any(n < 0 for n in persons):
            raise TallyError(f"Collège {count.college.name} : un total ne peut pas être négatif.")
        if sum(persons) > capacity[key]:
            raise TallyError(f"Collège {count.college.name} : {sum(persons)} votes saisis pour "
                             f"{capacity[key]} votant(s) dans la salle (pouvoirs compris).")
        for choice, n in zip(CHOICES, persons, strict=True):
            count.persons[choice] += n


def decide(prepared: Prepared, motion: Motion, room: Room | None = None) -> Result:
    """The outcome of `motion`: postal forms, blank proxies and the room's votes."""
    assembly = prepared.assembly
    counts = {c.key: Count(c) for c in assembly.colleges}

    def add(member: int, choice: str) -> None:
        if choice not in CHOICES:
            raise TallyError(f"Choix inconnu : {choice}.")
        counts[assembly.voters[member]].persons[choice] += 1

    for member, form in prepared.postal.items():
        # An unanswered line of the form is a blank ballot: not a vote cast.
        add(member, form.choices.get(motion.number, ABSTAIN))
    for member in prepared.blank:
        add(member, FOR if motion.board else AGAINST)
    room = room or Room()
    if room.totals is not None:
        _totals(prepared, room.totals, counts)
    else:
        _named(prepared, room, add)
    ratio = _ratio(list(counts.values()), assembly.weighted)
    threshold, reaching = THRESHOLDS[motion.majority]
    adopted = ratio is not None and (ratio >= threshold if reaching else ratio > threshold)
    return Result(motion, list(counts.values()), ratio, adopted, assembly.weighted,
                  list(prepared.notes))


def _ratio(counts: list[Count], weighted: bool) -> Fraction | None:
    """Votes for among votes cast; weighted: each college's ratio with its share."""
    if not weighted:
        cast = sum((c.cast for c in counts), Fraction(0))
        return sum((c.voices(FOR) for c in counts), Fraction(0)) / cast if cast else None
    voting = [c for c in counts if c.ratio is not None and c.college.share]
    total = sum((c.college.share or Fraction(0) for c in voting), Fraction(0))
    if not total:
        return None
    return sum(((c.college.share or Fraction(0)) * (c.ratio or Fraction(0)) for c in voting),
               Fraction(0)) / total


def votes_fr(value: Fraction) -> str:
    """A number of voices: '412', or '12,5' when a weight makes it fractional."""
    if value.denominator == 1:
        return str(value.numerator)
    return fr.decimal(float(value), 2).rstrip("0").rstrip(",")


def percent_fr(value: Fraction) -> str:
    return fr.percent(float(value * 100))


def _college_fr(count: Count, weighted: bool) -> str:
    share = f" ({percent_fr(count.college.share)})" if weighted and count.college.share else ""
    text = (f"collège {count.college.name.lower()}{share} {votes_fr(count.voices(FOR))} pour / "
            f"{votes_fr(count.cast)} exprimées")
    if weighted and count.ratio is not None:
        text += f", soit {percent_fr(count.ratio)}"
    return text


def explain(result: Result) -> str:
    """'Résolution 3 (AGE) adoptée : 412 voix pour sur 540 exprimées, soit 76,3 % ≥ 2/3 ;
    collège salariés 21 pour / 25 exprimées ; …', then abstentions and notes."""
    motion = result.motion
    head = (f"Résolution {motion.number} ({motion.majority.upper()}) "
            f"{'adoptée' if result.adopted else 'rejetée'}")
    threshold, reaching = THRESHOLDS[motion.majority]
    if result.ratio is None:
        sentence = f"{head} : aucune voix exprimée"
    else:
        sign = ("≥" if reaching else ">") if result.adopted else ("<" if reaching else "≤")
        rule = f"{percent_fr(result.ratio)} {sign} {THRESHOLD_FR.get(threshold, threshold)}"
        if result.weighted:
            sentence = f"{head} : {rule} des voix pondérées par collège"
        else:
            sentence = (f"{head} : {votes_fr(result.voices(FOR))} voix pour sur "
                        f"{votes_fr(result.cast)} exprimées, soit {rule}")
    parts = [sentence]
    parts += [_college_fr(c, result.weighted) for c in result.counts
              if c.cast or c.persons[ABSTAIN]]
    text = " ; ".join(parts)
    abstain = result.voices(ABSTAIN)
    if abstain:
        text += (f". Abstentions et bulletins blancs : {votes_fr(abstain)} voix, non comptées "
                 "parmi les exprimées")
    return text + "." + "".join(f" {note}" for note in result.notes)


def decide_all(assembly: Assembly, motions: list[Motion],
               rooms: Mapping[int, Room]) -> list[Result]:
    """Every resolution of the assembly, the voters sorted once."""
    prepared = prepare(assembly)
    return [decide(prepared, m, rooms.get(m.number)) for m in motions]
