"""The upload page: upload → report (nothing written) → confirm or cancel."""

from __future__ import annotations

import html as htmllib
import io
import os
import re

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.importing import tasks
from coopcrm.members.importing.models import ImportTask
from coopcrm.members.models import Member
from coopcrm.scheduler.runner import run_job
from tests import factories
from tests.helpers import csrf_token, login
from tests.members.test_import_support import csv_bytes, reference_data, row

GOOD = csv_bytes(row(reference="R1", nom="Martin", prenom="Hélène", entite="MFLA"),
                 row(reference="R2", nom="Bernard", entite="MFLA"))


def members() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Member.id)))


@pytest.fixture(autouse=True)
def _no_uploads_left(app):
    """Each test starts with no stored upload (the instance folder outlives a test)."""
    for name in uploads(app):
        os.unlink(os.path.join(app.instance_path, "imports", name))


def uploads(app) -> list[str]:
    folder = os.path.join(app.instance_path, "imports")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def upload(client, data: bytes, name: str = "membres.csv", entity: str = ""):
    """Post the file: the page only stores it and queues its check (a 303 to the task)."""
    return client.post("/import", data={
        "csrf_token": csrf_token(client, "/import"), "entity": entity,
        "file": (io.BytesIO(data), name),
    }, content_type="multipart/form-data")


def run_imports():
    """What the scheduler process does for the queued import tasks, as of the test's clock."""
    result = run_job("members.imports", clock.now())
    assert result.ok, result.error
    return result


def analysed(client, data: bytes, name: str = "membres.csv", entity: str = ""):
    """Upload, run the check task, and open the task's page (the report)."""
    response = upload(client, data, name, entity)
    assert response.status_code == 303, response.get_data(as_text=True)
    task_url = response.headers["Location"]
    run_imports()
    return client.get(task_url), task_url


def confirm(client, task_url: str, **extra):
    """Confirm the checked import, run the write task, and open its page."""
    response = client.post(task_url + "/confirmer",
                           data={"csrf_token": csrf_token(client, "/import"), **extra})
    if response.status_code != 303:
        return response
    run_imports()
    return client.get(response.headers["Location"])


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def test_upload_queues_a_task_the_scheduler_checks_then_confirm_writes(app, logged_in):
    reference_data()
    response = upload(logged_in, GOOD)
    assert response.status_code == 303
    task_url = response.headers["Location"]
    waiting = logged_in.get(task_url)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "<progress" in html and "data-task-state" in html
    assert logged_in.get(task_url + "/etat").get_json()["status"] == "queued"
    assert members() == 0 and len(uploads(app)) == 1  # stored, not read
    run_imports()
    state = logged_in.get(task_url + "/etat").get_json()
    assert state["status"] == "done" and state["finished"] and state["rows_read"] == 2
    assert state["rows_checked"] == 2 and "2 à créer" in state["result"]
    html = logged_in.get(task_url).get_data(as_text=True)
    assert counts(html) == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    assert "Rien n'a encore été enregistré" in html and "Import en cours…" in html
    assert members() == 0
    done = confirm(logged_in, task_url)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Import enregistré : 2 coopérateur(s) créé(s)" in done.get_data(as_text=True)
    assert members() == 2 and uploads(app) == []
    write_url = done.request.path
    state = logged_in.get(write_url + "/etat").get_json()
    assert state["status"] == "done" and state["rows_written"] == 2
    again = logged_in.post(task_url + "/confirmer",
                           data={"csrf_token": csrf_token(logged_in, "/import")})
    assert again.headers["Location"].endswith(write_url)  # the same task: nothing twice
    run_imports()
    assert members() == 2
    assert logged_in.get(task_url).headers["Location"].endswith(write_url)


def test_the_progress_counters_move_as_the_task_runs(app, logged_in):
    reference_data()
    data = csv_bytes(*(row(reference=f"R{i}", nom=f"Nom{i}", entite="MFLA")
                       for i in range(2500)))
    task_url = upload(logged_in, data).headers["Location"]
    task_id = int(task_url.rsplit("/", 1)[1])
    seen = []
    original = tasks.import_members

    def watched(*args, progress, **kwargs):
        def both(phase, rows):
            progress(phase, rows)
            with db.engine.connect() as other:  # what the web process would read now
                seen.append(tuple(other.execute(
                    select(ImportTask.status, ImportTask.rows_read, ImportTask.rows_checked)
                    .where(ImportTask.id == task_id)).one()))
        return original(*args, progress=both, **kwargs)
    tasks.import_members = watched
    try:
        run_imports()
    finally:
        tasks.import_members = original
    assert ("reading", 1000, 0) in seen and ("reading", 2000, 0) in seen
    assert ("checking", 2500, 2500) in seen


