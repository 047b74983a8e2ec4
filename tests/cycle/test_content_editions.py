"""cycle.editions: edit, approve, reopen, refusal once frozen, issue dates moving editions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coopcrm import clock
from coopcrm.cycle import editions, seed
from coopcrm.cycle.models import NewsletterIssue
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from tests import factories
from tests.factories import cycle as cf

NOW = datetime(2027, 1, 2, 10, 0, tzinfo=UTC)


def _data(**kw) -> dict:
    return {"title": "Titre", "teaser": "", "intro_html": "<p>Intro</p>", "image_url": "",
            "sections": [{"heading": "A", "body_html": "<p>a</p>"}], "ctas": [], **kw}


def test_update_content_validates_in_french():
    edition = cf.edition(cf.issue())
    user = factories.user()
    with pytest.raises(ValidationFailed) as exc:
        editions.update_content(edition, _data(
            title=" ", image_url="javascript:alert(1)", teaser="x" * 301,
            ctas=[{"label": "", "url": "https://ok.example"}, {"label": "Lien", "url": "ftp://x"}],
        ), user)
    assert set(exc.value.errors) == {"title", "image_url", "teaser", "cta1_label", "cta2_url"}
    assert exc.value.errors["title"] == "Donnez un titre à la lettre."


def test_update_approve_reopen_and_refusal_once_frozen():
    clock.set_now(NOW)
    edition = cf.edition(cf.issue())
    user = factories.user()
    dirty = "<p onclick='x()'>Salut</p><script>1</script>"
    editions.update_content(edition, _data(intro_html=dirty), user)
    assert edition.intro_html == "<p>Salut</p>" and edition.edited_dt == NOW
    editions.approve(edition, user)
    assert edition.status == "approved" and edition.approved_by_id == user.id
    editions.update_content(edition, _data(title="Autre"), user)
    assert edition.status == "draft" and edition.approved_dt is None  # the text changed
    editions.approve(edition, user)
    editions.reopen(edition, user)
    assert edition.status == "draft"

    edition.frozen_dt = NOW
    db.session.commit()
    for action in (lambda: editions.update_content(edition, _data(), user),
                   lambda: editions.approve(edition, user),
                   lambda: editions.reopen(edition, user)):
        with pytest.raises(ValidationFailed) as exc:
            action()
        assert "déjà partie" in exc.value.errors["edition"]


@pytest.mark.parametrize("day, month, ok", [(31, 2, False), (31, 4, False), (29, 2, True),
                                            (30, 4, True), (0, 1, False), (15, 13, False)])
def test_issue_dates_are_validated(day, month, ok):
    data = {"send_day": day, "send_month": month, "send_hour": 9, "send_minute": 0}
    if ok:
        assert editions.validate_schedule(data)["send_day"] == day
    else:
        with pytest.raises(ValidationFailed):
            editions.validate_schedule(data)


def test_issue_date_change_moves_unfrozen_editions_only():
    clock.set_now(NOW)
    issue = cf.issue(number=2, month=6)
    sent = cf.edition(issue, 2026, frozen_dt=datetime(2026, 6, 15, 7, tzinfo=UTC),
                      send_dt=datetime(2026, 6, 15, 7, tzinfo=UTC))
    draft = cf.edition(issue, 2027, content={"title": "Édition revue"})
    editions.update_issue(issue, {**issue.content(), "title": "Nouveau permanent", "send_day": "1",
                                  "send_month": "7", "send_hour": "10", "send_minute": "15"},
                          factories.user(role="admin"))
    db.session.commit()
    assert (issue.send_month, issue.send_day, issue.send_hour, issue.send_minute) == (7, 1, 10, 15)
    assert draft.send_dt == datetime(2027, 7, 1, 8, 15, tzinfo=UTC)
    assert draft.title == "Édition revue"  # the edition keeps its own content
    assert sent.send_dt == datetime(2026, 6, 15, 7, tzinfo=UTC)


def test_seed_loads_three_issues_once():
    assert seed.load_issues() == 3
    db.session.commit()
    assert seed.load_issues() == 0
    issues = db.session.scalars(db.select(NewsletterIssue).order_by(NewsletterIssue.number)).all()
    assert [(i.number, i.send_month, i.send_day, i.send_hour) for i in issues] == [
        (1, 1, 15, 9), (2, 6, 15, 9), (3, 9, 15, 9)]
    assert issues[0].title == "C'est quoi la COOP ?"
    assert "{{ nombre_cooperateurs }}" in str(issues[0].content())
    assert "{{ montant_part }}" in str(issues[0].content())
    assert all(2 <= len(i.sections) <= 4 for i in issues)
