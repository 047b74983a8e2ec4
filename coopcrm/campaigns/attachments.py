"""Files a campaign's emails carry: 5 MB in all, checked by content, stored once.

The bytes live in the app's store (sending.attachments); at launch the shared
context of the send gets one reference per file (`references`), and the flush
reads each file once per run. A link to the document is better for everyone
(the limit is low on purpose): the form says so.
"""

from __future__ import annotations

from sqlalchemy import func, select

from coopcrm.campaigns.models import Campaign, CampaignAttachment
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.sending import attachments as store

MAX_TOTAL_BYTES = 5 * 1024 * 1024
MAX_MEGABYTES = MAX_TOTAL_BYTES // (1024 * 1024)
FIELD = "file"
HINT = (f"{MAX_MEGABYTES} Mo au plus pour toutes les pièces jointes. Préférez un lien vers le "
        "document : chaque email en porte une copie, et les messageries refusent les plus "
        "lourds.")
TOO_LARGE = (f"Les pièces jointes dépassent {MAX_MEGABYTES} Mo au total : préférez un lien "
             "vers le document.")
FROZEN = "Une campagne lancée ne se modifie plus : dupliquez-la."


def listed(campaign: Campaign) -> list[CampaignAttachment]:
    """The campaign's files, in the order they were added."""
    return list(db.session.scalars(select(CampaignAttachment).where(
        CampaignAttachment.campaign_id == campaign.id).order_by(CampaignAttachment.id)))


def total_bytes(campaign: Campaign) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(CampaignAttachment.size), 0))
                             .where(CampaignAttachment.campaign_id == campaign.id)) or 0


def _editable(campaign: Campaign) -> None:
    if campaign.state not in ("draft", "scheduled"):
        raise ValidationFailed({FIELD: FROZEN})


def add(campaign: Campaign, filename: str, data: bytes) -> CampaignAttachment:
    """Check and keep one uploaded file; ValidationFailed (key `file`) in French if not."""
    _editable(campaign)
    if not data:
        raise ValidationFailed({FIELD: "Le fichier est vide."})
    if total_bytes(campaign) + len(data) > MAX_TOTAL_BYTES:
        raise ValidationFailed({FIELD: TOO_LARGE})
    found = store.sniff(data, filename)
    if found is None:
        raise ValidationFailed({FIELD: store.UNREADABLE})
    content_type, extension = found
    row = CampaignAttachment(campaign_id=campaign.id, size=len(data),
                             filename=store.clean_filename(filename, extension),
                             content_type=content_type, stored_name=store.store(data))
    db.session.add(row)
    db.session.flush()
    return row


def remove(campaign: Campaign, attachment_id: int) -> bool:
    """Take a file off a draft; the stored file goes when no copy of the campaign uses it."""
    _editable(campaign)
    row = db.session.scalar(select(CampaignAttachment).where(
        CampaignAttachment.id == attachment_id, CampaignAttachment.campaign_id == campaign.id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    shared = db.session.scalar(select(func.count()).where(
        CampaignAttachment.stored_name == row.stored_name))
    if not shared:
        store.remove(row.stored_name)
    return True


def copy_to(source: Campaign, target: Campaign) -> None:
    """A duplicated campaign carries the same files (the same stored bytes)."""
    db.session.add_all(CampaignAttachment(
        campaign_id=target.id, filename=a.filename, content_type=a.content_type,
        stored_name=a.stored_name, size=a.size) for a in listed(source))
    db.session.flush()


def references(campaign: Campaign) -> list[dict]:
    """What the send's shared context holds for the files (sending.services.ATTACHMENTS)."""
    return [store.reference(a.filename, a.content_type, a.stored_name)
            for a in listed(campaign)]
