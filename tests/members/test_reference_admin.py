from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.members.models import College, Entity, Residence
from tests import factories
from tests.helpers import PASSWORD, csrf_token, login, post


def test_entity_create_edit_and_unique_code(as_admin):
    r = post(as_admin, "/admin/entites/nouvelle",
             {"code": "mfla", "name": "Maisons Familiales", "share_unit_amount": "16,00"})
    assert r.status_code == 302
    e = db.session.scalar(select(Entity))
    assert (e.code, e.share_unit_amount) == ("MFLA", Decimal("16.00"))
    dup = post(as_admin, "/admin/entites/nouvelle",
               {"code": "MFLA", "name": "Autre", "share_unit_amount": "abc"})
    assert dup.status_code == 422
    html = dup.get_data(as_text=True)
    assert "n&#39;est pas un montant" in html
    dup = post(as_admin, "/admin/entites/nouvelle",
               {"code": "MFLA", "name": "Autre", "share_unit_amount": "20"})
    assert "Une entité porte déjà ce code." in dup.get_data(as_text=True)
    assert post(as_admin, f"/admin/entites/{e.id}",
                {"code": "MFLA", "name": "MFLA Habitat", "share_unit_amount": "20"}
                ).status_code == 302
    db.session.refresh(e)
    assert (e.name, e.share_unit_amount) == ("MFLA Habitat", Decimal("20.00"))
    assert "MFLA Habitat" in as_admin.get("/admin/referentiel").get_data(as_text=True)


def test_residence_create_edit(as_admin):
    e = factories.entity("GHT")
    r = post(as_admin, "/admin/residences/nouvelle",
             {"entity_id": str(e.id), "name": "Les Annonciades", "commune": "Nantes",
              "dwellings": "18", "delivery_date": "15/11/2021"})
    assert r.status_code == 302
    res = db.session.scalar(select(Residence))
    assert (res.name, res.dwellings, res.delivery_date) == (
        "Les Annonciades", 18, date(2021, 11, 15))
    bad = post(as_admin, "/admin/residences/nouvelle",
               {"entity_id": str(e.id), "name": "les annonciades", "dwellings": "dix",
                "delivery_date": "32/13/2021"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Indiquez un nombre entier." in html and "n&#39;est pas une date valide" in html
    bad = post(as_admin, "/admin/residences/nouvelle",
               {"entity_id": str(e.id), "name": "les annonciades"})
    assert "Cette entité a déjà une résidence de ce nom." in bad.get_data(as_text=True)
    assert post(as_admin, f"/admin/residences/{res.id}",
                {"entity_id": str(e.id), "name": "Les Annonciades", "commune": "Rezé",
                 "dwellings": "20", "delivery_date": ""}).status_code == 302
    db.session.refresh(res)
    assert (res.commune, res.dwellings, res.delivery_date) == ("Rezé", 20, None)


def test_college_create_edit(as_admin):
    assert post(as_admin, "/admin/colleges/nouveau",
                {"code": "Locataires", "name": "Locataires", "vote_weight": "0,333",
                 "position": "2"}).status_code == 302
    c = db.session.scalar(select(College))
    assert (c.code, c.vote_weight, c.position) == ("locataires", Decimal("0.333"), 2)
    dup = post(as_admin, "/admin/colleges/nouveau",
               {"code": "locataires", "name": "X", "vote_weight": "1"})
    assert "Un collège porte déjà ce code." in dup.get_data(as_text=True)
    assert post(as_admin, f"/admin/colleges/{c.id}",
                {"code": "locataires", "name": "Locataires HLM", "vote_weight": "1",
                 "position": "1"}).status_code == 302
    assert as_admin.get("/admin/colleges/999").status_code == 404


@pytest.mark.parametrize("role", ["referent", "lecteur"])
def test_reference_pages_are_for_admins_only(client, role):
    e = factories.entity()
    login(client, factories.user(role=role, password=PASSWORD, all_entities=True))
    assert client.get("/admin/referentiel").status_code == 403
    token = csrf_token(client, "/membres")
    for url in ("/admin/entites/nouvelle", f"/admin/entites/{e.id}", "/admin/residences/nouvelle",
                "/admin/colleges/nouveau"):
        data = {"csrf_token": token, "code": "X", "name": "X"}
        assert client.post(url, data=data).status_code == 403
    assert "Référentiel" not in client.get("/membres").get_data(as_text=True)
