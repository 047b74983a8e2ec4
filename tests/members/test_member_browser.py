"""A referent creates a member, records a share and a consent, saves a segment: in Chromium."""

from __future__ import annotations

from datetime import datetime

import pytest

from coopcrm import clock
from tests import factories
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_new_member_share_consent_and_segment(page, live_server):
    clock.set_now(datetime(2026, 3, 10, 9, 0))
    referent = factories.user(name="Claire Referent", all_entities=True)
    entity = factories.entity("MFLA", name="Maisons Familiales")
    factories.residence(entity, name="Les Annonciades")

    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.goto(live_server + "/membres")
    page.get_by_role("link", name="Nouveau coopérateur").click()
    page.get_by_label("Nom", exact=True).fill("Moreau")
    page.get_by_label("Prénom").fill("Anne")
    page.get_by_label("Email", exact=True).fill("anne.moreau@exemple.fr")
    page.get_by_label("Parcours").select_option(label="Locatif")
    page.get_by_label("Résidence").select_option(label="Les Annonciades (MFLA)")
    page.get_by_label("Date d'entrée dans les lieux").fill("2010-09-01")
    page.get_by_label("MFLA — Maisons Familiales").check()
    page.get_by_label("Référence MFLA").fill("L-7")
    page.get_by_role("button", name="Enregistrer").click()

    page.get_by_role("heading", name="Anne Moreau").wait_for()
    assert "Fiche enregistrée." in page.get_by_role("status").first.inner_text()

    page.get_by_text("Ajouter un mouvement de parts").click()
    page.get_by_label("Nombre de parts").fill("1")
    page.locator("#parts").get_by_label("Date").fill("2026-03-09")
    page.get_by_role("button", name="Enregistrer le mouvement").click()
    page.get_by_role("status").filter(has_text="Mouvement enregistré").wait_for()
    register = page.locator("table.register").inner_text()
    assert "09/03/2026" in register and "Claire Referent" in register and "16,00 €" in register

    row = page.locator("#consentements tr", has_text="Lettre d'information")
    row.get_by_text("Modifier").click()
    row.get_by_label("Accepte").check()
    row.get_by_label("Origine").fill("Bulletin papier signé")
    row.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").filter(has_text="consentement enregistré").wait_for()
    assert "Bulletin papier signé" in page.locator("#consentements").inner_text()
    assert "Accord" in page.locator("#historique").inner_text()

    page.goto(live_server + "/membres?track=locatif")
    page.get_by_role("link", name="Enregistrer comme segment").click()
    page.get_by_label("Nom du segment").fill("Locataires")
    page.get_by_role("button", name="Enregistrer le segment").click()
    page.get_by_role("status").filter(has_text="Segment « Locataires » enregistré.").wait_for()
    assert "Parcours : Locatif" in page.locator("table").inner_text()
