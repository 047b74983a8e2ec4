"""A referent writes, previews, tests and launches a campaign in Debian's chromium.

Block editor (heading, paragraph with a link, an uploaded image, a button), the
preview at a phone's width (390 px: nothing wider than the screen), "m'envoyer un
test" arriving in the aiosmtpd sink, the launch and its 60 seconds of undo (the
clock is the app's input: moved, not waited for), the scheduler's job and the outbox
run as the scheduler would, then the ledger on the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from coopcrm import clock
from coopcrm.campaigns import services
from coopcrm.campaigns.models import Campaign
from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from tests import factories
from tests.blocks import _images
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

NOW = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)  # a Tuesday
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _block(page, n: int):
    return page.locator("section.block").filter(
        has=page.get_by_role("heading", name=f"Bloc {n} ·", exact=False)).first


def _write(page, photo) -> None:
    adder = page.get_by_role("group", name="Ajouter un bloc")
    adder.get_by_role("button", name="Ajouter un bloc : Titre").click()
    heading = _block(page, 1).get_by_role("textbox", name="Texte du titre")
    heading.type("Les fondations sont coulées")

    adder.get_by_role("button", name="Ajouter un bloc : Paragraphe").click()
    text = _block(page, 2).get_by_role("textbox", name="Texte")
    text.type("Le chantier avance : voir les photos")
    for _ in range(len("les photos")):  # select them, then Link
        page.keyboard.press("Shift+ArrowLeft")
    _block(page, 2).get_by_role("button",
                                name="Lien (sélectionnez le texte, puis Ctrl+K)").click()
    link = _block(page, 2).get_by_label("Adresse du lien (https://… ou une adresse email)")
    link.fill("https://coop.example/chantier")
    link.press("Enter")

    adder.get_by_role("button", name="Ajouter un bloc : Image").click()
    image = _block(page, 3)
    image.get_by_label("Fichier de l'image").set_input_files(str(photo))
    image.get_by_role("status").filter(has_text="Image enregistrée").wait_for()
    image.get_by_label("Description de l'image").fill("Le coulage des fondations")

    adder.get_by_role("button", name="Ajouter un bloc : Bouton").click()
    button = _block(page, 4)
    button.get_by_label("Texte du bouton").fill("Voir le calendrier")
    button.get_by_label("Adresse du bouton").fill("https://coop.example/calendrier")


def test_write_preview_on_a_phone_test_launch_and_follow(app, page, live_server, smtp_server,
                                                         tmp_path):
    app.config["BASE_URL"] = live_server  # the email's images, from this server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    clock.set_now(NOW)
    referent = factories.user(role="referent", name="Claire Référente",
                              email="claire@coop.example", password=PASSWORD,
                              all_entities=True)
    for i in range(3):
        factories.member(newsletter_consent=True, email=f"acquereur{i}@exemple.test",
                         last_name=f"Acquéreur{i}", commit=False)
    factories.member(newsletter_consent=True, email=None, last_name="Sanslemail",
                     postal_code="69003", commit=False)
    segment = factories.segment(user=referent, name="Réservataires")
    db.session.commit()
    photo = tmp_path / "fondations.jpg"
    photo.write_bytes(_images.jpeg(1600, 900))

    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Campagnes").first.click()
    page.get_by_role("link", name="Nouvelle campagne").click()
    page.get_by_label("Nom de la campagne (interne)").fill("Fondations, mars")
    page.get_by_label("Objet de l'email").fill("Information d'avancement : les fondations")
    page.get_by_label("Segment destinataire").select_option(label=segment.name)
    _write(page, photo)
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Campagne enregistrée.").wait_for()
    assert page.get_by_text("par email").inner_text().startswith("3 par email")
    db.session.expire_all()
    campaign = db.session.scalars(db.select(Campaign)).one()
    assert [b["type"] for b in campaign.body["blocks"]] == \
        ["heading", "paragraph", "image", "button"]

    # The preview at a phone's width: no sideways scrolling, page or email.
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Aperçu téléphone").click()
    frame = page.frame_locator("iframe.campaign-preview")
    frame.get_by_role("heading", name="Les fondations sont coulées").wait_for()
    assert frame.get_by_role("link", name="les photos").get_attribute("href") == \
        "https://coop.example/chantier"
    assert frame.get_by_role("link", name="Voir le calendrier").is_visible()
    assert frame.get_by_role("img", name="Le coulage des fondations").is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    email_frame = next(f for f in page.frames if f.url.endswith("/apercu/email"))
    assert email_frame.evaluate(OVERFLOW) <= 0
    # The 1200-pixel photo is loaded and scaled down to the phone's column.
    email_frame.wait_for_function("() => document.images[0].complete")
    natural, shown, room = email_frame.evaluate(
        "() => [document.images[0].naturalWidth, document.images[0].width,"
        " document.documentElement.clientWidth]")
    assert natural == 1200 and 0 < shown < room
    width = page.locator("iframe.campaign-preview").bounding_box()["width"]
    assert width <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})

    # "M'envoyer un test": through the outbox to the relay, to the referent alone.
    page.get_by_role("link", name=f"← {campaign.name}").click()
    page.get_by_role("button", name="M'envoyer un test").click()
    page.get_by_text(f"Email de test envoyé à {referent.email}.").wait_for()
    assert flush(now=clock.now()).sent == 1
    (test,) = smtp_server.messages
    assert test.rcpt_tos == [referent.email]
    assert "Les fondations sont coulées" in test.email.get_body(("plain",)).get_content()

    # Launch; 60 seconds to undo, then the job feeds the outbox and the flush sends.
    page.get_by_role("link", name="Lancer l'envoi").click()
    page.get_by_role("button", name="Oui, lancer l'envoi").click()
    page.get_by_text("Envoi lancé : 4 destinataire(s).").wait_for()
    assert page.get_by_role("link", name="Annuler l'envoi (60 s)").is_visible()
    services.run_due(NOW + timedelta(seconds=59))
    assert flush(now=NOW + timedelta(seconds=59)).sent == 0  # still within the undo delay
    later = NOW + services.UNDO_DELAY
    clock.set_now(later)
    services.run_due(later)
    assert flush(now=later).sent == 3
    services.run_due(later)
    db.session.commit()

    page.reload()
    page.get_by_role("heading", name="Fondations, mars · Terminée").wait_for()
    assert page.get_by_role("link", name="Annuler l'envoi", exact=False).count() == 0
    ledger = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Suivi par destinataire"))
    assert ledger.get_by_role("link", name="Envoyé : 3").is_visible()
    assert ledger.get_by_role("link", name="Courrier : 1").is_visible()
    rows = ledger.locator("tbody tr").all_inner_texts()
    assert len(rows) == 4
    assert sum("Envoyé" in r for r in rows) == 3
    assert any("Sanslemail" in r and "Courrier" in r for r in rows)
    ledger.get_by_role("link", name="Courrier : 1").click()
    assert ledger.locator("tbody tr").all_inner_texts() == [
        r for r in rows if "Sanslemail" in r]
    received = sorted(r for m in smtp_server.messages[1:] for r in m.rcpt_tos)
    assert received == [f"acquereur{i}@exemple.test" for i in range(3)]
    assert errors == []
