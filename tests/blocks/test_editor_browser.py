"""A referent writes a newsletter edition in the block editor, in Debian's chromium."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from coopcrm import clock
from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from tests import factories
from tests.blocks import _images
from tests.factories import cycle as cf
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("COOPCRM_H5_SHOTS")  # a folder: save screenshots while developing


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def _sign_in(page, live_server, user):
    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Lettres").first.wait_for()


def _block(page, n: int):
    return page.locator("section.block").filter(
        has=page.get_by_role("heading", name=f"Bloc {n} ·", exact=False)).first


def test_write_an_edition_with_blocks_save_and_preview(page, live_server, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    clock.set_now(datetime(2027, 1, 2, 10, tzinfo=UTC))
    edition = cf.edition(cf.issue(number=1), 2027,
                         content={"title": "La lettre de janvier", "body": {"blocks": []}})
    referent = factories.user(name="Claire Référente", all_entities=True)
    photo = tmp_path / "jardin.jpg"
    photo.write_bytes(_images.jpeg(2000, 1000))
    _sign_in(page, live_server, referent)
    page.goto(f"{live_server}/lettres-d-information/editions/{edition.id}/modifier")

    adder = page.get_by_role("group", name="Ajouter un bloc")
    adder.get_by_role("button", name="Ajouter un bloc : Titre").click()
    heading = _block(page, 1)
    heading_text = heading.get_by_role("textbox", name="Texte du titre")
    assert heading_text.evaluate("el => el === document.activeElement")  # focus went there
    heading_text.type("Bonjour ")
    heading.get_by_label("Champ personnalisé :").select_option(label="Prénom")
    heading.get_by_role("button", name="Insérer le champ").click()
    heading_text.press("End")
    heading_text.type(" !")
    page.keyboard.press("Tab")  # Tab leaves the editor (no tab character, no trap)
    assert page.evaluate("document.activeElement.id") == \
        heading.get_by_label("Champ personnalisé :").get_attribute("id")

    adder.get_by_role("button", name="Ajouter un bloc : Paragraphe").click()
    paragraph = _block(page, 2)
    text = paragraph.get_by_role("textbox", name="Texte")
    text.type("Votre résidence : ")
    paragraph.get_by_label("Champ personnalisé :").select_option(label="Résidence")
    paragraph.get_by_role("button", name="Insérer le champ").click()
    text.press("End")
    text.type(". Rendez-vous à l'assemblée générale.")
    page.keyboard.press("ArrowLeft")  # before the full stop, then select "assemblée générale"
    for _ in range(len("assemblée générale")):
        page.keyboard.press("Shift+ArrowLeft")
    paragraph.get_by_role("button", name="Gras").click()
    paragraph.get_by_role("button", name="Lien (sélectionnez le texte, puis Ctrl+K)").click()
    link = paragraph.get_by_label("Adresse du lien (https://… ou une adresse email)")
    link.fill("coop.example/ag")  # completed to https://
    link.press("Enter")

    adder.get_by_role("button", name="Ajouter un bloc : Image").click()
    image = _block(page, 3)
    image.get_by_label("Fichier de l'image").set_input_files(str(photo))
    image.get_by_role("status").filter(has_text="Image enregistrée (1200 × 600 pixels).").wait_for()
    image.get_by_label("Description de l'image").fill("Le jardin partagé au printemps")

    adder.get_by_role("button", name="Ajouter un bloc : Bouton").click()
    button = _block(page, 4)
    button.get_by_label("Texte du bouton").fill("Je m'inscris")
    button.get_by_label("Adresse du bouton").fill("https://coop.example/inscription")

    # Keyboard only: the button goes up above the image, Enter on "Monter".
    button.get_by_role("button", name="Monter : Bloc 4 (Bouton)").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Monter : Bloc 3 (Bouton)"
    page.get_by_role("status").filter(has_text="Bouton déplacé en position 3.").wait_for()

    _shot(page, "blocks-editor")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").filter(has_text="Édition enregistrée").wait_for()
    assert errors == []

    db.session.expire_all()
    saved = db.session.get(Edition, edition.id)
    assert [b["type"] for b in saved.body["blocks"]] == ["heading", "paragraph", "button", "image"]
    assert saved.body["blocks"][0]["text"] == \
        'Bonjour <span data-placeholder="prenom"></span> !'
    assert saved.body["blocks"][1]["html"] == (
        '<p>Votre résidence : <span data-placeholder="residence"></span>. Rendez-vous à '
        "l&#x27;<a href=\"https://coop.example/ag\"><strong>assemblée générale</strong></a>.</p>")
    assert saved.body["blocks"][3]["alt"] == "Le jardin partagé au printemps"

    frame = page.frame_locator("iframe.mail-frame")
    body = frame.locator("body")
    body.get_by_text("Bonjour Camille !").wait_for()  # the sample member of the preview
    assert "Votre résidence : Les Annonciades." in body.inner_text()
    assert frame.get_by_role("link", name="assemblée générale").get_attribute("href") == \
        "https://coop.example/ag"
    assert frame.get_by_role("link", name="Je m'inscris").get_attribute("href") == \
        "https://coop.example/inscription"
    src = frame.get_by_role("img", name="Le jardin partagé au printemps").get_attribute("src")
    assert src.startswith("http://127.0.0.1/medias/") and src.endswith("-1200x600.jpg")
    _shot(page, "blocks-preview")

    # Back in the editor: the document comes back as it was written.
    page.goto(f"{live_server}/lettres-d-information/editions/{edition.id}/modifier")
    assert _block(page, 1).locator(".ql-placeholder > span").inner_text() == "Prénom"
    assert _block(page, 4).locator("img.block-image-preview").get_attribute("src") == \
        f"/medias/{saved.body['blocks'][3]['image']}"
    assert errors == []


def test_refused_blocks_show_their_message_in_place(page, live_server):
    clock.set_now(datetime(2027, 1, 2, 10, tzinfo=UTC))
    edition = cf.edition(cf.issue(number=1), 2027, content={"body": {"blocks": []}})
    _sign_in(page, live_server, factories.user(all_entities=True))
    page.goto(f"{live_server}/lettres-d-information/editions/{edition.id}/modifier")
    page.get_by_role("button", name="Ajouter un bloc : Bouton").click()
    _block(page, 1).get_by_label("Texte du bouton").fill("Voir")
    _block(page, 1).get_by_label("Adresse du bouton").fill("javascript:alert(1)")
    page.get_by_role("button", name="Enregistrer").click()
    message = ("Bloc 1 (bouton) : l'adresse du bouton doit commencer par https://, http:// "
               "ou mailto:.")
    _block(page, 1).get_by_role("alert").filter(has_text=message).wait_for()
    assert _block(page, 1).get_by_label("Adresse du bouton").input_value() == "javascript:alert(1)"


def test_columns_divider_contact_and_removing_a_block(page, live_server, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    clock.set_now(datetime(2027, 1, 2, 10, tzinfo=UTC))
    entity = factories.entity(name="Habitat Coop")
    # The referent's own entity's edition: a one-entity referent may not change the group's.
    edition = cf.edition(cf.issue(number=1), 2027, content={"body": {"blocks": []}},
                         entity_id=entity.id)
    referent = factories.user(name="Claire Référente", email="claire@coop.example",
                              entities=[entity])
    photo = tmp_path / "plan.png"
    photo.write_bytes(_images.png(400, 300))
    _sign_in(page, live_server, referent)
    page.goto(f"{live_server}/lettres-d-information/editions/{edition.id}/modifier")
    page.get_by_role("button", name="Ajouter un bloc : Deux colonnes").click()
    columns = _block(page, 1)
    columns.get_by_role("button", name="Ajouter à la colonne de gauche : Paragraphe").click()
    columns.get_by_role("textbox", name="Texte").type("Le chantier avance.")
    columns.get_by_role("button", name="Ajouter à la colonne de droite : Image").click()
    columns.get_by_label("Fichier de l'image").set_input_files(str(photo))
    columns.get_by_role("status").filter(has_text="Image enregistrée").wait_for()
    columns.get_by_label("Description de l'image").fill("Le plan du rez-de-chaussée")
    page.get_by_role("button", name="Ajouter un bloc : Séparateur").click()
    page.get_by_role("button", name="Ajouter un bloc : Titre").click()
    page.get_by_role("button", name="Retirer : Bloc 3 (Titre)").click()  # empty: no question
    page.get_by_role("status").filter(has_text="Titre retiré.").wait_for()
    page.get_by_role("button", name="Ajouter un bloc : Coordonnées").click()
    contact = _block(page, 3)
    contact.get_by_role("button", name="Remplir avec mes coordonnées").click()
    assert contact.get_by_label("Nom").input_value() == "Claire Référente"
    contact.get_by_label("Téléphone").fill("04 72 00 00 00")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("status").filter(has_text="Édition enregistrée").wait_for()
    assert errors == []

    db.session.expire_all()
    blocks = db.session.get(Edition, edition.id).body["blocks"]
    assert [b["type"] for b in blocks] == ["columns", "divider", "contact"]
    left, right = blocks[0]["columns"]
    assert left == [{"type": "paragraph", "html": "<p>Le chantier avance.</p>"}]
    assert right[0]["alt"] == "Le plan du rez-de-chaussée"
    assert blocks[2] == {"type": "contact", "name": "Claire Référente", "role": "Habitat Coop",
                         "email": "claire@coop.example", "phone": "04 72 00 00 00",
                         "address": ""}
    frame = page.frame_locator("iframe.mail-frame")
    frame.get_by_text("Le chantier avance.").wait_for()
    assert frame.get_by_role("link", name="claire@coop.example").get_attribute("href") == \
        "mailto:claire@coop.example"
