"""The public archive of campaigns a referent chose to publish ("publier dans les archives").

A published campaign is shown to anyone once it was launched (not if cancelled),
as a web page of its body: placeholders take their neutral wording ("votre
résidence"), no member's data and no personal link appear (those live in the
email's footer, which the page does not show).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, select

from coopcrm.blocks import compiling
from coopcrm.campaigns.models import Campaign
from coopcrm.extensions import db


def published() -> Select:
    """The campaigns the archive lists, the latest launched first."""
    return (select(Campaign)
            .where(Campaign.published.is_(True), Campaign.launched_at.is_not(None),
                   Campaign.state != "cancelled")
            .order_by(Campaign.launched_at.desc(), Campaign.id.desc()))


def find(campaign_id: int) -> Campaign | None:
    """A published campaign, or None (never published, not launched, cancelled, unknown)."""
    return db.session.scalar(published().where(Campaign.id == campaign_id))


def page_html(campaign: Campaign) -> str:
    """The campaign's body as the archive shows it (escaped and checked by blocks.compiling)."""
    return compiling.web_html(campaign.body, base_url=current_app.config["BASE_URL"])


def publish(campaign: Campaign, on: bool) -> None:
    """Show the campaign in the archive, or take it off (at any state)."""
    campaign.published = bool(on)
    db.session.flush()
