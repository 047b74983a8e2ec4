from datetime import date, datetime

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import services
from coopcrm.privacy.models import AuditEntry
from tests import factories

TODAY = date(2026, 3, 10)


pytestmark = pytest.mark.clock(datetime(2026, 3, 10, 9, 0))


def _record(member, moment_type, status="done", occurs_on=TODAY, **kw):
    moment = services.record(member, moment_type, status=status, occurs_on=occurs_on, **kw)
    db.session.commit()
    return moment


def test_timeline_orders_done_planned_and_expected(types, referent):
    m = factories.member(track="locatif")
    _record(m, types["premier_contact"], occurs_on=date(2025, 1, 5))
    _record(m, types["signature_bail"], occurs_on=date(2025, 3, 1))
    _record(m, types["demande_intervention"], occurs_on=date(2025, 2, 1))
    visit = _record(m, types["visite_courtoisie"], "planned", date(2026, 4, 1))
    ag = _record(m, types["ag_coop"], "planned", date(2026, 3, 12))
    # Overdue: planned earlier, the clock moved on.
    clock.set_now(datetime(2026, 3, 20, 9, 0))
    tl = services.timeline(m, clock.today())

    assert [x.type.code for x in tl.done] == [
        "signature_bail", "demande_intervention", "premier_contact"]
    assert [(p.moment.id, p.overdue) for p in tl.planned] == [(ag.id, True), (visit.id, False)]
    assert tl.overdue_count == 1
    # Not repeatable, not done or planned, of the locatif track or both, by position.
    assert [t.code for t in tl.expected] == ["arrivee_lieux"]


def test_expected_moments_follow_the_member_track(types):
    accession = services.timeline(factories.member(track="accession"), TODAY).expected
    locatif = services.timeline(factories.member(track="locatif"), TODAY).expected
    assert [t.code for t in accession] == [
        "premier_contact", "signature_reservation", "choix_prestations",
        "signature_location_accession", "premiere_pierre", "levee_reserves", "arrivee_lieux"]
    assert [t.code for t in locatif] == [
        "premier_contact", "signature_bail", "arrivee_lieux", "visite_courtoisie"]


def test_inactive_types_and_cancelled_moments_in_expectations(types, referent):
    m = factories.member(track="locatif")
    types["signature_bail"].active = False
    db.session.commit()
    planned = _record(m, types["visite_courtoisie"], "planned", date(2026, 5, 1))
    assert "visite_courtoisie" not in [t.code for t in services.timeline(m, TODAY).expected]
    services.cancel(planned, referent)
    db.session.commit()
    tl = services.timeline(m, TODAY)
    assert [t.code for t in tl.expected] == ["premier_contact", "arrivee_lieux",
                                             "visite_courtoisie"]
    assert [c.id for c in tl.cancelled] == [planned.id]


@pytest.mark.parametrize("kwargs, field, message", [
    ({"type": "signature_reservation"}, "type_id", "ne fait pas partie du parcours locatif"),
    ({"type": None}, "type_id", "Choisissez le type"),
    ({"channel": "pigeon"}, "channel", "Canal inconnu"),
    ({"occurs_on": date(2026, 3, 11)}, "occurs_on", "ne peut pas être daté dans le futur"),
    ({"occurs_on": date(1899, 12, 31)}, "occurs_on", "invraisemblable"),
    ({"occurs_on": None}, "occurs_on", "Indiquez la date"),
    ({"status": "planned", "occurs_on": date(2026, 3, 9)}, "occurs_on", "aujourd'hui ou plus tard"),
    ({"status": "planned", "occurs_on": date(2062, 3, 9)}, "occurs_on", "trop lointaine"),
    ({"status": "cancelled"}, "status", "réalisé ou prévu"),
    ({"notes": "x" * 5001}, "notes", "5000 caractères"),
])
def test_record_refuses_bad_input_in_french(types, referent, kwargs, field, message):
    m = factories.member(track="locatif")
    args = {"type": "visite_courtoisie", "status": "done", "occurs_on": TODAY, "channel": "visite"}
    args.update(kwargs)
    moment_type = types[args.pop("type")] if args["type"] else None
    args.pop("type", None)
    with pytest.raises(ValidationFailed) as failed:
        services.record(m, moment_type, user=referent, **args)
    assert message in failed.value.errors[field]
    db.session.rollback()
    assert services.member_moments(m) == []


