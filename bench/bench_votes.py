"""All results of an AG of 10,000 entitled members with 12 resolutions (the majority engine),
against the least work any count does: one pass summing each resolution's choices.

The assembly: four colleges, 6,000 present, 1,000 represented by a present holder, 500
blank proxies, 2,000 postal forms (100 of them late); each resolution voted by name in the
room (every present member's choice, their proxies following them). Pure Python, no
database: what the results page adds over reading the rows.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

N, RESOLUTIONS = 10_000, 12
CHOICES = ("for", "against", "abstain")


def _assembly():
    from coopcrm.events.votes.majority import Assembly, College, Motion, Postal, Room

    rng = random.Random(15)
    colleges = tuple(College(k, k.capitalize()) for k in ("locataires", "accedants",
                                                         "salaries", "partenaires"))
    voters = {i: colleges[i % 4].key for i in range(N)}
    present = frozenset(range(6_000))
    proxies: dict[int, int | None] = {6_000 + i: i * 3 for i in range(1_000)}
    proxies.update({7_000 + i: None for i in range(500)})
    deadline = datetime(2027, 6, 14, tzinfo=UTC)
    postal = {7_500 + i: Postal(deadline - timedelta(days=1 if i >= 100 else -1),
                                {n: rng.choice(CHOICES) for n in range(1, RESOLUTIONS + 1)})
              for i in range(2_000)}
    motions = [Motion(n, "age" if n % 4 == 0 else "ago", n % 5 != 0)
               for n in range(1, RESOLUTIONS + 1)]
    rooms = {m.number: Room(named={i: rng.choice(CHOICES) for i in present}) for m in motions}
    return Assembly(colleges, voters, present, proxies, postal, deadline), motions, rooms


def _baseline(assembly, motions, rooms) -> int:
    """One pass a resolution: the room's and the postal forms' choices, summed."""
    total = 0
    for m in motions:
        counts = dict.fromkeys(CHOICES, 0)
        for choice in rooms[m.number].named.values():
            counts[choice] += 1
        for form in assembly.postal.values():
            counts[form.choices.get(m.number, "abstain")] += 1
        total += counts["for"]
    return total


def run() -> dict:
    from coopcrm.events.votes.majority import decide_all

    assembly, motions, rooms = _assembly()
    best_engine = best_base = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        results = decide_all(assembly, motions, rooms)
        best_engine = min(best_engine, time.perf_counter() - start)
        start = time.perf_counter()
        _baseline(assembly, motions, rooms)
        best_base = min(best_base, time.perf_counter() - start)
    assert len(results) == RESOLUTIONS and all(r.explanation for r in results)
    return {
        "entitled": N, "resolutions": RESOLUTIONS,
        "engine_ms (all results, explained)": round(best_engine * 1000, 1),
        "baseline_ms (one summing pass a resolution)": round(best_base * 1000, 1),
        "ratio": round(best_engine / best_base, 2),
    }
