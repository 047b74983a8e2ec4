from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from wtforms.validators import Length

from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import services, shares
from coopcrm.members.forms import MemberForm
from coopcrm.members.models import Member, MemberEntity
from coopcrm.privacy.models import AuditEntry, ConsentRecord
from tests import factories


def _data(entity, **kw):
    data = {"last_name": "Lévêque", "first_name": "Élodie", "email": "Elodie@Exemple.fr",
            "track": "locatif", "entities": {entity.id: "R-1"}}
    data.update(kw)
    return data


def test_create_member_normalises_and_indexes(admin):
    e = factories.entity("MFLA")
    m = services.create_member(_data(e, moved_in_on=date(2010, 5, 1)), admin)
    db.session.commit()
    assert m.email == "elodie@exemple.fr"
    assert m.search_text == "leveque elodie elodie@exemple.fr r-1"
    assert [(x.entity.code, x.reference) for x in m.entity_links] == [("MFLA", "R-1")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.member_id == m.id))
    assert entry.action == "create" and entry.user_id == admin.id


def test_every_validation_error_at_once_and_nothing_written(admin):
    e = factories.entity()
    factories.member(e, "R-1")
    before = db.session.scalar(select(db.func.count(Member.id)))
    with pytest.raises(ValidationFailed) as raised:
        services.create_member(
            _data(e, last_name=" ", email="pas-un-email", college_id=9999, residence_id=9999,
                  track="autre", moved_in_on=date(1850, 1, 1)),
            admin,
        )
    errors = raised.value.errors
    assert errors["last_name"] == "Le nom est obligatoire."
    assert "n'est pas une adresse email valide" in errors["email"]
    assert errors["college_id"] == "Collège inconnu."
    assert errors["residence_id"] == "Résidence inconnue."
    assert "Parcours inconnu" in errors["track"]
    assert "invraisemblable" in errors["moved_in_on"]
    assert "Référence déjà utilisée dans cette entité" in errors[f"reference_{e.id}"]
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Member.id))) == before


def test_same_reference_in_another_entity_is_fine(admin):
    a, b = factories.entity(), factories.entity()
    factories.member(a, "R-1")
    m = services.create_member(_data(b), admin)
    db.session.commit()
    assert m.references.endswith("R-1")


def test_update_keeps_own_reference_and_audits_old_new(admin):
    e = factories.entity()
    m = services.create_member(_data(e, city="Lyon"), admin)
    db.session.commit()
    services.update_member(m, {"city": "Villeurbanne", "entities": {e.id: "R-1"}}, admin)
    db.session.commit()
    last = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == m.id)
                              .order_by(AuditEntry.id.desc())).first()
    assert last.changes == {"city": ["Lyon", "Villeurbanne"]}


def test_scoped_referent_only_touches_own_entities():
    mine, other = factories.entity("MINE"), factories.entity("OTHER")
    referent = factories.user(entities=[mine])
    m = factories.member(other, "O-1")
    m.entity_links.append(MemberEntity(entity=mine, reference="M-1"))
    db.session.commit()
    with pytest.raises(ValidationFailed) as raised:
        services.update_member(m, {"entities": {mine.id: "M-1", other.id: "X"}}, referent)
    assert "OTHER" in raised.value.errors["entities"]
    db.session.rollback()
    # Unticking their own entity leaves the other entity's link alone.
    services.update_member(m, {"entities": {}}, referent)
    db.session.commit()
    assert [(x.entity.code, x.reference) for x in m.entity_links] == [("OTHER", "O-1")]
    with pytest.raises(ValidationFailed) as raised:
        services.create_member(_data(other), referent)
    assert "OTHER" in raised.value.errors["entities"]
    db.session.rollback()
    with pytest.raises(ValidationFailed) as raised:
        services.create_member(_data(mine, entities={}), referent)
    assert "au moins une" in raised.value.errors["entities"]


def test_set_consent_writes_a_record_only_on_change(referent):
    m = factories.member(factories.entity())
    record = services.set_consent(m, "newsletter", True, "bulletin papier", "J'accepte", referent)
    db.session.commit()
    assert record is not None and m.newsletter_consent
    assert m.newsletter_consent_source == "bulletin papier"
    assert m.newsletter_consent_dt is not None
    assert services.set_consent(m, "newsletter", True, "téléphone", "", referent) is None
    services.set_consent(m, "newsletter", False, "téléphone", "", referent)
    db.session.commit()
    rows = db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.granted, r.source, r.user_id) for r in rows] == [
        (True, "bulletin papier", referent.id), (False, "téléphone", referent.id)]
    with pytest.raises(ValidationFailed):
        services.set_consent(m, "sms", True, "x", "", referent)
    with pytest.raises(ValidationFailed):
        services.set_consent(m, "econvocation", True, " ", "", referent)


def test_reimbursement_above_held_is_refused(referent):
    m = factories.member(factories.entity())
    shares.record(m, "subscription", 1, date(2024, 1, 1), user=referent)
    with pytest.raises(ValidationFailed) as raised:
        shares.record(m, "reimbursement", 2, date(2024, 2, 1), user=referent)
    assert "n'en détient que 1" in raised.value.errors["quantity"]
    assert m.share_amount == Decimal("16.00")


def test_a_new_address_clears_a_bounce_but_not_an_unsubscribe(admin):
    bounced = factories.member(email="old@exemple.fr", email_status="bounced")
    services.update_member(bounced, {"email": "new@exemple.fr", "email_status": "bounced"},
                           admin)
    assert bounced.email_status == "valid"
    gone = factories.member(email="gone@exemple.fr", email_status="unsubscribed")
    services.update_member(gone, {"email": "other@exemple.fr"}, admin)
    assert gone.email_status == "unsubscribed"
    same = factories.member(email="same@exemple.fr", email_status="bounced")
    services.update_member(same, {"email": "same@exemple.fr", "first_name": "Léa"}, admin)
    assert same.email_status == "bounced"


def test_text_limits_are_the_columns_lengths(admin, app):
    e = factories.entity()
    city = Member.__table__.c.city.type.length
    reference = MemberEntity.__table__.c.reference.type.length
    with pytest.raises(ValidationFailed) as raised:
        services.create_member(_data(e, city="x" * (city + 1),
                                     entities={e.id: "R" * (reference + 1)}), admin)
    assert raised.value.errors["city"] == f"{city} caractères au maximum."
    assert raised.value.errors[f"reference_{e.id}"] == f"{reference} caractères au maximum."
    db.session.rollback()
    assert services.create_member(_data(e, city="x" * city, entities={e.id: "R" * reference}),
                                  admin).city == "x" * city
    with app.test_request_context():
        form = MemberForm(meta={"csrf": False})
        assert [v.max for v in form.city.validators if isinstance(v, Length)] == [city]