def test_non_repeatable_moments_are_noted_once(types, referent):
    m = factories.member(track="locatif")
    _record(m, types["premier_contact"], occurs_on=date(2026, 1, 2))
    with pytest.raises(ValidationFailed) as failed:
        services.record(m, types["premier_contact"], status="done", occurs_on=TODAY)
    assert failed.value.errors["type_id"] == (
        "« Premier contact » est déjà noté comme réalisé le 02/01/2026.")
    _record(m, types["visite_courtoisie"], "planned", date(2026, 4, 2))
    with pytest.raises(ValidationFailed) as failed:
        services.record(m, types["visite_courtoisie"], status="done", occurs_on=TODAY)
    assert "marquez ce moment prévu comme réalisé" in failed.value.errors["type_id"]
    # Repeatable ones as often as they happen.
    _record(m, types["demande_intervention"])
    _record(m, types["demande_intervention"])
    assert len(services.timeline(m, TODAY).done) == 3


def test_inactive_type_is_refused(types):
    types["visite_courtoisie"].active = False
    db.session.commit()
    with pytest.raises(ValidationFailed) as failed:
        services.record(factories.member(track="locatif"), types["visite_courtoisie"],
                        status="done", occurs_on=TODAY)
    assert "n'est plus proposé" in failed.value.errors["type_id"]


def test_complete_cancel_reschedule(types, referent):
    m = factories.member(track="locatif")
    visit = _record(m, types["visite_courtoisie"], "planned", date(2026, 3, 20), notes="RDV")
    services.reschedule(visit, date(2026, 3, 25), referent)
    db.session.commit()
    assert visit.occurs_on == date(2026, 3, 25)
    with pytest.raises(ValidationFailed) as failed:
        services.reschedule(visit, date(2026, 3, 1), referent)
    assert "aujourd'hui ou plus tard" in failed.value.errors["occurs_on"]

    with pytest.raises(ValidationFailed) as failed:
        services.complete(visit, date(2026, 3, 11), referent)
    assert "futur" in failed.value.errors["occurs_on"]
    services.complete(visit, TODAY, referent, notes="Tout va bien")
    db.session.commit()
    assert (visit.status, visit.occurs_on, visit.notes) == ("done", TODAY, "Tout va bien")
    assert visit.done_dt == clock.now()
    assert visit.owner_id == referent.id  # nobody followed it: whoever marked it done
    with pytest.raises(ValidationFailed, match="déjà marqué réalisé"):
        services.complete(visit, TODAY, referent)
    with pytest.raises(ValidationFailed, match="ne peut plus être annulé"):
        services.cancel(visit, referent)
    with pytest.raises(ValidationFailed, match="Seul un moment prévu"):
        services.reschedule(visit, date(2026, 4, 1), referent)

    ag = _record(m, types["ag_coop"], "planned", date(2026, 6, 12))
    services.cancel(ag, referent)
    db.session.commit()
    assert ag.status == "cancelled"
    with pytest.raises(ValidationFailed) as failed:
        services.complete(ag, TODAY, referent)
    assert "annulé" in failed.value.errors["status"]
    with pytest.raises(ValidationFailed, match="déjà annulé"):
        services.cancel(ag, referent)


def test_moments_are_audited_with_the_acting_user(types, referent):
    m = factories.member(track="locatif")
    visit = _record(m, types["visite_courtoisie"], "planned", date(2026, 3, 20), user=referent,
                    channel="visite")
    services.complete(visit, TODAY, referent)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "moment")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.member_id, e.object_id, e.user_id) for e in entries] == [
        ("create", m.id, visit.id, referent.id), ("update", m.id, visit.id, referent.id)]
    assert entries[0].changes["channel"] == [None, "visite"]
    assert entries[1].changes["owner_id"] == [None, referent.id]
    assert entries[1].changes["occurs_on"] == ["2026-03-20", "2026-03-10"]


def test_nothing_is_written_when_the_caller_rolls_back(types):
    m = factories.member(track="locatif")
    services.record(m, types["premier_contact"], status="done", occurs_on=TODAY)
    db.session.rollback()
    assert services.member_moments(m) == []
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.object_type == "moment")) \
        is None



def test_cancelling_a_moment_is_in_the_audit_trail(types, referent):
    """Regression: 'status' was ignored on every table, so a cancellation left no trace."""
    m = factories.member(track="locatif")
    visit = _record(m, types["visite_courtoisie"], "planned", date(2026, 3, 20), user=referent)
    services.cancel(visit, referent)
    db.session.commit()
    last = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "moment")
                              .order_by(AuditEntry.id.desc())).first()
    assert last.action == "update" and last.changes["status"] == ["planned", "cancelled"]
