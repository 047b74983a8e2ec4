"""Demo key moments: each member's journey so far, and what is planned in the coming weeks.

Rows are plain dicts for one bulk insert of `Moment`; the types come from the
catalogue (seeds/moment_types.json) by code.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from coopcrm.clock import PARIS
from coopcrm.seeding.demo_people import Person, Place, add_months, at, between

# The coop started logging moments in this CRM's predecessor around then;
# older journeys keep only their milestones.
AG_FIRST_YEAR = 2010
COURTESY_PROGRAMME = date(2012, 1, 1)

COURTESY_NOTES = ["", "", "RAS, logement bien entretenu.", "Souhaite être informée des ateliers.",
                  "Signale de l'humidité dans la salle de bain.", "Très satisfaits de l'accueil.",
                  "Questions sur la régularisation des charges.", "Intéressé par le conseil "
                  "de résidence."]
REPAIR_NOTES = ["Fuite sous l'évier.", "Volet roulant bloqué.", "Chaudière en panne.",
                "Interphone défectueux.", "Porte du hall qui ferme mal.",
                "Infiltration au plafond."]
PROSPECT_NOTES = ["Rappeler pour présenter les programmes en cours.",
                  "Envoyer la plaquette et la grille de prix.",
                  "Rendez-vous découverte à proposer."]


def ag_day(year: int) -> date:
    """The yearly general assembly: the third Thursday of June."""
    first = date(year, 6, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class MomentMaker:
    """Builds Moment rows for persons whose member ids are known."""

    def __init__(self, rng: random.Random, now: datetime, types: dict[str, int],
                 owners: dict[str, int | None]):
        self.rng, self.now, self.types, self.owners = rng, now, types, owners
        self.today = now.astimezone(PARIS).date()
        self.rows: list[dict] = []

    def owner(self, person: Person) -> int | None:
        """GHT's own referent handles most of GHT; the group's referente the rest."""
        roll = self.rng.random()
        if person.entities[0] == "GHT":
            return self.owners.get("ght") if roll < 0.65 else self.owners.get("referente")
        return self.owners.get("referente") if roll < 0.75 else self.owners.get("admin")

    def add(self, member_id: int, person: Person, code: str, day: date, status: str = "done",
            channel: str = "", notes: str = "") -> None:
        if status == "done" and (day > self.today or (person.left_on and day > person.left_on)):
            return
        if status == "done":
            stamp = min(at(day, self.rng.randint(9, 17), self.rng.choice([0, 15, 30, 45])),
                        self.now)
            created, done = stamp, stamp
        else:
            created, done = self.now - timedelta(days=self.rng.randint(1, 20)), None
        self.rows.append({
            "member_id": member_id, "type_id": self.types[code], "status": status,
            "occurs_on": day, "channel": channel, "owner_id": self.owner(person),
            "notes": notes, "done_dt": done, "created_dt": created, "updated_dt": created,
        })

    # -- done moments -----------------------------------------------------

    def journey(self, member_id: int, p: Person) -> None:
        rng = self.rng
        first_channel = rng.choices(["telephone", "email", "evenement", "visite"], [5, 3, 2, 1])[0]
        if p.kind == "salarie":
            assert p.signed_on is not None  # an employee is a member from their hiring
            self.add(member_id, p, "autre", p.signed_on, channel="courrier",
                     notes="Souscription d'une part sociale (salarié).")
        else:
            self.add(member_id, p, "premier_contact", p.first_contact, channel=first_channel)
        if p.track == "accession" and p.reservation_on:
            self._accession(member_id, p)
        elif p.track == "locatif" and p.lease_on:
            self._locatif(member_id, p)
        if p.signed_on:
            self._assemblies(member_id, p)
        if p.left_on:
            self.add(member_id, p, "autre", p.left_on, channel="courrier",
                     notes="Remboursement de la part sociale.")

    def _accession(self, mid: int, p: Person) -> None:
        rng, place = self.rng, p.residence
        signed = p.reservation_on
        assert place is not None and signed is not None  # a buyer has both (journey checks)
        self.add(mid, p, "signature_reservation", signed, channel="visite")
        if signed > place.delivery:  # a resale: no building site to follow
            self.add(mid, p, "signature_location_accession",
                     signed + timedelta(days=rng.randint(20, 50)), channel="visite")
        else:
            self._building(mid, p)
        self._after_move(mid, p)

    def _building(self, mid: int, p: Person) -> None:
        """From reservation to handing over the keys, while the residence is built."""
        rng, place, today = self.rng, p.residence, self.today
        signed = p.reservation_on
        assert place is not None and signed is not None  # called from _accession only
        self.add(mid, p, "choix_prestations", signed + timedelta(days=rng.randint(45, 100)),
                 channel="visite")
        stone = add_months(place.delivery, -16)
        if signed <= stone and rng.random() < 0.55:
            self.add(mid, p, "premiere_pierre", stone, channel="evenement")
        news = signed + timedelta(days=90)
        while news < min(place.delivery, today):
            self.add(mid, p, "information_avancement", news,
                     channel="email" if p.email and rng.random() < 0.8 else "courrier")
            news += timedelta(days=rng.randint(100, 140))
        for _ in range(2):
            if rng.random() < 0.5:
                visit = between(rng, signed + timedelta(days=60),
                                place.delivery - timedelta(days=30))
                if visit < today - timedelta(days=2):
                    self.add(mid, p, "visite_chantier", visit, channel="visite")
        self.add(mid, p, "signature_location_accession",
                 place.delivery - timedelta(days=rng.randint(10, 40)), channel="visite")
        self.add(mid, p, "levee_reserves", place.delivery + timedelta(days=rng.randint(30, 75)),
                 channel="visite")

    def _after_move(self, mid: int, p: Person) -> None:
        rng, today = self.rng, self.today
        if p.moved_in:
            self.add(mid, p, "arrivee_lieux", p.moved_in, channel="visite")
            if rng.random() < 0.2 and p.moved_in + timedelta(days=365) < today:
                self.add(mid, p, "vie_copropriete",
                         between(rng, p.moved_in + timedelta(days=365), today),
                         channel=rng.choice(["evenement", "email"]),
                         notes=rng.choice(["Assemblée de copropriété.", "Question sur le syndic.",
                                           ""]))

    def _locatif(self, mid: int, p: Person) -> None:
        rng, today = self.rng, self.today
        # A demo tenant with a lease has moved in the same day or soon after (demo_people).
        assert p.lease_on is not None and p.moved_in is not None
        self.add(mid, p, "signature_bail", p.lease_on, channel="visite")
        self.add(mid, p, "arrivee_lieux", p.moved_in, channel="visite")
        visit = p.moved_in + timedelta(days=rng.randint(20, 90))
        recent = p.moved_in > today - timedelta(days=120)
        if not recent and p.moved_in >= COURTESY_PROGRAMME and rng.random() < 0.6:
            self.add(mid, p, "visite_courtoisie", next_weekday(visit), channel="visite",
                     notes=rng.choice(COURTESY_NOTES))
        elif not recent and not p.left_on and rng.random() < 0.12:
            # The retroactive first wave: long-standing tenants visited this year.
            self.add(mid, p, "visite_courtoisie",
                     next_weekday(between(rng, today - timedelta(days=330), today - timedelta(
                         days=3))), channel="visite", notes=rng.choice(COURTESY_NOTES))
        elif not recent and rng.random() < 0.03:
            self.add(mid, p, "visite_courtoisie", next_weekday(visit), status="cancelled",
                     channel="visite", notes="Locataire absent, à replanifier.")
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            self.add(mid, p, "demande_intervention", between(rng, p.moved_in, today),
                     channel=rng.choice(["telephone", "email"]), notes=rng.choice(REPAIR_NOTES))

    def _assemblies(self, mid: int, p: Person) -> None:
        rng = self.rng
        chance = {"admin": 0.9, "salarie": 0.6}.get(p.kind, 0.12)
        assert p.signed_on is not None  # journey calls this for members only
        for year in range(max(AG_FIRST_YEAR, p.signed_on.year), self.today.year + 1):
            day = ag_day(year)
            if p.signed_on < day and rng.random() < chance:
                proxy = rng.random() < 0.15
                self.add(mid, p, "ag_coop", day, channel="evenement",
                         notes="Représenté (pouvoir)." if proxy else "Présent.")

    # -- planned moments --------------------------------------------------

    def plan(self, members: list[tuple[int, Person]], places: list[Place], scale: float) -> None:
        """A few hundred moments in the coming weeks: site visits, courtesy visits, calls."""
        rng, today = self.rng, self.today
        building = [pl for pl in places if pl.delivery > today]
        for place in building:
            day = today + timedelta(days=rng.randint(14, 35))
            day += timedelta(days=(5 - day.weekday()) % 7)  # a Saturday morning
            for mid, p in members:
                if p.residence is place and p.status == "cooperateur":
                    self.add(mid, p, "visite_chantier", day, status="planned", channel="visite",
                             notes="Visite collective du chantier.")
        visited = {row["member_id"] for row in self.rows
                   if row["type_id"] == self.types["visite_courtoisie"]}
        waiting = [(mid, p) for mid, p in members
                   if p.track == "locatif" and p.status == "cooperateur" and p.moved_in
                   and mid not in visited]
        waiting.sort(key=lambda item: item[1].moved_in or date.min,
                     reverse=True)  # `or`: for the checker, moved_in is filtered on above
        # 70-80 courtesy visits a month, over the next two months.
        for mid, p in waiting[:max(1, round(150 * scale))]:
            day = next_weekday(today + timedelta(days=rng.randint(1, 56)))
            self.add(mid, p, "visite_courtoisie", day, status="planned", channel="visite")
        for mid, p in members:
            if p.status == "prospect" and rng.random() < 0.5:
                day = next_weekday(today + timedelta(days=rng.randint(1, 30)))
                self.add(mid, p, "autre", day, status="planned", channel="telephone",
                         notes=rng.choice(PROSPECT_NOTES))


def moments(rng: random.Random, now: datetime, members: list[tuple[int, Person]],
            places: list[Place], types: dict[str, int], owners: dict[str, int | None],
            scale: float) -> list[dict]:
    """Every demo Moment row: done journeys first, then the plan for the coming weeks."""
    maker = MomentMaker(rng, now, types, owners)
    for mid, person in members:
        maker.journey(mid, person)
    maker.plan(members, places, scale)
    return maker.rows
