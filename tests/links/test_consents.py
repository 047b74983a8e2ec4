"""privacy.consents.set_consent, used by the link pages (and meant for every consent change)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy.consents import set_consent, wording
from coopcrm.privacy.models import ConsentRecord
from tests import factories


def test_records_changes_only(admin):
    m = factories.member()
    text = wording("newsletter", "La Coop")
    record = set_consent(m, "newsletter", True, "formulaire papier", text, user=admin)
    assert record is not None and set_consent(m, "newsletter", True, "formulaire", text) is None
    db.session.commit()
    [saved] = db.session.scalars(select(ConsentRecord)).all()
    assert (saved.granted, saved.user_id, saved.wording) == (True, admin.id, text)
    assert m.newsletter_consent and m.newsletter_consent_source == "formulaire papier"


def test_works_on_a_member_not_yet_saved():
    m = Member(last_name="Neuf", first_name="Léa")
    record = set_consent(m, "econvocation", True, "import", "texte")
    db.session.commit()
    assert record.member_id == m.id and m.econvocation_consent


@pytest.mark.parametrize(
    "kind, source", [("sms", "x"), ("newsletter", " "), ("newsletter", "x" * 101)]
)
def test_refuses_bad_input_in_french(kind, source):
    with pytest.raises(ValidationFailed) as err:
        set_consent(factories.member(), kind, True, source, "texte")
    assert list(err.value.errors) == ["kind" if kind == "sms" else "source"]
