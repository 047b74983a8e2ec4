"""« Messages reçus »: what each referent may see, the text-only detail, "marquer comme traité"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coopcrm.extensions import db
from coopcrm.inbox.models import InboundMessage
from tests import factories
from tests.helpers import PASSWORD, csrf_token, login

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(T0)


def _inbound(key: str, kind: str = "other", member=None, **kw) -> InboundMessage:
    row = InboundMessage(message_key=key, kind=kind, member_id=member.id if member else None,
                         from_address=kw.pop("from_address", "x@ailleurs.example"),
                         subject=kw.pop("subject", key), excerpt=kw.pop("excerpt", ""),
                         recorded_dt=T0, **kw)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world():
    mine, theirs = factories.entity("GHT"), factories.entity("MFLA")
    alice = factories.member(mine, "G-1", last_name="Durand")
    xav = factories.member(theirs, "M-1", last_name="Zorglub")
    rows = {
        "alice": _inbound("Question d'Alice", member=alice,
                          excerpt="<script>alert(1)</script>\nBonjour & merci"),
        "alice_unsub": _inbound("Désinscription d'Alice", "unsubscribe", alice),
        "xav": _inbound("Question de Zorglub", member=xav),
        "stranger": _inbound("Message d'un inconnu"),
        "bounce": _inbound("Retour sans destinataire", "bounce"),
    }
    walker = factories.user(role="referent", password=PASSWORD, entities=[mine])
    return rows, walker


def test_a_one_entity_referent_sees_only_messages_about_their_members(client, world):
    rows, walker = world
    login(client, walker)
    page = client.get("/messages-recus").get_data(as_text=True)
    assert "Question d&#39;Alice" in page and "Désinscription d&#39;Alice" in page
    assert "Zorglub" not in page and "inconnu" not in page and "Retour sans" not in page
    for hidden in ("xav", "stranger", "bounce"):
        assert client.get(f"/messages-recus/{rows[hidden].id}").status_code == 404
        token = csrf_token(client, "/messages-recus")
        resp = client.post(f"/messages-recus/{rows[hidden].id}/traite",
                           data={"csrf_token": token})
        assert resp.status_code == 404
    filtered = client.get("/messages-recus?type=unsubscribe").get_data(as_text=True)
    assert "Désinscription d&#39;Alice" in filtered and "Question d&#39;Alice" not in filtered


def test_admins_see_every_message(as_admin, world):
    page = as_admin.get("/messages-recus").get_data(as_text=True)
    for text in ("Zorglub", "inconnu", "Retour sans destinataire", "Alice"):
        assert text in page
    assert "Retour sans" in as_admin.get("/messages-recus?type=bounce").get_data(as_text=True)
    assert as_admin.get("/messages-recus?type=nimportequoi").status_code == 200


def test_the_detail_is_text_only_and_can_be_marked_handled(client, world):
    rows, walker = world
    login(client, walker)
    url = f"/messages-recus/{rows['alice'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Bonjour &amp; merci" in page and "Marquer comme traité" in page
    assert client.post(url + "/traite").status_code == 400  # no CSRF token
    resp = client.post(url + "/traite", data={"csrf_token": csrf_token(client, url)},
                       follow_redirects=True)
    assert resp.status_code == 200 and "Message marqué comme traité." in resp.get_data(True)
    db.session.expire_all()
    row = db.session.get(InboundMessage, rows["alice"].id)
    assert row.handled_dt == T0 and row.handled_by_id == walker.id
    assert "Marquer comme traité" not in client.get(url).get_data(as_text=True)
    pending = client.get("/messages-recus?a_traiter=1").get_data(as_text=True)
    assert "Question d&#39;Alice" not in pending and "Désinscription d&#39;Alice" in pending


def test_a_reader_sees_the_list_but_cannot_mark(client, world):
    rows, _ = world
    reader = factories.user(role="lecteur", password=PASSWORD, all_entities=True)
    login(client, reader)
    url = f"/messages-recus/{rows['stranger'].id}"
    assert "Marquer comme traité" not in client.get(url).get_data(as_text=True)
    resp = client.post(url + "/traite", data={"csrf_token": csrf_token(client, url)})
    assert resp.status_code == 403
