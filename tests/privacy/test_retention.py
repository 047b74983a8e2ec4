"""Retention by status: counted first, anonymised only once approved, in the user's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth import services as auth_services
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy import jobs, retention
from coopcrm.privacy.models import LegalIdentity
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.helpers import PASSWORD, login, post

NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
YEARS_AGO = {n: NOW - timedelta(days=365 * n + 2) for n in range(1, 8)}


def _file(entity):
    """One member of each case, entered (and last changed) when the case says."""
    made = {}
    with clock.frozen(YEARS_AGO[4]):
        made["old_prospect"] = factories.member(entity, status="prospect", email=None)
        made["contacted_prospect"] = factories.member(entity, status="prospect")
    factories.moment_types()
    factories.moment(made["contacted_prospect"], "premier_contact",
                     occurs_on=NOW.date() - timedelta(days=200))
    with clock.frozen(YEARS_AGO[7]):
        made["old_former"] = factories.member(entity, status="ancien", email="a@exemple.test")
        made["recent_former"] = factories.member(entity, status="ancien")
        made["unreachable"] = factories.member(entity, status="ancien", email=None, address="")
        made["coop_unreachable"] = factories.member(entity, status="cooperateur", email=None,
                                                    address="")
    # Subscribed seven years ago, reimbursed (so "ancien" by the register) since.
    for key, reimbursed in (("old_former", YEARS_AGO[6].date()),
                            ("recent_former", NOW.date() - timedelta(days=400))):
        with clock.frozen(YEARS_AGO[7]):
            factories.share(made[key], occurred_on=YEARS_AGO[7].date())
        with clock.frozen(datetime.combine(reimbursed, datetime.min.time(), tzinfo=UTC)):
            factories.share(made[key], kind="reimbursement", occurred_on=reimbursed)
    # The share register changed these files since: put their last change back.
    for key in ("old_former", "recent_former"):
        db.session.execute(db.update(Member).where(Member.id == made[key].id)
                           .values(updated_dt=YEARS_AGO[6]))
    db.session.commit()
    return made


def _ids(rule: str, user=None) -> set[int]:
    return set(db.session.scalars(retention.candidates(retention.RULES[rule], NOW.date(), user)))


def test_each_rule_finds_whom_it_should(app):
    made = _file(factories.entity())
    assert _ids("prospect") == {made["old_prospect"].id}
    assert _ids("former") == {made["old_former"].id, made["unreachable"].id}
    # A current coopérateur is kept however unreachable: they hold shares.
    assert _ids("unreachable") == {made["unreachable"].id}
    assert retention.counts(NOW.date())["prospect"] == 1


def test_approval_anonymises_that_rule_in_scope_only(app, client):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    made = _file(mine)
    theirs = _file(other)
    referent = factories.user(role="referent", password=PASSWORD, entities=[mine])
    auth_services.grant(referent, ["anonymise"])
    db.session.commit()
    login(client, referent)
    with clock.frozen(NOW):
        page = client.get("/rgpd/conservation").get_data(True)
        assert "Prospects sans contact" in page
        listing = client.get("/rgpd/conservation/former").get_data(True)
        assert made["old_former"].last_name in listing
        assert client.get("/rgpd/conservation/inconnue").status_code == 404
        refused = post(client, "/rgpd/conservation/former", {"reason": "", "confirm": ""})
        assert refused.status_code == 422
        done = post(client, "/rgpd/conservation/former",
                    {"reason": "Revue annuelle", "confirm": "y"})
        assert done.status_code == 302
    db.session.expire_all()
    erased = {m.id for m in db.session.scalars(select(Member).where(
        Member.anonymised_dt.is_not(None)))}
    assert erased == {made["old_former"].id, made["unreachable"].id}
    assert theirs["old_former"].id not in erased


def test_a_user_without_the_right_is_refused(app, logged_in):
    assert logged_in.get("/rgpd/conservation").status_code == 403


def test_the_monthly_job_counts_and_clears_old_payloads_only(app, admin):
    member = factories.member()
    old = factories.outbox_message(member, "welcome")
    recent = factories.outbox_message(member, "welcome")
    for message, sent in ((old, NOW - timedelta(days=400)), (recent, NOW - timedelta(days=300))):
        message.status, message.sent_dt = "sent", sent
        message.context = {"first_name": "Zéphyrine"}
    for member_id, until in ((900, NOW.date() - timedelta(days=1)), (901, NOW.date())):
        db.session.add(LegalIdentity(member_id=member_id, last_name="Quaxworth",
                                     kept_until=until, anonymised_dt=NOW, records=["x"]))
    db.session.commit()
    with clock.frozen(NOW):
        summary = jobs.retention(NOW)
    db.session.commit()
    assert "Prospects sans contact : 0" in summary and "1 message(s) allégé(s)" in summary
    assert "1 identité(s) de registre légal effacée(s)" in summary
    assert [i.member_id for i in db.session.scalars(select(LegalIdentity))] == [901]
    db.session.expire_all()
    assert db.session.get(OutboxMessage, old.id).context == {}
    assert db.session.get(OutboxMessage, recent.id).context == {"first_name": "Zéphyrine"}


def test_years_before_a_29_february():
    assert retention.years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
