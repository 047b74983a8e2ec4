"""Clicks counted per link, in aggregate only (no per-person tracking: the CNIL asks consent).

When a campaign is compiled at launch (`lifecycle.freeze`, once per campaign), each
web address of its body (paragraph links, buttons) is replaced by
`<base>/c/<campaign>/<n>` and written as a CampaignLink row. The redirect adds one
to that row's counter and sends the reader to the stored address: only the
addresses of that campaign's body are reachable, so it is no open redirect.
Personal links (unsubscribe, preferences) live in the email's footer, not in the
body, and are never rewritten; neither are mailto: links.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import delete, select, update

from coopcrm.blocks import richtext
from coopcrm.blocks.document import blocks_of
from coopcrm.campaigns.models import Campaign, CampaignLink
from coopcrm.extensions import db
from coopcrm.plaintext import CONTROLS

PATH = "/c/{campaign_id}/{position}"


def _is_web(url: Any) -> bool:
    """A web address a redirect may send to (no mailto:, no control character)."""
    return isinstance(url, str) and url.lower().startswith(("https://", "http://")) \
        and richtext.is_url(url) and CONTROLS.search(url) is None


class _Rewriter:
    """Numbers each distinct web address in the order of the body."""

    def __init__(self, campaign_id: int, base_url: str):
        self.prefix = base_url.rstrip("/")
        self.campaign_id = campaign_id
        self.urls: list[str] = []

    def tracked(self, url: str) -> str:
        url = url.strip()
        if url not in self.urls:
            self.urls.append(url)
        position = self.urls.index(url) + 1
        return self.prefix + PATH.format(campaign_id=self.campaign_id, position=position)

    def nodes(self, nodes: list) -> None:
        for node in nodes:
            if isinstance(node, richtext.Element):
                if node.tag == "a" and _is_web(node.href):
                    node.href = self.tracked(node.href)
                self.nodes(node.children)

    def rich(self, item: dict) -> None:
        if isinstance(item.get("html"), str):
            nodes = richtext.parse(item["html"])
            self.nodes(nodes)
            item["html"] = richtext.to_storage(nodes)

    def block(self, block: dict) -> None:
        kind = block.get("type")
        if kind == "paragraph":
            self.rich(block)
        elif kind == "button" and _is_web(block.get("url")):
            block["url"] = self.tracked(block["url"])
        elif kind == "columns" and isinstance(block.get("columns"), list):
            for column in block["columns"]:
                for item in column if isinstance(column, list) else []:
                    if isinstance(item, dict) and item.get("type") == "paragraph":
                        self.rich(item)


def tracked_document(document: Any, campaign_id: int, base_url: str) -> tuple[dict, list[str]]:
    """A copy of `document` whose web links go through the redirect, and the addresses
    in the order of their numbers (1, 2…). The stored document is left as it is."""
    out = copy.deepcopy(document) if isinstance(document, dict) else {}
    rewriter = _Rewriter(campaign_id, base_url)
    for block in blocks_of(out):
        rewriter.block(block)
    return out, rewriter.urls


def track(campaign: Campaign, base_url: str) -> dict:
    """The body to compile for the launch: links rewritten, their counter rows written anew
    (a launch undone and made again starts from zero)."""
    document, urls = tracked_document(campaign.body, campaign.id, base_url)
    db.session.execute(delete(CampaignLink).where(CampaignLink.campaign_id == campaign.id))
    db.session.add_all(CampaignLink(campaign_id=campaign.id, position=i, url=url, clicks=0)
                       for i, url in enumerate(urls, start=1))
    db.session.flush()
    return document


def follow(campaign_id: int, position: int, *, count: bool = True) -> str | None:
    """The address behind link `position` of the campaign, one click added (unless not
    `count`: a HEAD, a prefetch); None when the campaign has no such link."""
    link = db.session.scalar(select(CampaignLink).where(
        CampaignLink.campaign_id == campaign_id, CampaignLink.position == position))
    if link is None or not _is_web(link.url):
        return None
    if count:  # one UPDATE: two clicks at once both count
        db.session.execute(update(CampaignLink).where(CampaignLink.id == link.id)
                           .values(clicks=CampaignLink.clicks + 1)
                           .execution_options(synchronize_session=False))
    return link.url


def per_link(campaign: Campaign) -> list[CampaignLink]:
    """The campaign's links with their click counts, in the order of the body."""
    return list(db.session.scalars(select(CampaignLink).where(
        CampaignLink.campaign_id == campaign.id).order_by(CampaignLink.position)))
