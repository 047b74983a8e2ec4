from datetime import date

from coopcrm.extensions import db
from coopcrm.members.query import MemberFilter, members_query
from coopcrm.privacy.models import AuditEntry
from tests import factories
from tests.helpers import login


def test_referent_sees_only_members_of_their_entities(client):
    mine, other = factories.entity("MFLA"), factories.entity("GHT")
    factories.member(mine, "A1", last_name="Martin")
    factories.member(other, "B1", last_name="Bernard")
    referent = factories.user(entities=[mine])
    login(client, referent)
    page = client.get("/membres").get_data(as_text=True)
    assert "Martin" in page and "Bernard" not in page
    hidden = db.session.scalar(db.select(db.text("id")).select_from(db.text("members"))
                               .where(db.text("last_name = 'Bernard'")))
    assert client.get(f"/membres/{hidden}").status_code == 404


def test_search_ignores_case_and_accents(logged_in):
    e = factories.entity()
    factories.member(e, "R-77", last_name="Lévêque", first_name="Élodie")
    factories.member(e, "R-78", last_name="Durand")
    assert "Lévêque" in logged_in.get("/membres?q=LEVEQUE").get_data(as_text=True)
    assert "Lévêque" in logged_in.get("/membres?q=r-77").get_data(as_text=True)
    assert "Durand" not in logged_in.get("/membres?q=elodie").get_data(as_text=True)


def test_tenure_and_signature_filters(admin):
    e = factories.entity()
    old = factories.member(e, track="locatif", moved_in_on=date(2005, 1, 1))
    mid = factories.member(e, track="locatif", moved_in_on=date(2013, 6, 1))
    factories.member(e, track="accession", reservation_signed_on=date(2026, 2, 1))
    f, errors = MemberFilter.parse({"track": "locatif", "tenure_min": "15"})
    assert not errors
    ids = set(db.session.scalars(members_query(admin, f, date(2026, 11, 23))).all())
    assert ids == {old}
    f, _ = MemberFilter.parse({"tenure_min": "10", "tenure_max": "14"})
    assert set(db.session.scalars(members_query(admin, f, date(2026, 11, 23)))) == {mid}


def test_bad_filter_values_give_french_errors_not_a_crash(logged_in):
    response = logged_in.get("/membres?tenure_min=abc&signed_from=2026-13-45&track=x")
    assert response.status_code == 400  # the list, with what is wrong (issue 12, finding 9)
    assert "Valeur invalide" in response.get_data(as_text=True)


def test_pagination(logged_in):
    e = factories.entity()
    for i in range(55):
        factories.member(e, f"P{i}", last_name=f"Zed{i:02d}", commit=False)
    db.session.commit()
    first = logged_in.get("/membres").get_data(as_text=True)
    assert "Page 1 sur 2" in first
    second = logged_in.get("/membres?page=2").get_data(as_text=True)
    assert "Zed54" in second and "Zed00" not in second


def test_changes_to_a_member_are_audited(referent):
    from coopcrm.privacy.audit import acting_as

    m = factories.member(factories.entity(), "X1", city="Lyon")
    with acting_as(referent):
        m.city = "Villeurbanne"
        db.session.commit()
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.member_id == m.id)
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries][-1] == "update"
    assert entries[-1].changes == {"city": ["Lyon", "Villeurbanne"]}
    assert entries[-1].user_id == referent.id
