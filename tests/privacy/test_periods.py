"""Retention periods changed by an admin in the app, read everywhere from one function; the
register of processing that quotes them, as a page and as a PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coopcrm import clock, config
from coopcrm.extensions import db
from coopcrm.inbox.models import InboundMessage
from coopcrm.privacy import jobs, periods, retention
from coopcrm.privacy.legal import LEGAL_RECORDS
from coopcrm.privacy.models import AuditEntry, RetentionPeriod
from tests import factories
from tests.helpers import post
from tests.letters._pdf import reader, texts

NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
URL = "/rgpd/conservation/durees"


def _form(**changed) -> dict[str, str]:
    """The page's form as it comes, with some periods changed (key → value)."""
    values = {p.field(): str(p.default()) for p in periods.PERIODS.values()}
    values.update({key.lower(): str(value) for key, value in changed.items()})
    return values


def test_every_period_has_its_bounds_and_a_setting():
    assert set(periods.PERIODS) == set(config.RETENTION_BOUNDS)
    settings = {s.key: s for s in config.SETTINGS}
    for key, (low, high) in config.RETENTION_BOUNDS.items():
        default = settings[key].read(settings[key].default)
        assert low <= default <= high, key
    # The law's least for the legal records: no page can go below it.
    assert config.RETENTION_BOUNDS["RETENTION_SHARE_REGISTER_YEARS"][0] == 10
    assert config.RETENTION_BOUNDS["RETENTION_AG_ATTENDANCE_YEARS"][0] == 3


def test_an_admin_changes_a_period_which_every_reader_then_uses(app, as_admin, admin):
    page = as_admin.get(URL).get_data(True)
    assert "Prospect sans contact" in page and "COOPCRM_RETENTION_PROSPECT_YEARS" in page
    done = post(as_admin, URL, _form(RETENTION_PROSPECT_YEARS=2,
                                     RETENTION_SHARE_REGISTER_YEARS=12))
    assert done.status_code == 302
    assert periods.value("RETENTION_PROSPECT_YEARS") == 2
    assert retention.RULES["prospect"].years() == 2
    assert LEGAL_RECORDS["share_register"].years() == 12
    assert "prospects sans moment depuis 2 ans" in as_admin.get("/rgpd/conservation").get_data(
        True)
    register = as_admin.get("/rgpd/registre-des-traitements").get_data(True)
    assert "Prospect : 2 ans après le dernier contact" in register
    # Who changed what, in the audit trail and on the page.
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == periods.AUDIT_KIND)).one()
    assert entry.user_id == admin.id and entry.member_id is None
    assert entry.changes == {"retention_prospect_years": [3, 2],
                             "retention_share_register_years": [10, 12]}
    page = as_admin.get(URL).get_data(True)
    assert admin.name in page and "prospect sans contact 3 → 2 ans" in page
    # Back to the setting's value: the admin's row goes, the setting holds again.
    post(as_admin, URL, _form(RETENTION_SHARE_REGISTER_YEARS=12))
    assert db.session.scalars(select(RetentionPeriod.key)).all() == [
        "RETENTION_SHARE_REGISTER_YEARS"]
    app.config["RETENTION_PROSPECT_YEARS"] = 4
    assert periods.value("RETENTION_PROSPECT_YEARS") == 4


