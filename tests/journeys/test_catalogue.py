from datetime import date, datetime

import pytest

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import catalogue, services
from coopcrm.journeys.models import MomentType
from tests import factories
from tests.helpers import post


def _labels(track):
    return [t.label for t in services.types_for_track(track, include_inactive=True)]


def test_catalogue_page_lists_each_journey(as_admin, types):
    html = as_admin.get("/admin/moments").get_data(as_text=True)
    assert "Parcours accession" in html and "Parcours locatif" in html
    assert html.count("<td>Premier contact <") == 2  # common to both journeys
    assert "Visite de courtoisie" in html


def test_only_admins_manage_the_catalogue(logged_in, types):
    assert logged_in.get("/admin/moments").status_code == 403
    response = post(logged_in, "/admin/moments", {"label": "Pot d'accueil", "track": "both"},
                    token_from="/membres")
    assert response.status_code == 403


def test_add_rename_reorder_and_deactivate(as_admin, types):
    added = post(as_admin, "/admin/moments", {"label": "Réunion d'accueil", "track": "locatif"},
                 follow_redirects=True)
    assert "ajouté en fin de parcours" in added.get_data(as_text=True)
    new = db.session.scalar(db.select(MomentType).where(MomentType.label == "Réunion d'accueil"))
    assert new.code == "reunion_d_accueil"
    assert _labels("locatif")[-3:] == ["Assemblée générale de la coopérative", "Réunion d'accueil",
                                       "Autre échange"]

    duplicate = post(as_admin, "/admin/moments",
                     {"label": "réunion d’ACCUEIL ", "track": "both"})
    assert duplicate.status_code == 422
    assert "existe déjà" in duplicate.get_data(as_text=True)

    post(as_admin, f"/admin/moments/{new.id}/deplacer", {"track": "locatif", "direction": "up"},
         token_from="/admin/moments")
    db.session.expire_all()
    labels = _labels("locatif")
    assert labels.index("Réunion d'accueil") < labels.index("Assemblée générale de la coopérative")

    renamed = post(as_admin, f"/admin/moments/{new.id}/modifier",
                   {"label": "Réunion des nouveaux", "track": "locatif", "position": "5"},
                   follow_redirects=True)
    assert "Réunion des nouveaux" in renamed.get_data(as_text=True)
    db.session.expire_all()
    assert _labels("locatif")[0] == "Réunion des nouveaux"
    assert db.session.get(MomentType, new.id).code == "reunion_d_accueil"  # codes never change

    post(as_admin, f"/admin/moments/{new.id}/activation", {"active": "0"},
         token_from="/admin/moments")
    member = factories.member(track="locatif")
    assert "Réunion des nouveaux" not in [t.label for t in services.timeline(member).expected]
    form = as_admin.get(f"/membres/{member.id}/moments/nouveau").get_data(as_text=True)
    assert ">Réunion des nouveaux</option>" not in form


def test_a_type_in_use_is_never_deleted_nor_re_tracked(as_admin, types, admin):
    clock.set_now(datetime(2026, 3, 10, 9))
    member = factories.member(track="locatif")
    services.record(member, types["visite_courtoisie"], status="done",
                    occurs_on=date(2026, 3, 1), user=admin)
    db.session.commit()
    used = types["visite_courtoisie"]
    page = as_admin.get(f"/admin/moments/{used.id}/supprimer").get_data(as_text=True)
    assert "ne peut pas être supprimé" in page
    response = post(as_admin, f"/admin/moments/{used.id}/supprimer",
                    token_from="/admin/moments", follow_redirects=True)
    assert "désactivez-le plutôt" in response.get_data(as_text=True)
    assert db.session.get(MomentType, used.id) is not None
    with pytest.raises(ValidationFailed) as failed:
        catalogue.update_type(used, used.label, "both", used.position, False)
    assert "parcours ne peut plus changer" in failed.value.errors["track"]

    unused = types["premiere_pierre"]
    confirm = as_admin.get(f"/admin/moments/{unused.id}/supprimer")
    assert "Oui, supprimer" in confirm.get_data(as_text=True)
    post(as_admin, f"/admin/moments/{unused.id}/supprimer", follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(MomentType, unused.id) is None


def test_catalogue_errors_in_french(types):
    with pytest.raises(ValidationFailed) as failed:
        catalogue.add_type("", "martien")
    assert failed.value.errors == {
        "label": "Indiquez le libellé du moment.",
        "track": "Choisissez le parcours : accession, locatif ou les deux."}
    with pytest.raises(ValidationFailed) as failed:
        catalogue.update_type(types["autre"], "Autre échange", "both", -3, True)
    assert "position" in failed.value.errors
