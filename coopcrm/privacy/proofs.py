"""Scans of paper consent forms: recognised by their first bytes, stored by the app, handed
out as attachments only.

A scan a referent joins to a consent they record is read whole (at most
COOPCRM_CONSENT_PROOF_MAX_MB), recognised by its magic bytes (PDF, JPEG or PNG: its
name and declared type are not believed) and written in `<instance>/consent-proofs/`
under a random name with its kind's extension, kept on the ConsentRecord
(`proof_file`). The file follows the database: written with the consent and removed
when that transaction does not commit; removed once an erasure commits.

It is only ever downloaded as an attachment of the type it was recognised as
(`views.send_bytes`: Content-Disposition: attachment; every response carries
X-Content-Type-Options: nosniff), never shown inline: a PDF or an image a browser
opened in the app's origin could carry script.

Erasure: the scans go at anonymisation. A signed form proves a consent (RGPD art. 7.1)
for as long as something rests on it; once the person is anonymised nothing is sent to
them any more, and no text asks a cooperative to keep the form (its legal records are
the share register and the AG attendance sheets, privacy/legal.py, which keep the
identity apart). The consent record stays (kind, answer, date, wording), its source
scrubbed, for the counts.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from coopcrm.errors import ValidationFailed

FOLDER = "consent-proofs"
FIELD = "scan"
# Extension → (first bytes, MIME type): the only kinds taken.
KINDS = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.(pdf|jpg|png)$")  # token_urlsafe(16): 22 characters
# Where a session keeps the files to remove when its transaction ends (see _committed).
_NEW, _GONE = "consent_proofs_new", "consent_proofs_gone"


def folder() -> Path:
    """Where this installation keeps the scans (created on first use)."""
    path = Path(current_app.instance_path) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes() -> int:
    return int(current_app.config["CONSENT_PROOF_MAX_MB"]) * 1024 * 1024


def kind_of(data: bytes) -> str | None:
    """The extension of what `data` is, from its first bytes; None: not one we take."""
    return next((ext for ext, (magic, _type) in KINDS.items() if data.startswith(magic)), None)


def check(data: bytes) -> str:
    """The scan's kind (extension), or a French refusal on the form's field."""
    if not data:
        raise ValidationFailed({FIELD: "Le fichier du scan est vide."})
    if len(data) > max_bytes():
        megabytes = current_app.config["CONSENT_PROOF_MAX_MB"]
        raise ValidationFailed({FIELD: f"Le scan est trop lourd ({megabytes} Mo au plus)."})
    kind = kind_of(data)
    if kind is None:
        raise ValidationFailed({FIELD: "Le scan doit être un PDF, une image JPEG ou PNG."})
    return kind


def read_upload(stream) -> bytes:
    """An uploaded file's bytes, one past the cap at most (enough to refuse it)."""
    return stream.read(max_bytes() + 1) if stream is not None else b""


def attach(record, data: bytes) -> None:
    """Store `data` as the scan of this consent record (refused in French unless a PDF,
    JPEG or PNG within the cap). The file is removed again if the transaction fails."""
    kind = check(data)
    name = f"{secrets.token_urlsafe(16)}.{kind}"
    (folder() / name).write_bytes(data)
    from coopcrm.extensions import db

    db.session().info.setdefault(_NEW, []).append(name)
    record.proof_file, record.proof_bytes = name, len(data)


def path(name: str | None) -> Path | None:
    """The file of a stored scan, or None (a name we never give names nothing)."""
    if not name or not _NAME.match(name):
        return None
    found = folder() / name
    return found if found.is_file() else None


def mimetype(name: str) -> str:
    return KINDS[name.rsplit(".", 1)[1]][1]


def files_of(table, member_id: int) -> list[tuple[str, bytes]]:
    """The member's scans (`table`: consent_records) as the subject-access ZIP holds them:
    (preuves/<name>, bytes)."""
    from coopcrm.extensions import db

    names = db.session.scalars(select(table.c.proof_file).where(
        table.c.member_id == member_id, table.c.proof_file.is_not(None)).order_by(table.c.id))
    return [(f"preuves/{name}", found.read_bytes()) for name in names
            if (found := path(name)) is not None]


def erase(connection, table, member_ids: list[int]) -> None:
    """Forget these members' scans (`table`: consent_records); their files go once the
    erasure commits."""
    from coopcrm.extensions import db

    where = (table.c.member_id.in_(member_ids), table.c.proof_file.is_not(None))
    names = list(connection.scalars(select(table.c.proof_file).where(*where)))
    if names:
        connection.execute(update(table).where(*where).values(proof_file=None,
                                                              proof_bytes=None))
        db.session().info.setdefault(_GONE, []).extend(names)


def _remove(names: list[str]) -> None:
    for name in names:
        if _NAME.match(name):
            (folder() / name).unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Committed: the scans written stay, the scans erased go."""
    session.info.pop(_NEW, None)
    _remove(session.info.pop(_GONE, []))


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit: the scans it wrote go, the
    scans it erased stay (their rows still name them)."""
    if transaction.parent is None:
        session.info.pop(_GONE, None)
        _remove(session.info.pop(_NEW, []))
