"""The convocation letters as one PDF and as a label sheet: the same letters as the page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth import events as security
from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from coopcrm.privacy.consents import set_consent
from coopcrm.scheduler.runner import run_job
from tests import factories
from tests.instants import at
from tests.letters._pdf import texts

HOSTILE = "<script>alert(1)</script></p>Hostile"


def test_convocations_by_post_as_pdf_and_labels(logged_in, referent, paris_now):
    paris_now(date(2027, 1, 4))
    for i, postcode in enumerate(["69009", "69001", "69005"]):
        factories.coop_member(last_name=f"Courrier{i}", civility="Mme", address="3 rue B",
                              postal_code=postcode, city="Lyon")
    factories.coop_member(last_name=HOSTILE, postal_code="69003", city="Lyon")
    by_email = factories.coop_member(last_name="Courriel")
    with clock.frozen(at(date(2027, 1, 5))):
        set_consent(by_email, "econvocation", True, "formulaire", "texte")
    db.session.commit()
    paris_now(date(2027, 4, 1))
    eid = factories.event(referent, date(2027, 6, 17)).id  # the job closes the session
    run_job("events.timeline", at(date(2027, 6, 2), 9, 0))
    page = logged_in.get(f"/evenements/{eid}/courriers").get_data(as_text=True)
    assert f"/evenements/{eid}/courriers.pdf" in page
    assert f"/evenements/{eid}/etiquettes.pdf" in page
    response = logged_in.get(f"/evenements/{eid}/courriers.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = texts(response.data)
    assert len(pages) == 4
    assert [next(pc for pc in ("69001", "69003", "69005", "69009") if pc in p)
            for p in pages] == ["69001", "69003", "69005", "69009"]
    assert all("Objet : convocation" in p and "Pouvoir" in p for p in pages)
    assert HOSTILE in pages[1]
    labels = logged_in.get(f"/evenements/{eid}/etiquettes.pdf")
    (sheet,) = texts(labels.data)
    assert "Courriel" not in sheet and HOSTILE in sheet and "69009 LYON" in sheet
    logged = db.session.scalars(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "export").order_by(SecurityEvent.id)).all()
    assert logged == [security.export_detail(f"courriers-{eid}.pdf", 4),
                      security.export_detail(f"etiquettes-{eid}.pdf", 4)]
    every = texts(logged_in.get(f"/evenements/{eid}/courriers.pdf?tous=1").data)
    assert len(every) == 5
