"""Demo members as plain Python: identities, tracks, dates, shares and consents.

Nothing here touches the database: `people()` returns `Person` records that
`demo.py` turns into bulk inserts, so the whole demo stays fast and the same
random seed always gives the same group (for the same day).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from coopcrm import resources
from coopcrm.clock import PARIS
from coopcrm.members.text import fold

# Consents older than the GDPR were collected again in a campaign after it.
GDPR_CAMPAIGN = date(2018, 5, 25)
# Share of the locatif tenants per tenure band (years): "plus de 15 ans",
# "10 à 15 ans" must each count in the hundreds for 2,000 members.
TENURE_BANDS = [((0, 5), 0.19), ((5, 10), 0.12), ((10, 15), 0.31), ((15, 30), 0.38)]
MAIL_DOMAINS = ["orange.example", "free.example", "laposte.example", "gmail.example",
                "sfr.example", "wanadoo.example", "outlook.example", "yahoo.example"]


@dataclass
class Place:
    """A demo residence, with what the generator needs beyond the Residence row."""

    id: int
    entity: str
    name: str
    commune: str
    postal_code: str
    street: str
    dwellings: int
    delivery: date
    kind: str


@dataclass
class Person:
    kind: str  # coop, ancien, prospect, salarie, admin
    track: str
    entities: list[str]
    first_contact: date
    residence: Place | None = None
    signed_on: date | None = None  # share subscription (reservation, lease or hiring)
    reservation_on: date | None = None
    lease_on: date | None = None
    moved_in: date | None = None
    left_on: date | None = None  # share reimbursed
    college: str | None = None
    civility: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    email_status: str = "valid"
    phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    consents: dict = field(default_factory=dict)  # kind -> (granted, dt)
    consent_records: list = field(default_factory=list)  # (kind, granted, dt)
    references: dict = field(default_factory=dict)  # entity code -> reference

    @property
    def status(self) -> str:
        if self.signed_on is None:
            return "prospect"
        return "ancien" if self.left_on else "cooperateur"


def read_seed(name: str) -> dict:
    return resources.seed(name)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """`day` at a Paris wall-clock time, as the aware UTC datetime the columns store."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def add_months(day: date, months: float) -> date:
    return day + timedelta(days=round(30.44 * months))


def between(rng: random.Random, start: date, end: date) -> date:
    """A random day in [start, end] (start when the range is empty)."""
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def weighted(rng: random.Random, items, weight):
    return rng.choices(items, weights=[weight(i) for i in items])[0]


def kinds_for(count: int, rng: random.Random) -> list[str]:
    """Each member's kind, in proportions that hold at any size (at least one of each)."""
    salaried = max(1, round(35 * count / 2000))
    directors = max(1, round(12 * count / 2000))
    prospects = max(1, round(count * 0.05))
    former = max(1, round(count * 0.10))
    kinds = ["salarie"] * salaried + ["admin"] * directors + ["prospect"] * prospects
    kinds += ["ancien"] * former
    kinds = kinds[:count] + ["coop"] * max(0, count - len(kinds))
    rng.shuffle(kinds)
    return kinds


