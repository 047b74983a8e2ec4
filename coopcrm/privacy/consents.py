"""Consents: the one way to grant or withdraw a member's consent, with its proof.

Every path that changes a consent (member form, import, unsubscribe link,
preferences page) calls `set_consent`, so the member's columns and the
`ConsentRecord` history (date, source, exact wording, the email a link came
in) never disagree. Which link may grant is the links domain's rule
(`links.actions`).
"""

from __future__ import annotations

from coopcrm import clock, plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.models import text_limit, too_long
from coopcrm.privacy import proofs
from coopcrm.privacy.models import CONSENT_KINDS, ConsentRecord

# What the member agrees to, in the words shown to them. `{coop}` is the
# cooperative's name. The record keeps the text as shown, so changing these
# later never rewrites what someone agreed to.
WORDINGS = {
    "newsletter": (
        "J'accepte de recevoir par email la lettre d'information de {coop} "
        "et les nouvelles de la vie coopérative. Je peux me désinscrire à tout moment."
    ),
    "econvocation": (
        "J'accepte d'être convoqué(e) par email, et non plus par courrier, aux assemblées "
        "générales de {coop}, et d'y recevoir les documents qui accompagnent la convocation. "
        "Je peux changer d'avis à tout moment : je serai alors de nouveau convoqué(e) "
        "par courrier."
    ),
}


def wording(kind: str, coop: str) -> str:
    """The consent text for `kind`, with the cooperative's name filled in."""
    return WORDINGS[kind].format(coop=coop)


def set_consent(member, kind: str, granted: bool, source: str, wording: str, user=None,
                outbox_message_id: int | None = None, proof: bytes = b""):
    """Grant or withdraw a consent; returns the new ConsentRecord, or None if nothing changed.

    Does not commit: the change belongs to the caller's transaction. The
    audit trail follows from the ORM listener, attributed to whoever the
    caller set with `privacy.audit.acting_as` (or the logged-in user); `user`
    only fills ConsentRecord.user_id, so an outer actor such as
    "membre (lien)" is never overwritten. `outbox_message_id`: the email
    whose link the member used. `proof`: the scan of the paper form a referent
    recorded (privacy/proofs.py), refused when nothing changes (it would prove nothing
    recorded) or when it is not a PDF, JPEG or PNG within the cap.
    """
    if kind not in CONSENT_KINDS:
        raise ValidationFailed({"kind": "Type de consentement inconnu."})
    source = (source or "").strip()
    if not source:
        raise ValidationFailed(
            {"source": "Indiquez l'origine du consentement (ex. formulaire papier)."}
        )
    if len(source) > (limit := text_limit(ConsentRecord, "source")):
        raise ValidationFailed({"source": too_long(limit)})
    if problems := plaintext.problems(lines={"source": source}, texts={"wording": wording}):
        raise ValidationFailed(problems)
    granted = bool(granted)
    if proof:
        proofs.check(proof)
    if bool(getattr(member, f"{kind}_consent")) == granted:
        if proof:
            raise ValidationFailed({proofs.FIELD: "La réponse enregistrée est déjà celle-ci : "
                                                  "le scan ne prouverait aucun changement."})
        return None
    now = clock.now()
    setattr(member, f"{kind}_consent", granted)
    setattr(member, f"{kind}_consent_dt", now)
    setattr(member, f"{kind}_consent_source", source)
    if member.id is None:
        db.session.add(member)
        db.session.flush()
    record = ConsentRecord(
        member_id=member.id,
        kind=kind,
        granted=granted,
        recorded_dt=now,
        source=source,
        wording=wording,
        user_id=user.id if user is not None else None,
        outbox_message_id=outbox_message_id,
    )
    if proof:
        proofs.attach(record, proof)
    db.session.add(record)
    return record
