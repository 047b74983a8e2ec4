"""The share register page: every movement, scoped, an erased member still named there."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.privacy import erasure
from tests import factories
from tests.helpers import PASSWORD, login


def _csv(client, query: str = "") -> list[list[str]]:
    body = client.get("/registre-des-parts.csv" + query).get_data(True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def test_register_scoped_and_keeping_an_erased_members_name(app, client, admin):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    kept = factories.member(mine, last_name="Quaxworth", address="3 rue du Port",
                            postal_code="44000", city="Nantes")
    factories.member(mine, last_name="Martin")
    outside = factories.member(other, last_name="Zorglub")
    for m in (kept, outside):
        factories.share(m, quantity=2)
    factories.share(kept, kind="reimbursement")
    erasure.anonymise([kept.id], reason="demande", user=admin)
    db.session.commit()

    referent = factories.user(role="referent", password=PASSWORD, entities=[mine])
    login(client, referent)
    page = client.get("/registre-des-parts").get_data(True)
    assert "Quaxworth" in page and "(anonymisé)" in page and "Zorglub" not in page
    rows = _csv(client)
    assert rows[0][:3] == ["Date", "Nature", "Nom"]
    assert [(r[1], r[2], r[5]) for r in rows[1:]] == [("Souscription", "Quaxworth", "2"),
                                                      ("Remboursement", "Quaxworth", "1")]
    assert rows[1][4] == "3 rue du Port, 44000 Nantes"
    assert client.get(f"/registre-des-parts?entite={other.id}").status_code == 200
    assert "Zorglub" not in client.get(f"/registre-des-parts?entite={other.id}").get_data(True)

    # Past the register's retention, the pseudonym only.
    with clock.frozen(clock.now() + timedelta(days=365 * 11)):
        assert "Quaxworth" not in client.get("/registre-des-parts").get_data(True)
