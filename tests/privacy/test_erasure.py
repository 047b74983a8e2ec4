"""Erasure as anonymisation: no trace of the person anywhere, the figures unchanged."""

from __future__ import annotations

import json

from sqlalchemy import JSON, String, Text, select

from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy import erasure, proofs
from coopcrm.privacy.models import AuditEntry, ConsentRecord, LegalIdentity
from coopcrm.reporting import queries
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.factories.privacy import (
    FORMERS,
    IDENTITY,
    SCAN,
    touched_by_every_domain,
)

# The one table allowed to keep them: legal records' identities, until their retention ends.
ALLOWED = {"legal_identities"}


def _traces() -> dict[str, set[str]]:
    """Which former strings each table's text and JSON columns still hold."""
    found: dict[str, set[str]] = {}
    connection = db.session.connection()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in connection.execute(select(*columns)):
            text = json.dumps(list(row), ensure_ascii=False, default=str).lower()
            for former in FORMERS:
                if former.lower() in text:
                    found.setdefault(table.name, set()).add(former)
    return found


def test_anonymisation_leaves_no_trace_but_the_legal_record(app, admin, memory_mail):
    member, _ = touched_by_every_domain(admin)
    assert {"members", "audit_entries", "outbox_messages", "inbound_messages"} <= set(_traces())
    scans = [p for _name, p in proofs.files_of(ConsentRecord.__table__, member.id)]
    assert scans == [SCAN]  # a file on disk: the scan of the tables below cannot see it
    (scan_name,) = db.session.scalars(select(ConsentRecord.proof_file).where(
        ConsentRecord.member_id == member.id, ConsentRecord.proof_file.is_not(None)))
    counts_before = queries.member_counts(admin)

    assert erasure.anonymise([member.id], reason="Demande de Zéphyrine Quaxworth",
                             user=admin) == 1
    db.session.commit()

    traces = _traces()
    assert set(traces) <= ALLOWED, traces
    assert proofs.path(scan_name) is None and list(proofs.folder().glob(scan_name)) == []
    kept = db.session.get(LegalIdentity, member.id)
    assert kept.last_name == "Quaxworth" and "ag_attendance" in kept.records
    row = db.session.get(Member, member.id)
    assert row.last_name.startswith("Anonyme ") and row.email is None
    assert row.anonymised_dt is not None and row.status == "cooperateur"
    # Figures: who the file counts is unchanged; only "reachable now" loses the person.
    counts_after = queries.member_counts(admin)
    for key in ("deliverable", "reachable"):
        counts_before.pop(key), counts_after.pop(key)
    assert counts_after == counts_before
    # The trail says it happened, not who it was; the outbox keeps what was sent, when.
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.member_id == member.id, AuditEntry.action == "anonymise")).one()
    assert entry.user_id == admin.id
    sent = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.member_id == member.id, OutboxMessage.template == "welcome")).one()
    assert sent.to_address == "" and sent.status == "queued"


def test_a_second_anonymisation_does_nothing(app, admin):
    member = factories.member(**IDENTITY)
    assert erasure.anonymise([member.id], reason="demande", user=admin) == 1
    assert erasure.anonymise([member.id], reason="demande", user=admin) == 0


def test_the_plan_names_the_legal_records_and_their_end(app, admin):
    member = factories.member(**IDENTITY)
    factories.share(member)
    plan = erasure.plan(member.id)
    assert [label for label, _, _ in plan.legal] == ["Registre des parts sociales"]
    assert "R228-8" in plan.legal[0][1]


def test_scrub_replaces_in_any_case_and_walks_json():
    from datetime import UTC, datetime

    found = erasure.Erasure(datetime(2027, 1, 1, tzinfo=UTC), {1: "Anonyme X"},
                            {1: ["Zéphyrine Quaxworth", "Zéphyrine", "Quaxworth", "0611223344"]})
    assert found.scrub("Appel de ZÉPHYRINE quaxworth au 0611223344.", [1]) == \
        "Appel de [effacé] au [effacé]."
    assert found.scrub({"to": ["quaxworth", 3], "n": "rien"}, [1]) == \
        {"to": ["[effacé]", 3], "n": "rien"}
    assert found.scrub("Personne d'autre", [1]) == "Personne d'autre"
    assert found.scrub("Zéphyrine İstanbul", [1]) == "[effacé] İstanbul"  # lower() lengthens İ


def test_an_assemblys_figures_and_sheet_survive_an_erasure(app, admin):
    from datetime import timedelta

    from coopcrm import clock
    from coopcrm.events import checkin

    entity = factories.entity()
    referent = factories.user(role="referent", entities=[entity])
    event = factories.event(admin, clock.today() + timedelta(days=30))
    people = [factories.member(entity, status="cooperateur", last_name=name,
                               address="3 rue du Port", postal_code="44000", city="Nantes")
              for name in ("Quaxworth", "Martin", "Durand")]
    for person in people:
        factories.event_invitation(event, person)
    factories.attendance(event, people[0])
    factories.attendance(event, people[1], holder=people[0])
    db.session.commit()
    before = [(checkin.quorum_for(event), checkin.college_counts(event, who))
              for who in (None, admin, referent)]
    names_before = sorted(r["last_name"] for r in checkin.sheet(event, referent))

    erasure.anonymise([people[0].id], reason="demande", user=admin)
    db.session.commit()

    after = [(checkin.quorum_for(event), checkin.college_counts(event, who))
             for who in (None, admin, referent)]
    assert after == before
    rows = checkin.sheet(event, referent)
    # A legal record: the erased member keeps their name there, until its retention ends.
    assert sorted(r["last_name"] for r in rows) == names_before
    assert any(r["address"] == "3 rue du Port, 44000 Nantes" and r["last_name"] == "Quaxworth"
               for r in rows)
