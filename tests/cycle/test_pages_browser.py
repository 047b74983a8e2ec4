"""A referent reviews the coming newsletter from the dashboard alert, edits and approves it."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from coopcrm import clock
from coopcrm.cycle import seed
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("COOPCRM_H5_SHOTS")  # a folder: save screenshots while developing


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def test_alert_edit_preview_approve(page, live_server):
    clock.set_now(datetime(2027, 6, 5, 8, 0, tzinfo=UTC))
    seed.load_issues()
    db.session.commit()
    for _ in range(3):
        factories.member(status="cooperateur", newsletter_consent=True,
                         reservation_signed_on=datetime(2027, 1, 2).date())
    referent = factories.user(name="Claire Referent", all_entities=True)

    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    alert = page.get_by_role("alert").filter(has_text="La lettre N°2 part le 15/06 à 09:00")
    alert.wait_for()
    _shot(page, "dashboard")
    alert.get_by_role("link", name="relisez-la et approuvez-la").click()
    page.get_by_role("heading", name="Lettre N°2 · 2027").wait_for()
    frame = page.frame_locator("iframe.mail-frame")
    assert "L'AG de la COOP" in frame.locator("body").inner_text()
    _shot(page, "preview")

    page.get_by_role("link", name="Modifier").first.click()
    page.get_by_label("Titre", exact=True).fill("L'AG 2027 : le 17 juin, on vous attend")
    # The standing content opens in the block editor; a button block goes at the end.
    page.get_by_role("button", name="Ajouter un bloc : Bouton").click()
    button = page.locator("section.block-button").last
    button.get_by_label("Texte du bouton").fill("Répondre à l'invitation")
    button.get_by_label("Adresse du bouton").fill("https://coop.example/ag")
    _shot(page, "edit")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").filter(has_text="Édition enregistrée").wait_for()
    assert "L'AG 2027 : le 17 juin" in frame.locator("body").inner_text()
    assert "Répondre à l'invitation" in frame.locator("body").inner_text()

    page.get_by_role("button", name="Approuver cette édition").click()
    page.get_by_role("status").filter(has_text="Édition approuvée").wait_for()
    page.goto(live_server + "/lettres-d-information")
    _shot(page, "index")
    row = page.get_by_role("row").filter(has_text="N°2")
    assert "Approuvée" in row.inner_text() and "3" in row.inner_text()
    page.goto(live_server + "/tableau-de-bord")
    assert page.get_by_role("alert").filter(has_text="La lettre N°2").count() == 0
