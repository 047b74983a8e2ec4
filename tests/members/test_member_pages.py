import re
from datetime import date

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members import shares
from coopcrm.members.models import Member, ShareMovement
from coopcrm.privacy.models import ConsentRecord
from tests import factories
from tests.helpers import PASSWORD, login, post


def _form(entity, **kw):
    data = {"civility": "Mme", "first_name": "Élodie", "last_name": "Lévêque",
            "email": "elodie@exemple.fr", "phone": "06 12 34 56 78", "address": "3 rue des Lilas",
            "postal_code": "44000", "city": "Nantes", "track": "locatif", "email_status": "valid",
            "residence_id": "", "college_id": "", "reservation_signed_on": "",
            "moved_in_on": "01/09/2011",
            f"entity_{entity.id}": "1", f"reference_{entity.id}": "L-42"}
    data.update(kw)
    return data


def _count(model=Member):
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_member_through_the_form(logged_in):
    e = factories.entity("MFLA")
    r = factories.residence(e, name="Les Annonciades")
    c = factories.college("locataires", name="Locataires")
    response = post(logged_in, "/membres/nouveau",
                    _form(e, residence_id=str(r.id), college_id=str(c.id),
                          reservation_signed_on="2026-02-03"))
    assert response.status_code == 302
    m = db.session.scalar(select(Member))
    assert (m.last_name, m.moved_in_on, m.reservation_signed_on, m.residence_id, m.college_id) == (
        "Lévêque", date(2011, 9, 1), date(2026, 2, 3), r.id, c.id)
    page = logged_in.get(response.location).get_data(as_text=True)
    assert "Fiche enregistrée" in page and "L-42" in page and "Les Annonciades" in page