def test_out_of_bounds_values_are_refused_in_french_and_nothing_is_written(app, as_admin):
    for value in ("9", "51", "dix", "", "1.5", "١٢"):
        refused = post(as_admin, URL, _form(RETENTION_SHARE_REGISTER_YEARS=value,
                                            RETENTION_PROSPECT_YEARS=2))
        assert refused.status_code == 422, value
        assert "Indiquez un nombre entier de 10 à 50 ans." in refused.get_data(True)
    assert db.session.scalars(select(RetentionPeriod)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_only_an_admin_changes_periods(app, client, logged_in):
    assert logged_in.get(URL).status_code == 403


def test_the_monthly_job_empties_received_messages_past_their_period(app, as_admin):
    member = factories.member(last_name="Quaxworth")
    old = factories.inbound_message(member.email, "Question de Quaxworth",
                                    body="Quaxworth, 12 rue des Lilas")
    recent = factories.inbound_message(member.email, "Autre question de Quaxworth")
    old.recorded_dt, recent.recorded_dt = NOW - timedelta(days=400), NOW - timedelta(days=300)
    db.session.commit()
    with clock.frozen(NOW):
        summary = jobs.retention(NOW)
    db.session.commit()
    assert "1 message(s) reçu(s) vidé(s)" in summary
    db.session.expire_all()
    emptied = db.session.get(InboundMessage, old.id)
    assert (emptied.from_address, emptied.subject, emptied.excerpt) == ("", "", "")
    assert emptied.kind and emptied.message_key  # its kind counts; its key is the ledger
    assert db.session.get(InboundMessage, recent.id).subject == "Autre question de Quaxworth"
    # Shorter in the app: the recent one goes at the next run; an emptied one is not counted.
    post(as_admin, URL, _form(RETENTION_INBOX_MONTHS=6))
    with clock.frozen(NOW):
        assert "1 message(s) reçu(s) vidé(s)" in jobs.retention(NOW)
    page = as_admin.get("/rgpd/conservation").get_data(True)
    assert "Messages reçus sur la boîte de désinscription" in page and "6 mois" in page


def test_the_monthly_job_deletes_the_change_history_past_its_period(app, as_admin):
    """Six years by default (the issue: "6 years for changes to legal records"); an
    admin's shorter period applies at the next run."""
    member = factories.member(last_name="Quaxworth")
    entries = [AuditEntry(member_id=member.id, action="update", summary=f"Changement {n}",
                          recorded_dt=NOW - timedelta(days=days))
               for n, days in enumerate((7 * 365, 4 * 365, 30))]
    db.session.add_all(entries)
    db.session.commit()
    kept = {e.id for e in entries[1:]}
    with clock.frozen(NOW):
        assert "1 entrée(s) d'historique effacée(s)" in jobs.retention(NOW)
    db.session.commit()
    left = set(db.session.scalars(select(AuditEntry.id).where(
        AuditEntry.member_id == member.id, AuditEntry.summary.like("Changement %"))))
    assert left == kept
    post(as_admin, URL, _form(RETENTION_AUDIT_YEARS=3))
    with clock.frozen(NOW):
        jobs.retention(NOW)
    db.session.commit()
    left = set(db.session.scalars(select(AuditEntry.summary).where(
        AuditEntry.member_id == member.id, AuditEntry.summary.like("Changement %"))))
    assert left == {"Changement 2"}
    assert "Historique des modifications des fiches" in as_admin.get(URL).get_data(True)


def test_the_register_of_processing_downloads_as_a_pdf(app, as_admin):
    app.config["RETENTION_PROSPECT_YEARS"] = 2
    page = as_admin.get("/rgpd/registre-des-traitements").get_data(True)
    assert "/rgpd/registre-des-traitements.pdf" in page
    response = as_admin.get("/rgpd/registre-des-traitements.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    pdf = response.get_data()
    pages = texts(pdf)
    assert len(reader(pdf).pages) == len(pages) >= 2  # six activities and the legal records
    text = "\n".join(pages)
    for expected in ("Registre des activités de traitement", app.config["COOP_NAME"],
                     "Prospect : 2 ans après le dernier contact", "R225-95",
                     "Registres légaux conservés après anonymisation",
                     "Enquêtes auprès des coopérateurs"):
        assert expected in " ".join(text.split()), expected
    assert "1 / " in pages[0]  # the page counter of the stylesheet


def test_the_register_pdf_is_for_admins(app, logged_in):
    assert logged_in.get("/rgpd/registre-des-traitements.pdf").status_code == 403
