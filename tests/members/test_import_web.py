"""The upload page: upload → report (nothing written) → confirm or cancel."""

from __future__ import annotations

import html as htmllib
import io
import os
import re

import pytest
from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.members.models import Member
from tests import factories
from tests.helpers import csrf_token, login
from tests.members.test_import_support import csv_bytes, reference_data, row

GOOD = csv_bytes(row(reference="R1", nom="Martin", prenom="Hélène", entite="MFLA"),
                 row(reference="R2", nom="Bernard", entite="MFLA"))


def members() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Member.id)))


def uploads(app) -> list[str]:
    folder = os.path.join(app.instance_path, "imports")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def upload(client, data: bytes, name: str = "membres.csv", entity: str = ""):
    return client.post("/import", data={
        "csrf_token": csrf_token(client, "/import"), "entity": entity,
        "file": (io.BytesIO(data), name),
    }, content_type="multipart/form-data")


def confirm(client, **extra):
    return client.post("/import/confirmer", data={"csrf_token": csrf_token(client, "/import"),
                                                  **extra})


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def test_upload_shows_the_report_then_confirm_writes(app, logged_in):
    reference_data()
    response = upload(logged_in, GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert counts(html) == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    assert "Rien n'a encore été enregistré" in html and "Import en cours…" in html
    assert members() == 0 and len(uploads(app)) == 1
    done = confirm(logged_in)
    assert done.status_code == 200
    assert "Import enregistré : 2 coopérateur(s) créé(s)" in done.get_data(as_text=True)
    assert members() == 2 and uploads(app) == []
    again = confirm(logged_in)  # the pending import is gone: nothing happens twice
    assert again.status_code == 302 and members() == 2


def test_cancel_writes_nothing_and_deletes_the_file(app, logged_in):
    reference_data()
    upload(logged_in, GOOD)
    assert len(uploads(app)) == 1
    response = logged_in.post("/import/annuler",
                              data={"csrf_token": csrf_token(logged_in, "/import")},
                              follow_redirects=True)
    assert "Import annulé : rien n'a été enregistré." in text(response)
    assert uploads(app) == [] and members() == 0
    assert confirm(logged_in).status_code == 302 and members() == 0


def test_invalid_rows_are_listed_and_only_valid_rows_can_be_imported(logged_in):
    reference_data()
    data = csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"),
                     row(reference="R2", nom="Faux", email="faux@", entite="MFLA"),
                     row(reference="R3", nom="Date", entite="MFLA",
                         date_signature_reservation="31/02/2024"))
    html = upload(logged_in, data).get_data(as_text=True)
    assert counts(html)["invalid"] == 2
    assert "<td>3</td><td>email</td>" in html
    assert "<td>4</td><td>date_signature_reservation</td>" in html
    assert "Importer les 1 lignes valides" in html
    assert confirm(logged_in).status_code == 422 and members() == 0  # all or nothing by default
    done = confirm(logged_in, skip_invalid="1")
    assert done.status_code == 200 and members() == 1


@pytest.mark.parametrize("data,name,message", [
    (b"", "vide.csv", "Le fichier est vide."),
    (b"%PDF-1.4\n\x00\x01binary", "membres.csv", "ni un fichier CSV ni un classeur Excel"),
    (b"nom;entite\r\n", "entete.csv", "ne contient que la ligne d'en-tête"),
])
def test_unusable_file_is_refused_on_the_upload_page(app, logged_in, data, name, message):
    response = upload(logged_in, data, name)
    assert response.status_code == 422
    html = text(response)
    assert "Ce fichier ne peut pas être importé" in html and message in html
    assert uploads(app) == []


def test_no_file_chosen(logged_in):
    response = logged_in.post("/import", data={"csrf_token": csrf_token(logged_in, "/import")})
    assert response.status_code == 422
    assert "Choisissez un fichier à importer." in response.get_data(as_text=True)


def test_file_over_the_limit_gets_the_french_413_page(logged_in):
    big = b"nom;entite\r\n" + b"x" * (50 * 1024 * 1024)
    response = upload(logged_in, big, "enorme.csv")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)


def test_readers_may_not_import(client):
    login(client, factories.user(role="lecteur"))
    assert client.get("/import").status_code == 403
    assert "Importer</a>" not in client.get("/membres").get_data(as_text=True)


def test_scoped_referent_imports_only_into_their_entities(client):
    mfla, ght = reference_data()
    login(client, factories.user(entities=[mfla]))
    page = client.get("/import").get_data(as_text=True)
    assert 'value="MFLA"' in page and 'value="GHT"' not in page
    data = csv_bytes(row(reference="G1", nom="Autre", entite="GHT"))
    html = upload(client, data).get_data(as_text=True)
    assert "Vous ne gérez pas l'entité GHT." in htmllib.unescape(html)
    assert counts(html)["invalid"] == 1


def test_default_entity_from_the_form(logged_in):
    reference_data()
    data = csv_bytes("R1;Martin", header="reference;nom")
    html = upload(logged_in, data, entity="MFLA").get_data(as_text=True)
    assert counts(html)["created"] == 1
    assert confirm(logged_in).status_code == 200
    assert db.session.scalars(select(Member)).one().references == "MFLA R1"


@pytest.mark.browser
def test_browser_upload_report_confirm(app, live_server, page, referent, tmp_path):
    reference_data()
    path = tmp_path / "membres.csv"
    path.write_bytes(GOOD)
    page.goto(live_server + "/connexion")
    page.fill("input[name=email]", referent.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.click("text=Importer")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Analyser le fichier")
    page.wait_for_selector("text=Rien n'a encore été enregistré")
    assert page.inner_text("[data-count=created]") == "2"
    # The click disables the button and says the import runs (held back to look at it).
    page.evaluate("""() => {
        const form = document.querySelector('form[data-busy]');
        form.addEventListener('submit', e => e.preventDefault());
    }""")
    page.click("text=Confirmer l'import")
    button = page.locator("form[data-busy] button")
    assert button.inner_text() == "Import en cours…" and button.is_disabled()
    assert members() == 0
    page.evaluate("() => document.querySelector('form[data-busy]').submit()")
    page.wait_for_selector("text=Import enregistré")
    assert members() == 2