def test_bad_input_shows_every_french_error_and_saves_nothing(logged_in):
    e = factories.entity("MFLA")
    factories.member(e, "L-42")
    before = _count()
    response = post(logged_in, "/membres/nouveau",
                    _form(e, last_name="", email="pas@@email", college_id="999",
                          moved_in_on="31/02/2020", reservation_signed_on="demain"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Le nom est obligatoire.", "n&#39;est pas une adresse email valide",
                    "Collège inconnu.", "« 31/02/2020 » n&#39;est pas une date valide",
                    "« demain » n&#39;est pas une date valide",
                    "Référence déjà utilisée dans cette entité"):
        assert message in html, message
    assert 'value="pas@@email"' in html  # what was typed comes back
    assert _count() == before


def test_entity_is_required(logged_in):
    e = factories.entity()
    data = _form(e)
    del data[f"entity_{e.id}"]
    response = post(logged_in, "/membres/nouveau", data)
    assert response.status_code == 422
    assert "Choisissez au moins une entité." in response.get_data(as_text=True)


def test_edit_shows_audit_old_new_on_the_page(logged_in, referent):
    e = factories.entity()
    m = factories.member(e, "A1", city="Lyon", last_name="Martin")
    data = _form(e, last_name="Martin", city="Villeurbanne")
    data[f"reference_{e.id}"] = "A1"
    response = post(logged_in, f"/membres/{m.id}/modifier", data)
    assert response.status_code == 302
    html = logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "Historique des modifications" in html
    assert re.search(r"<strong>Ville</strong> : Lyon → Villeurbanne", html)
    assert "Entrée dans les lieux</strong> : — → 01/09/2011" in html
    assert referent.name in html


def test_audit_page_lists_everything_with_pagination(logged_in):
    m = factories.member(factories.entity())
    for i in range(25):
        m.city = f"Ville {i}"
        db.session.commit()
    html = logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "Voir tout l'historique (27 entrées)" in html  # creation, entity link, 25 changes
    full = logged_in.get(f"/membres/{m.id}/historique").get_data(as_text=True)
    assert "Ville 0" in full and "Ville 24" in full


def test_share_movements_and_refused_reimbursement(logged_in, referent):
    e = factories.entity()
    m = factories.member(e)
    url = f"/membres/{m.id}/parts"
    ok = post(logged_in, url, {"kind": "subscription", "quantity": "2", "unit_amount": "16,00",
                               "occurred_on": "15/01/2024", "note": ""},
              token_from=f"/membres/{m.id}")
    assert ok.status_code == 302
    refused = post(logged_in, url, {"kind": "reimbursement", "quantity": "3", "unit_amount": "",
                                    "occurred_on": "2024-06-01"}, token_from=f"/membres/{m.id}")
    assert refused.status_code == 422
    assert "le coopérateur n&#39;en détient que 2" in refused.get_data(as_text=True)
    assert _count(ShareMovement) == 1
    html = logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "15/01/2024" in html and "Souscription" in html and "32,00 €" in html
    assert referent.name in html


def test_consent_change_writes_a_consent_record(logged_in, referent):
    m = factories.member(factories.entity())
    clock.set_now(clock.parse_iso("2026-03-02T10:00"))
    response = post(logged_in, f"/membres/{m.id}/consentements/newsletter",
                    {"newsletter-granted": "oui", "newsletter-source": "bulletin papier signé",
                     "newsletter-wording": "J'accepte de recevoir la lettre."},
                    token_from=f"/membres/{m.id}")
    assert response.status_code == 302
    record = db.session.scalar(select(ConsentRecord))
    assert (record.kind, record.granted, record.source, record.user_id) == (
        "newsletter", True, "bulletin papier signé", referent.id)
    html = logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "02/03/2026 10:00" in html and "bulletin papier signé" in html
    missing = post(logged_in, f"/membres/{m.id}/consentements/econvocation",
                   {"econvocation-granted": "oui", "econvocation-source": ""},
                   token_from=f"/membres/{m.id}")
    assert missing.status_code == 422 and "Indiquez l&#39;origine" in missing.get_data(as_text=True)
    assert _count(ConsentRecord) == 1
    unknown = post(logged_in, f"/membres/{m.id}/consentements/sms", {"sms-granted": "oui"},
                   token_from=f"/membres/{m.id}")
    assert unknown.status_code == 404


@pytest.mark.parametrize("path,data", [
    ("/membres/nouveau", {}),
    ("/membres/{id}/modifier", {}),
    ("/membres/{id}/parts", {"kind": "subscription", "quantity": "1", "occurred_on": "2024-01-01"}),
    ("/membres/{id}/consentements/newsletter",
     {"newsletter-granted": "oui", "newsletter-source": "x"}),
])
def test_lecteur_gets_403_on_every_write_route(client, path, data):
    m = factories.member(factories.entity())
    lecteur = factories.user(role="lecteur", password=PASSWORD, all_entities=True)
    login(client, lecteur)
    url = path.format(id=m.id)
    assert post(client, url, data, token_from=f"/membres/{m.id}").status_code == 403
    assert client.get(url).status_code in (403, 405)


def test_lecteur_page_has_no_edit_buttons(client):
    m = factories.member(factories.entity())
    login(client, factories.user(role="lecteur", password=PASSWORD, all_entities=True))
    html = client.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "Modifier la fiche" not in html and "Ajouter un mouvement" not in html
    assert "<form method=\"post\" action=\"/membres" not in html


def test_referent_cannot_see_or_edit_a_member_of_another_entity(client):
    mine, other = factories.entity(), factories.entity()
    hidden = factories.member(other, "H1")
    login(client, factories.user(entities=[mine], password=PASSWORD))
    assert client.get(f"/membres/{hidden.id}").status_code == 404
    assert client.get(f"/membres/{hidden.id}/modifier").status_code == 404
    assert client.get(f"/membres/{hidden.id}/historique").status_code == 404
    token_page = "/membres/nouveau"
    assert post(client, f"/membres/{hidden.id}/modifier", _form(mine),
                token_from=token_page).status_code == 404
    assert post(client, f"/membres/{hidden.id}/parts",
                {"kind": "subscription", "quantity": "1", "occurred_on": "2024-01-01"},
                token_from=token_page).status_code == 404
    assert shares.held(hidden)[0] == 0
