from datetime import date

import pytest
from sqlalchemy import select

from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services
from coopcrm.segments.models import Segment
from tests import factories
from tests.helpers import PASSWORD, csrf_token, login, post


def test_member_ids_follow_the_filter_and_the_users_scope():
    mine, other = factories.entity(), factories.entity()
    a = factories.member(mine, track="locatif")
    factories.member(mine, track="accession")
    b = factories.member(other, track="locatif")
    admin = factories.user(role="admin")
    scoped = factories.user(entities=[mine])
    f, _ = MemberFilter.parse({"track": "locatif"})
    segment = services.create("Locataires", f, admin)
    db.session.commit()
    assert set(db.session.scalars(services.member_ids(segment, admin))) == {a.id, b.id}
    assert set(db.session.scalars(services.member_ids(segment, scoped))) == {a.id}
    assert services.count(segment, scoped) == 1


def test_names_are_unique_whatever_the_case(admin):
    services.create("Locataires", MemberFilter(), admin)
    db.session.commit()
    with pytest.raises(ValidationFailed) as raised:
        services.create(" locataires ", MemberFilter(), admin)
    assert raised.value.errors == {"name": "Un segment porte déjà ce nom."}


def test_save_open_rename_delete_through_the_pages(logged_in):
    e = factories.entity()
    r = factories.residence(e, name="Les Annonciades")
    factories.member(e, track="locatif", residence_id=r.id, moved_in_on=date(2000, 1, 1))
    factories.member(e, track="accession")
    query = f"track=locatif&residence={r.id}&tenure_min=15"
    listing = logged_in.get(f"/membres?{query}").get_data(as_text=True)
    assert "Enregistrer comme segment" in listing
    url = f"/segments/nouveau?{query}"
    page = logged_in.get(url).get_data(as_text=True)
    assert "Résidence : Les Annonciades" in page and "1 coopérateur(s)" in page
    assert post(logged_in, url, {"name": "Anciens locataires"}).status_code == 302
    segment = db.session.scalar(select(Segment))
    assert segment.filters == {"track": "locatif", "residence": str(r.id), "tenure_min": "15"}

    duplicate = post(logged_in, url, {"name": "anciens locataires"})
    assert duplicate.status_code == 422
    assert "Un segment porte déjà ce nom." in duplicate.get_data(as_text=True)

    index = logged_in.get("/segments").get_data(as_text=True)
    assert "Anciens locataires" in index and "<td>1</td>" in index

    opened = logged_in.get(f"/segments/{segment.id}")
    assert opened.status_code == 302 and "track=locatif" in opened.location

    assert post(logged_in, f"/segments/{segment.id}/renommer",
                {"name": "Locataires 15 ans et plus"}).status_code == 302
    db.session.refresh(segment)
    assert segment.name == "Locataires 15 ans et plus"

    confirm = logged_in.get(f"/segments/{segment.id}/supprimer").get_data(as_text=True)
    assert "Supprimer le segment « Locataires 15 ans et plus » ?" in confirm
    assert db.session.get(Segment, segment.id) is not None  # the GET only asks
    assert post(logged_in, f"/segments/{segment.id}/supprimer").status_code == 302
    db.session.expire_all()
    assert db.session.get(Segment, segment.id) is None


def test_lecteur_can_list_but_not_write(client):
    s = services.create("Tous", MemberFilter(), None)
    db.session.commit()
    login(client, factories.user(role="lecteur", password=PASSWORD))
    assert "Tous" in client.get("/segments").get_data(as_text=True)
    token = csrf_token(client, "/segments")
    for url in ("/segments/nouveau", f"/segments/{s.id}/renommer", f"/segments/{s.id}/supprimer"):
        assert client.post(url, data={"csrf_token": token, "name": "x"}).status_code == 403
    assert "Enregistrer comme segment" not in client.get("/membres").get_data(as_text=True)
