"""Public archive: published editions only, French 404 otherwise, stored text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from coopcrm import clock
from coopcrm.cycle.content import frozen_context
from tests.factories import cycle as cf

NOW = datetime(2027, 7, 1, 10, 0, tzinfo=UTC)


def _published(issue, year, **content):
    edition = cf.edition(issue, year, commit=False)
    frozen = frozen_context(edition)
    frozen.update(content)
    edition.frozen_content = frozen
    edition.frozen_dt = edition.send_dt
    from coopcrm.extensions import db
    db.session.commit()
    return edition


def test_archive_lists_published_editions_newest_first_by_year(client):
    clock.set_now(NOW)
    n1, n2, n3 = cf.issue(1), cf.issue(2, month=6), cf.issue(3, month=9)
    _published(n1, 2026, title="Premier 2026")
    _published(n3, 2026, title="Troisième 2026")
    _published(n1, 2027, title="Premier 2027")
    _published(n2, 2027, title="AG 2027")
    cf.edition(n3, 2027, content={"title": "Pas encore parue"})  # not frozen
    html = client.get("/lettres").get_data(as_text=True)
    order = [html.index(t) for t in ("AG 2027", "Premier 2027", "Troisième 2026", "Premier 2026")]
    assert order == sorted(order)
    assert html.index("2027</h2>") < html.index("2026</h2>")
    assert "Pas encore parue" not in html
    assert "Se déconnecter" not in html  # public layout, no login


def test_archive_page_shows_frozen_content_and_escapes_text(client):
    clock.set_now(NOW)
    issue = cf.issue(1)
    _published(issue, 2027, title="<script>alert('t')</script>Titre",
               teaser="Accroche & <i>co</i>",
               body_html="<p>Corps <strong>gras</strong></p><script>alert(1)</script>")
    _published(cf.issue(2, month=6), 2027, title="Autre lettre")
    resp = client.get("/lettres/2027/1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "&lt;script&gt;alert(" in html and "<script>" not in html
    assert "Accroche &amp; &lt;i&gt;co&lt;/i&gt;" in html
    assert "<strong>gras</strong>" in html and "alert(1)" not in html
    assert "Autre lettre" in html and "/lettres/2027/2" in html  # links to the others


def test_unknown_or_unpublished_edition_is_a_french_404(client):
    clock.set_now(datetime(2027, 1, 10, tzinfo=UTC))
    issue = cf.issue(1)
    cf.edition(issue, 2027)  # draft, not frozen
    future = cf.edition(cf.issue(2, month=6), 2027)
    future.frozen_dt, future.frozen_content = clock.now(), {"title": "Trop tôt"}
    from coopcrm.extensions import db
    db.session.commit()
    for url in ("/lettres/2027/1", "/lettres/2027/2", "/lettres/2031/9"):
        resp = client.get(url)
        assert resp.status_code == 404
        assert "Lettre introuvable" in resp.get_data(as_text=True)
    assert client.get("/lettres/abc/1").status_code == 404
