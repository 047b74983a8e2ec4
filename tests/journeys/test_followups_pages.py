"""The admin page of follow-up rules: admins only, French, create / edit / switch off."""

from datetime import datetime

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.journeys.models import FollowUpRule
from tests.helpers import login, post

URL = "/admin/relances"


pytestmark = pytest.mark.clock(datetime(2026, 3, 10, 9, 0))


def _rule(label):
    db.session.expire_all()
    return db.session.scalar(select(FollowUpRule).where(FollowUpRule.label == label))


def test_only_admins_see_the_rules(client, referent, rules):
    login(client, referent)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/nouvelle").status_code == 403
    assert client.post(f"{URL}/{rules['welcome_booklet'].id}/activation").status_code in (
        400, 403)
    assert db.session.get(FollowUpRule, rules["welcome_booklet"].id).active


def test_list_shows_the_seeded_rules(client, admin, rules):
    login(client, admin)
    html = client.get(URL).get_data(as_text=True)
    assert "Relances automatiques" in html
    assert "Email de bienvenue avec le livret d&#39;accueil" in html
    assert "« Arrivée dans les lieux » réalisé, 42 jour(s) après" in html
    assert "aucun sondage choisi" in html and "Désactivée" in html


def test_create_edit_and_switch_off_a_rule(client, admin, types):
    login(client, admin)
    form = {"label": "Merci pour la visite", "trigger_type_id": types["visite_courtoisie"].id,
            "delay_days": "2", "action": "email", "template": "welcome",
            "link_url": "https://coop.example/merci", "track": "locatif",
            "max_late_days": "30", "active": "y"}
    response = post(client, f"{URL}/nouvelle", form, follow_redirects=True)
    assert "Règle « Merci pour la visite » enregistrée." in response.get_data(as_text=True)
    rule = _rule("Merci pour la visite")
    assert (rule.delay_days, rule.template, rule.track, rule.active) == (2, "welcome",
                                                                         "locatif", True)
    edit_url = f"{URL}/{rule.id}/modifier"
    html = client.get(edit_url).get_data(as_text=True)
    assert 'value="https://coop.example/merci"' in html
    post(client, edit_url, {**form, "delay_days": "5", "max_late_days": ""})
    rule = _rule("Merci pour la visite")
    assert (rule.delay_days, rule.max_late_days) == (5, None)

    response = post(client, f"{URL}/{rule.id}/activation", {"active": "0"}, token_from=URL,
                    follow_redirects=True)
    assert "est désactivée ; 0 relance(s) en attente annulée(s)" in response.get_data(
        as_text=True)
    assert not _rule("Merci pour la visite").active


def test_bad_rule_is_refused_in_french(client, admin, types):
    login(client, admin)
    response = post(client, f"{URL}/nouvelle", {
        "label": "", "trigger_type_id": types["arrivee_lieux"].id, "delay_days": "bientôt",
        "action": "email", "template": "survey_invitation"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Donnez un nom à la règle." in html
    assert "Indiquez un délai entre 0 et" in html
    assert "Ce modèle a besoin d&#39;une information" in html
    assert db.session.scalar(select(FollowUpRule)) is None


def test_survey_rule_without_survey_cannot_be_switched_on(client, admin, rules):
    login(client, admin)
    rule_id = rules["courtesy_visit_survey"].id
    response = post(client, f"{URL}/{rule_id}/activation", {"active": "1"}, token_from=URL,
                    follow_redirects=True)
    assert "Choisissez d&#39;abord le sondage" in response.get_data(as_text=True)
    assert not db.session.get(FollowUpRule, rule_id).active
