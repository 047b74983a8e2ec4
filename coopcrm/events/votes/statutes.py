"""The colleges' shares of the votes, as the cooperative configures them, and the statutes'
checks on them. Pure: the settings are read by the caller.

`COOPCRM_EVENTS_COLLEGE_SHARES` gives each college's share of the assembly's votes in
percent, by college code ("locataires=40,salaries=30,partenaires=30"); empty: no
weighting by college (one person, one vote). `COOPCRM_EVENTS_VOTE_STATUTES` says which
legal rules the shares must respect:

- `scic`: at least three colleges, none above 50 % (loi 1947, art. 19 octies);
- `scp_hlm`: the users' colleges (`COOPCRM_EVENTS_USERS_COLLEGES`, codes) hold at
  least 51 % together;
- empty: only that the shares add up to 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

STATUTES = {"": "Statuts sans règle de collèges", "scic": "SCIC",  # config.VOTE_STATUTES
            "scp_hlm": "SCP d'HLM"}
SCIC_MIN_COLLEGES = 3
SCIC_MAX_SHARE = Fraction(1, 2)
SCP_USERS_MIN_SHARE = Fraction(51, 100)


def parse_shares(raw: str) -> dict[str, Fraction]:
    """'locataires=40,salaries=30' -> {code: share as a fraction of 1}; ValueError in French."""
    out: dict[str, Fraction] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        code, sep, value = part.partition("=")
        code = code.strip().lower()
        try:
            share = Fraction(value.strip().replace(",", ".")) / 100 if sep else None
        except ValueError:
            share = None
        if not code or share is None or share < 0:
            raise ValueError(f"« {part} » : écrivez code=pourcentage, ex. locataires=40")
        if code in out:
            raise ValueError(f"le collège « {code} » est donné deux fois")
        out[code] = share
    return out


def parse_codes(raw: str) -> frozenset[str]:
    """'locataires, accedants' -> the set of college codes."""
    return frozenset(c.strip().lower() for c in raw.split(",") if c.strip())


def problems(shares: dict[str, Fraction], statutes: str, colleges: Iterable[str],
             users: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with `shares` for the colleges that vote (codes), in French; [] if none."""
    if not shares:
        return []
    voting = list(colleges)
    found = []
    missing = [c for c in voting if c not in shares]
    if missing:
        found.append("Collège(s) sans part des voix : " + ", ".join(missing) + ".")
    total = sum(shares.values(), Fraction(0))
    if total != 1:
        found.append(f"Les parts des collèges font {float(total * 100):g} %, pas 100 %.")
    if statutes == "scic":
        if len([c for c, s in shares.items() if s > 0]) < SCIC_MIN_COLLEGES:
            found.append("Une SCIC compte au moins trois collèges.")
        over = [c for c, s in shares.items() if s > SCIC_MAX_SHARE]
        if over:
            found.append("En SCIC, aucun collège ne dépasse 50 % des voix : "
                         + ", ".join(over) + ".")
    elif statutes == "scp_hlm":
        held = sum((s for c, s in shares.items() if c in users), Fraction(0))
        if held < SCP_USERS_MIN_SHARE:
            found.append(f"En SCP d'HLM, le collège des utilisateurs détient au moins 51 % des "
                         f"voix (ici {float(held * 100):g} %).")
    return found