def test_cancel_writes_nothing_and_deletes_the_file(app, logged_in):
    reference_data()
    _, task_url = analysed(logged_in, GOOD)
    assert len(uploads(app)) == 1
    response = logged_in.post(task_url + "/annuler",
                              data={"csrf_token": csrf_token(logged_in, "/import")},
                              follow_redirects=True)
    assert "Import annulé : rien n'a été enregistré." in text(response)
    assert uploads(app) == [] and members() == 0
    assert confirm(logged_in, task_url).status_code == 302 and members() == 0


def test_invalid_rows_are_listed_and_only_valid_rows_can_be_imported(logged_in):
    reference_data()
    data = csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"),
                     row(reference="R2", nom="Faux", email="faux@", entite="MFLA"),
                     row(reference="R3", nom="Date", entite="MFLA",
                         date_signature_reservation="31/02/2024"))
    page, task_url = analysed(logged_in, data)
    html = page.get_data(as_text=True)
    assert counts(html)["invalid"] == 2
    assert "<td>3</td><td>email</td>" in html
    assert "<td>4</td><td>date_signature_reservation</td>" in html
    assert "Importer les 1 lignes valides" in html
    done = confirm(logged_in, task_url, skip_invalid="1")
    assert done.status_code == 200 and members() == 1


def test_without_skipping_the_invalid_rows_nothing_is_written(logged_in):
    reference_data()
    data = csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"),
                     row(reference="R2", nom="Faux", email="faux@", entite="MFLA"))
    _, task_url = analysed(logged_in, data)
    refused = confirm(logged_in, task_url)  # all or nothing by default
    assert refused.status_code == 422 and members() == 0
    assert "Rien n'a été enregistré" in text(refused)


@pytest.mark.parametrize("data,name,message", [
    (b"", "vide.csv", "Le fichier est vide."),
    (b"%PDF-1.4\n\x00\x01binary", "membres.csv", "ni un fichier CSV ni un classeur Excel"),
    (b"nom;entite\r\n", "entete.csv", "ne contient que la ligne d'en-tête"),
])
def test_unusable_file_is_refused_on_the_task_page(app, logged_in, data, name, message):
    response, task_url = analysed(logged_in, data, name)
    assert response.status_code == 422
    html = text(response)
    assert "Ce fichier ne peut pas être importé" in html and message in html
    state = logged_in.get(task_url + "/etat").get_json()
    assert state["status"] == "failed" and message in state["error"]


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
    html = analysed(client, data)[0].get_data(as_text=True)
    assert "Vous ne gérez pas l'entité GHT." in htmllib.unescape(html)
    assert counts(html)["invalid"] == 1


def test_default_entity_from_the_form(logged_in):
    reference_data()
    data = csv_bytes("R1;Martin", header="reference;nom")
    page, task_url = analysed(logged_in, data, entity="MFLA")
    assert counts(page.get_data(as_text=True))["created"] == 1
    assert confirm(logged_in, task_url).status_code == 200
    assert db.session.scalars(select(Member)).one().references == "MFLA R1"


@pytest.mark.browser
def test_browser_progress_bar_then_report_then_confirm(app, live_server, page, referent, tmp_path):
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
    # The task waits for the scheduler: the page shows its progress bar, polling its state.
    page.wait_for_selector("progress")
    assert page.inner_text("[data-task-field=status_fr]") == "En attente"
    with page.expect_response(lambda r: r.url.endswith("/etat")):
        pass  # the static script polls (no inline script: the page fixture checks the CSP)
    run_imports()
    # Once the task is done the script reloads the page: the report.
    page.wait_for_selector("text=Rien n'a encore été enregistré")
    assert page.inner_text("[data-count=created]") == "2"
    page.click("text=Confirmer l'import")
    page.wait_for_selector("progress")
    assert members() == 0
    run_imports()
    page.wait_for_selector("text=Import enregistré")
    assert members() == 2


def test_another_users_import_task_is_a_404(app, client):
    mfla, ght = reference_data()
    author = app.test_client()
    login(author, factories.user(entities=[mfla]))
    task_url = upload(author, GOOD).headers["Location"]
    run_imports()
    login(client, factories.user(entities=[ght]))
    token = csrf_token(client, "/import")
    for url in (task_url, task_url + "/etat"):
        assert client.get(url).status_code == 404
    for url in (task_url + "/confirmer", task_url + "/annuler"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert members() == 0
