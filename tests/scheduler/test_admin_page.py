"""/admin/planificateur: what an administrator sees of the scheduler."""

from datetime import UTC, datetime, timedelta

from coopcrm.extensions import db
from coopcrm.scheduler.models import JobRun
from tests.helpers import login

URL = "/admin/planificateur"
T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def add_runs(n, name="test.hourly", status="ok", **kw):
    for i in range(n):
        db.session.add(JobRun(name=name, started_dt=T0 + timedelta(minutes=i),
                              finished_dt=T0 + timedelta(minutes=i), status=status,
                              origin="planificateur", **kw))
    db.session.commit()


def test_only_admins_see_the_scheduler(client, referent):
    assert client.get(URL).status_code == 302  # to the login page
    login(client, referent)
    assert client.get(URL).status_code == 403
    assert "Planificateur" not in client.get("/membres").get_data(as_text=True)


def test_admins_see_jobs_last_runs_and_errors(client, admin, hourly, boom, only_jobs):
    add_runs(1, "test.hourly", summary="3 emails envoyés")
    add_runs(1, "test.boom", status="error", error="Traceback…\nValueError: <b>cassé</b>")
    login(client, admin)
    with only_jobs(hourly, boom):
        html = client.get(URL).get_data(as_text=True)
    assert 'href="/admin/planificateur">Planificateur</a>' in html  # the admin's nav link
    assert "test.hourly" in html and "toutes les heures" in html and "Tâche de test" in html
    assert "tous les jours à 09:00" in html
    assert "15/01/2027 09:00" in html and "3 emails envoyés" in html
    assert "Voir l&#39;erreur" in html or "Voir l'erreur" in html
    assert "ValueError: &lt;b&gt;cassé&lt;/b&gt;" in html  # escaped, never raw HTML


def test_the_history_is_paginated_and_filtered(client, admin, hourly, boom, only_jobs):
    add_runs(55, "test.hourly")
    add_runs(2, "test.boom", status="error", error="ValueError: non")
    login(client, admin)
    with only_jobs(hourly, boom):
        first = client.get(URL).get_data(as_text=True)
        second = client.get(URL + "?page=2").get_data(as_text=True)
        errors = client.get(URL + "?statut=error").get_data(as_text=True)
        one_job = client.get(URL + "?tache=test.boom").get_data(as_text=True)
        nothing = client.get(URL + "?tache=test.boom&statut=ok").get_data(as_text=True)
    assert "Historique <span class=\"muted\">(57)</span>" in first and "Page 1 sur 2" in first
    assert "Page 2 sur 2" in second
    assert "(2)</span>" in errors and "ValueError: non" in errors
    assert "(2)</span>" in one_job
    assert "Aucune exécution correspondant aux filtres." in nothing
