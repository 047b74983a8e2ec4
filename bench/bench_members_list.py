"""Members list speed on 100,000 members, through the app's own query path.

A fresh database (SQLite by default; a temporary PostgreSQL database when
COOPCRM_BENCH_DATABASE_URL names a server) gets 100,000 members in bulk: two
entities, ten residences, four colleges, French names, realistic dates. Then
`members_query` + `paginate` (one COUNT, one page of 50 with its residences,
colleges and entity links) are timed for an admin and for a referent scoped
to one entity: a name search and a three-filter query. Target: p95 < 150 ms
on SQLite.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench._databases import fresh_database

MEMBERS = int(os.environ.get("COOPCRM_BENCH_MEMBERS", "100000"))
RUNS, WARMUP, TARGET_MS = 50, 5, 150
TODAY = date(2026, 11, 23)
FIRST = ["Jean", "Marie", "Hélène", "François", "Élodie", "Loïc", "Chloé", "Jérôme", "Amélie",
         "Nicolas", "Sophie", "Mathieu", "Léa", "Benoît", "Céline", "Gaëlle", "Noël", "Inès",
         "Karim", "Fatou", "Thomas", "Camille", "Yannick", "Aurélie"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Girard", "Rousseau", "Mercier", "Faure",
        "Blanc", "Guérin", "Muller", "Lévêque", "Boyer", "Garnier", "Chevalier", "Fournier",
        "Le Goff", "Nguyen", "Diallo", "Moreau", "Perrin", "Morel", "Roux", "Bonnet", "Lambert",
        "Fontaine", "Rivière", "Caron", "Picard", "Roche", "Benali", "Da Silva"]
CITIES = [("44000", "Nantes"), ("44400", "Rezé"), ("44800", "Saint-Herblain"),
          ("49000", "Angers"), ("85000", "La Roche-sur-Yon")]


def _populate() -> dict:
    """Reference data, two users and MEMBERS members, with Core bulk inserts."""
    from sqlalchemy import insert

    from coopcrm.auth.models import User
    from coopcrm.extensions import db
    from coopcrm.members.models import College, Entity, Member, MemberEntity, Residence
    from coopcrm.members.text import search_text

    mfla = Entity(code="MFLA", name="Maisons Familiales", share_unit_amount=Decimal("16.00"))
    ght = Entity(code="GHT", name="Groupe Habitat Toit", share_unit_amount=Decimal("16.00"))
    colleges = [College(code=c, name=c.capitalize(), position=i)
                for i, c in enumerate(["locataires", "accedants", "salaries", "administrateurs"])]
    residences = [Residence(entity=mfla if i < 5 else ght, name=f"Résidence {n}",
                            commune=CITIES[i % 5][1], dwellings=18 + i * 7,
                            delivery_date=date(2005 + i, 11, 1))
                  for i, n in enumerate(["Les Annonciades", "Le Clos Fleuri", "Les Tilleuls",
                                         "Bellevue", "Les Hauts de Loire", "Le Verger",
                                         "La Source", "Les Capucines", "Le Moulin", "Beausoleil"])]
    admin = User(email="admin@bench.example", name="Admin", role="admin", password_hash="x")
    referent = User(email="ght@bench.example", name="Référent GHT", role="referent",
                    password_hash="x", entities=[ght])
    db.session.add_all([mfla, ght, *colleges, *residences, admin, referent])
    db.session.commit()

    rng = random.Random(2026)
    now = time.time()
    from coopcrm import clock

    created = clock.now()
    members, links = [], []
    for i in range(1, MEMBERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        residence = rng.choice(residences)
        track = "locatif" if rng.random() < 0.55 else "accession"
        moved_in = TODAY - timedelta(days=rng.randrange(30 * 365)) if rng.random() < 0.85 else None
        signed = (TODAY - timedelta(days=rng.randrange(12 * 365))
                  if track == "accession" and rng.random() < 0.9 else None)
        email = (f"{first}.{last}.{i}@exemple.fr".lower().replace(" ", "")
                 if rng.random() < 0.8 else None)
        entity = residence.entity
        reference = f"{entity.code[0]}{i:06d}"
        members.append({
            "id": i, "civility": rng.choice(["M.", "Mme", ""]), "first_name": first,
            "last_name": last, "email": email, "phone": f"06{rng.randrange(10**8):08d}",
            "address": f"{rng.randrange(1, 150)} rue des Lilas", "postal_code": CITIES[i % 5][0],
            "city": CITIES[i % 5][1], "residence_id": residence.id, "track": track,
            "college_id": colleges[0 if track == "locatif" else 1].id if rng.random() < 0.95
            else colleges[rng.randrange(2, 4)].id,
            "status": "cooperateur" if rng.random() < 0.8 else "prospect",
            "share_count": 1, "share_amount": Decimal("16.00"),
            "reservation_signed_on": signed, "moved_in_on": moved_in,
            "newsletter_consent": rng.random() < 0.6, "econvocation_consent": rng.random() < 0.3,
            "newsletter_consent_source": "", "econvocation_consent_source": "",
            "email_status": "valid" if rng.random() < 0.95 else "bounced",
            "search_text": search_text(last, first, email, [reference]),
            "created_dt": created, "updated_dt": created,
        })
        links.append({"member_id": i, "entity_id": entity.id, "reference": reference})
        if rng.random() < 0.03:  # a few people belong to both entities
            other = ght if entity is mfla else mfla
            links.append({"member_id": i, "entity_id": other.id, "reference": f"X{i:06d}"})
    with db.engine.begin() as conn:
        for start in range(0, len(members), 10_000):
            conn.execute(insert(Member.__table__), members[start:start + 10_000])
        for start in range(0, len(links), 10_000):
            conn.execute(insert(MemberEntity.__table__), links[start:start + 10_000])
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return {"admin": admin.id, "referent": referent.id, "residence": residences[7].id,
            "populate_s": round(time.time() - now, 1)}


def _timed(fn) -> dict:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(statistics.quantiles(times, n=20)[18], 1)}


def _measure(ids: dict) -> dict:
    from coopcrm.auth.models import User
    from coopcrm.extensions import db
    from coopcrm.members.query import MemberFilter, members_query
    from coopcrm.pagination import paginate

    out = {}
    queries = {
        "search_name": {"q": "lefevre"},
        "search_two_words": {"q": "roux camille"},
        "three_filters": {"track": "locatif", "residence": str(ids["residence"]),
                          "tenure_min": "10"},
    }
    for who in ("admin", "referent"):
        user = db.session.get(User, ids[who])
        for name, args in queries.items():
            f, errors = MemberFilter.parse(args)
            assert not errors, errors

            def once(f=f, user=user):
                page = paginate(db.session, members_query(user, f, TODAY), 1, 50)
                for m in page.items:  # what the list template touches
                    _ = (m.references, m.residence and m.residence.name)
                db.session.expunge_all()
                return page

            total = once().total
            out[f"{who}.{name}"] = {"matches": total, **_timed(once)}
    return out


def run() -> dict:
    base_url = os.environ.get("COOPCRM_BENCH_DATABASE_URL")
    from coopcrm import create_app
    from coopcrm.extensions import db

    with tempfile.TemporaryDirectory() as tmp_name, \
            fresh_database(base_url, Path(tmp_name), "list") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            ids = _populate()
            results = _measure(ids)
            db.session.remove()
            db.engine.dispose()
    worst = max(r["p95_ms"] for r in results.values())
    return {
        "database": "postgresql" if base_url else "sqlite",
        "members": MEMBERS,
        "populate_s": ids["populate_s"],
        "runs": RUNS,
        **{k: f"{v['matches']} résultats, médiane {v['median_ms']} ms, p95 {v['p95_ms']} ms"
           for k, v in results.items()},
        "worst_p95_ms": worst,
        "target_p95_ms": TARGET_MS,
        "target_met": worst < TARGET_MS,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