class PeopleMaker:
    """Draws every member of the demo from one random generator."""

    def __init__(self, rng: random.Random, now: datetime, places: list[Place]):
        self.rng, self.now = rng, now
        self.today = now.astimezone(PARIS).date()
        self.places = places
        self.accession = [p for p in places if p.kind == "accession"]
        self.locatif = [p for p in places if p.kind == "locatif"]
        self.names = read_seed("demo_names.json")
        geo = read_seed("demo_places.json")
        self.communes, self.streets = geo["communes"], geo["streets"]
        self.emails: set[str] = set()

    # -- tracks and dates -------------------------------------------------

    def make(self, kind: str) -> Person:
        rng = self.rng
        if kind == "salarie":
            person = self._salaried()
        elif kind == "prospect":
            person = self._prospect()
        else:
            track = "accession" if rng.random() < 0.55 else "locatif"
            ancien = kind == "ancien"
            person = self._buyer(ancien) if track == "accession" else self._tenant(ancien)
            person.kind = kind
            if kind == "admin":
                person.college = "administrateurs"
            if kind in ("coop", "admin") and rng.random() < 0.03:
                other = "GHT" if person.entities[0] == "MFLA" else "MFLA"
                person.entities.append(other)
        self._identity(person)
        self._consents(person)
        return person

    def _buyer(self, ancien: bool) -> Person:
        rng, today = self.rng, self.today
        pool = [p for p in self.accession if not ancien or p.delivery <= add_months(today, -36)]
        place = weighted(rng, pool, lambda p: p.dwellings)
        start = max(add_months(place.delivery, -30), add_months(today, -240))
        end = min(add_months(place.delivery, -4), today)
        reservation = between(rng, min(start, end), end)
        moved_in = place.delivery + timedelta(days=rng.randint(0, 20))
        if not ancien and place.delivery < add_months(today, -12) and rng.random() < 0.2:
            # A resale through the coop, years after delivery: fills the years between
            # programmes, so signatures spread over the whole twenty years.
            reservation = between(rng, add_months(place.delivery, 12), today)
            moved_in = reservation + timedelta(days=rng.randint(60, 120))
        person = Person(kind="coop", track="accession", entities=[place.entity],
                        residence=place, first_contact=reservation - timedelta(
                            days=rng.randint(15, 200)),
                        signed_on=reservation, reservation_on=reservation,
                        moved_in=moved_in if moved_in <= today else None, college="accedants")
        if ancien:
            person.left_on = between(rng, moved_in + timedelta(days=365),
                                     today - timedelta(days=15))
        return person

    def _tenant(self, ancien: bool) -> Person:
        rng, today = self.rng, self.today
        if ancien:
            years = rng.uniform(2, 30)
        else:
            (low, high), = rng.choices([b for b, _ in TENURE_BANDS],
                                       weights=[w for _, w in TENURE_BANDS])
            years = rng.uniform(low, high)
        moved_in = today - timedelta(days=int(years * 365.25))
        pool = [p for p in self.locatif if p.delivery <= moved_in] or [
            min(self.locatif, key=lambda p: p.delivery)]
        place = weighted(rng, pool, lambda p: p.dwellings)
        moved_in = max(moved_in, place.delivery)
        lease = moved_in - timedelta(days=rng.randint(3, 25))
        person = Person(kind="coop", track="locatif", entities=[place.entity], residence=place,
                        first_contact=lease - timedelta(days=rng.randint(20, 120)),
                        signed_on=lease, lease_on=lease, moved_in=moved_in, college="locataires")
        if ancien:
            person.left_on = between(rng, moved_in + timedelta(days=365),
                                     today - timedelta(days=15))
        return person

    def _salaried(self) -> Person:
        rng = self.rng
        hired = between(rng, add_months(self.today, -180), self.today - timedelta(days=30))
        return Person(kind="salarie", track=rng.choice(["accession", "locatif"]),
                      entities=[self._entity()], first_contact=hired, signed_on=hired,
                      college="salaries")

    def _prospect(self) -> Person:
        rng, today = self.rng, self.today
        track = "accession" if rng.random() < 0.55 else "locatif"
        person = Person(kind="prospect", track=track, entities=[self._entity()],
                        first_contact=between(rng, today - timedelta(days=540),
                                              today - timedelta(days=3)))
        building = [p for p in self.accession if p.delivery > today]
        if track == "accession" and building and rng.random() < 0.5:
            person.residence = rng.choice(building)
            person.entities = [person.residence.entity]
        return person

    def _entity(self) -> str:
        return "MFLA" if self.rng.random() < 0.6 else "GHT"

    # -- identity ---------------------------------------------------------

    def _identity(self, p: Person) -> None:
        rng, names = self.rng, self.names
        female = rng.random() < 0.52
        p.first_name = rng.choice(names["female"] if female else names["male"])
        p.last_name = rng.choice(names["last"])
        p.civility = "" if rng.random() < 0.02 else ("Mme" if female else "M.")
        roll = rng.random()
        if roll >= 0.08:
            p.email = self._email(p.first_name, p.last_name)
            p.email_status = "bounced" if roll < 0.11 else (
                "unsubscribed" if roll < 0.13 else "valid")
        roll = rng.random()
        if roll < 0.75:
            p.phone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        elif roll < 0.92:
            p.phone = f"02 61 91 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        if p.residence is not None and p.status != "prospect":
            place = p.residence
            p.address = f"{rng.randint(1, 40)} {place.street}"
            if place.dwellings > 20:
                p.address += f", appt {rng.randint(1, place.dwellings)}"
            p.postal_code, p.city = place.postal_code, place.commune
        else:
            commune = weighted(rng, self.communes, lambda c: c["weight"])
            p.address = f"{rng.randint(1, 120)} {rng.choice(self.streets)}"
            p.postal_code, p.city = commune["postal_code"], commune["name"]

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        f = fold(first).replace(" ", "-").replace("'", "")
        la = fold(last).replace(" ", "").replace("'", "")
        local = rng.choice([f"{f}.{la}", f"{f[0]}.{la}", f"{la}.{f}", f"{f}{la}",
                            f"{f}.{la}{rng.randint(1, 99)}"])
        domain = rng.choice(MAIL_DOMAINS)
        email, n = f"{local}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return email

    # -- consents ---------------------------------------------------------

    def _consents(self, p: Person) -> None:
        """Newsletter ~80 %, electronic convocation ~60 %, with their history."""
        rng, today = self.rng, self.today
        if not p.email:
            return
        given = p.signed_on or p.first_contact
        if given < GDPR_CAMPAIGN:
            given = between(rng, GDPR_CAMPAIGN, date(2018, 12, 20))
        # Never in the future, even for a member who signed this morning.
        latest = self.now - timedelta(hours=2)
        given_dt = min(at(given, rng.randint(9, 17), rng.choice([0, 15, 30, 45])), latest)
        wants_news = p.email_status == "unsubscribed" or rng.random() < 0.9
        wants_convocation = p.status != "prospect" and rng.random() < 0.72
        if wants_news:
            p.consent_records.append(("newsletter", True, given_dt))
            p.consents["newsletter"] = (True, given_dt)
            if p.email_status == "unsubscribed":
                gone = at(between(rng, min(given + timedelta(days=30), today), today), 20, 5)
                gone = min(gone, self.now - timedelta(hours=1))
                p.consent_records.append(("newsletter", False, gone))
                p.consents["newsletter"] = (False, gone)
        if wants_convocation:
            p.consent_records.append(("econvocation", True, given_dt))
            p.consents["econvocation"] = (True, given_dt)


def people(count: int, rng: random.Random, now: datetime, places: list[Place]) -> list[Person]:
    """`count` demo members in the order they came to the cooperative, with references."""
    maker = PeopleMaker(rng, now, places)
    persons = [maker.make(kind) for kind in kinds_for(count, rng)]
    persons.sort(key=lambda p: p.first_contact)
    counters: dict[str, int] = {}
    for p in persons:
        for code in p.entities:
            counters[code] = counters.get(code, 0) + 1
            p.references[code] = f"{code}-{counters[code]:06d}"
    return persons
