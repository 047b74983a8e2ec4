"""`coopcrm campaigns …` as an operator runs it: the console script in a subprocess."""

from __future__ import annotations

# Made in the app's own shell (this folder imports no coopcrm): 3 members, one campaign
# launched an hour ago by an administrator, its 60 seconds of "annuler l'envoi" long over.
# (An interactive console: a blank line ends the loop.)
SETUP = """
from datetime import timedelta
from coopcrm import clock
from coopcrm.auth.models import User
from coopcrm.campaigns import services
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services as segments
admin = User(email="admin@exemple.test", name="Admin", role="admin", password_hash="x")
db.session.add(admin)
for i in range(3):
    db.session.add(Member(last_name=f"Nom{i}", first_name="A", email=f"m{i}@exemple.test",
                          newsletter_consent=True))

db.session.flush()
seg = segments.create("Tous", MemberFilter.parse({})[0], admin)
body = {"version": 1, "blocks": [{"type": "paragraph", "html": "<p>Bonjour</p>"}]}
c = services.create({"name": "Travaux", "subject": "Travaux", "body": body,
                     "segment_id": seg.id}, admin)
services.launch(c, clock.now() - timedelta(hours=1))
db.session.commit()
"""


def test_list_show_pause_resume_cancel(installation):
    run = installation.run
    run("db", "upgrade")
    run("shell", stdin=SETUP)
    assert "1\tEn cours d'envoi\tTravaux" in run("campaigns", "list").stdout
    shown = run("campaigns", "show", "1").stdout
    assert "État : En cours d'envoi" in shown and "En attente : 3" in shown
    assert "Statistiques :" in shown and "  Destinataires : 3" in shown
    assert "Par résidence :" in shown and "Sans résidence\t3\t3\t0" in shown
    assert "Clics par lien (en tout, jamais par personne) : 0" in shown
    run("jobs", "run", "campaigns.run_due")
    assert "3 email(s) retenu(s)" in run("campaigns", "pause", "1").stdout
    assert "En pause" in run("campaigns", "show", "1").stdout
    again = run("campaigns", "pause", "1", ok=False)
    assert again.returncode == 1 and "Impossible de mettre en pause" in again.stderr
    assert "Traceback" not in again.stderr
    assert "reprise" in run("campaigns", "resume", "1").stdout
    cancelled = run("campaigns", "cancel", "1").stdout
    assert "0 membre(s) l'avaient déjà reçue" in cancelled
    missing = run("campaigns", "show", "99", ok=False)
    assert missing.returncode == 1 and "introuvable" in missing.stderr
