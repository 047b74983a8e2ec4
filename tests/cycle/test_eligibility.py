"""The eligibility table drives both who is due and the member page's "why": one rule, two reads."""

from datetime import date

import pytest
from sqlalchemy import select

from coopcrm.cycle import due, schedule
from coopcrm.cycle.eligibility import CONDITIONS, failing
from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from coopcrm.members.models import Member
from tests.cycle.helpers import received, tick
from tests.factories.cycle import coop
from tests.instants import paris

SIGNED = date(2026, 5, 1)  # before N°1 2027 (15 January), the edition these tests look at

# Per condition, member files that fail it and no other (overrides of a due coopérateur).
# A condition added to the table without an example fails its test case below.
EXAMPLES: dict[str, list[dict]] = {
    "not_anonymised": [dict(anonymised_dt=paris(2026, 11, 3, 10))],
    "signed_by_send_date": [dict(reservation_signed_on=None),
                            dict(reservation_signed_on=date(2027, 1, 16))],
    "cooperateur": [dict(status="ancien"), dict(status="prospect", share_count=0)],
    "has_email": [dict(email=None), dict(email="")],
    "email_valid": [dict(email_status="bounced"), dict(email_status="unsubscribed")],
    "newsletter_consent": [dict(newsletter_consent=False)],
}


def _member(overrides: dict):
    fields = {"reservation_signed_on": SIGNED, **overrides}
    return coop(fields.pop("reservation_signed_on"), **fields)


def _n1_2027() -> Edition:
    return db.session.scalars(select(Edition).where(Edition.year == 2027)
                              .order_by(Edition.send_dt)).first()


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.code)
def test_a_member_failing_only_one_condition_is_not_due_and_is_told_that_one(issues, condition):
    examples = EXAMPLES.get(condition.code)
    assert examples, f"add to EXAMPLES a member file failing only {condition.code!r}"
    tick(paris(2026, 12, 1))  # the editions exist
    edition = _n1_2027()
    on = schedule.local_date(edition.send_dt)
    ok = coop(SIGNED)
    members = [_member(overrides) for overrides in examples]

    for m in members:  # the example fails this condition and no other
        assert [c.code for c in failing(m.id, [on])[on]] == [condition.code]
    # The selection: only the member who fails nothing is due, and only they get it.
    assert list(db.session.scalars(due.due_query(edition))) == [ok.id]
    # The explanation, on the member page, is that condition's sentence.
    for m in members:
        member = db.session.get(Member, m.id)
        [upcoming] = [line for line in due.member_history(member, paris(2027, 1, 2))
                      if line.state == "upcoming"]
        assert upcoming.edition.id == edition.id
        assert upcoming.reason == condition.reason_fr(member), condition.code
    tick(paris(2027, 1, 15, 9, 5))
    assert received(ok.id) == ["2027-N1"]
    assert [received(m.id) for m in members] == [[] for _ in members]


def test_the_sentence_shown_is_the_first_failing_condition_in_table_order(issues):
    tick(paris(2026, 12, 1))
    edition = _n1_2027()
    on = schedule.local_date(edition.send_dt)
    everything_wrong = {k: v for c in CONDITIONS for k, v in EXAMPLES[c.code][0].items()}
    m = _member(everything_wrong)
    assert [c.code for c in failing(m.id, [on])[on]] == [c.code for c in CONDITIONS]
    member = db.session.get(Member, m.id)
    upcoming = due.member_history(member, paris(2027, 1, 2))[0]
    assert upcoming.reason == CONDITIONS[0].reason_fr(member)


def test_the_sentences_read_as_before():
    """The wording the member page has always shown (a referent knows these sentences)."""
    by_code = {c.code: c for c in CONDITIONS}

    def says(code, **fields):
        return by_code[code].reason_fr(Member(**fields))

    assert says("not_anonymised") == "Coopérateur anonymisé."
    assert says("signed_by_send_date", reservation_signed_on=None) == \
        "Pas de date de signature du contrat de réservation."
    assert says("signed_by_send_date", reservation_signed_on=date(2027, 1, 16)) == \
        "Pas encore signataire à cette date (signature le 16/01/2027)."
    assert says("cooperateur", status="ancien") == \
        "Ancien coopérateur : ses parts sociales ont été remboursées."
    assert says("cooperateur", status="prospect") == \
        "Pas encore coopérateur : aucune part sociale détenue."
    assert says("has_email") == "Pas d'adresse email : la lettre est à envoyer par courrier."
    assert says("email_valid", email_status="bounced") == "Adresse email en erreur."
    assert says("email_valid", email_status="unsubscribed") == "Désinscrit des envois groupés."
    assert says("newsletter_consent") == "Pas de consentement à la lettre d'information."
