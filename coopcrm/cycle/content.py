"""Newsletter content: sanitising, live figures, the email body, the context frozen at send.

The body is a block document (coopcrm.blocks), compiled once when the
edition is frozen into the body slot of emails/newsletter_edition; its
placeholders are picked from the editor's menu (`PLACEHOLDERS_ALLOWED`: the
member's, and the two live figures put in the frozen context). Content
written before the block editor (`intro_html`, `sections`, `image_url`,
`ctas`) renders as it always did, through `compose_body_html`, until someone
saves it from the editor (`legacy_document` is what the editor opens then).

Referent text is never run through Jinja as a template (that would be a
template injection): the compiled document escapes every `{`, and in the
title, the teaser and content from before the block editor the only
placeholders are the names in `PLACEHOLDERS`, replaced by a regular
expression; anything else in double braces stays as text.
"""

from __future__ import annotations

import re
from html import escape

import nh3
from flask import current_app
from sqlalchemy import func, select

from coopcrm import fr
from coopcrm.blocks import compiling, placeholders, richtext
from coopcrm.extensions import db
from coopcrm.sending.rendering import BODY_MJML, BODY_TEXT

PLACEHOLDERS = {
    "nombre_cooperateurs": "Le nombre de coopérateurs, au jour de l'envoi",
    "montant_part": "Le montant d'une part sociale (ex. « 16 € »)",
}
# What a newsletter's document may use: the recipient's fields and the figures above,
# which `context_for` puts in the edition's (shared) context.
PLACEHOLDERS_ALLOWED = frozenset(placeholders.MEMBER_NAMES | set(PLACEHOLDERS))
_PLACEHOLDER = re.compile(r"\{\{\s*(" + "|".join(PLACEHOLDERS) + r")\s*\}\}")
_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$", re.I)


def clean_html(value: str | None) -> str:
    """Sanitised HTML (nh3 defaults, as the sending engine uses): no script, no handlers."""
    return nh3.clean(value or "").strip()


def is_http_url(value: str | None) -> bool:
    return bool(value) and bool(_HTTP_URL.match((value or "").strip()))


def clean_content(content: dict) -> dict:
    """A content dict with its HTML sanitised and its lists normalised (what is stored)."""
    sections = []
    for section in content.get("sections") or []:
        heading = (section.get("heading") or "").strip()
        body = clean_html(section.get("body_html"))
        if heading or body:
            sections.append({"heading": heading, "body_html": body})
    ctas = []
    for cta in content.get("ctas") or []:
        label, url = (cta.get("label") or "").strip(), (cta.get("url") or "").strip()
        if label or url:
            ctas.append({"label": label, "url": url})
    return {
        "title": (content.get("title") or "").strip(),
        "teaser": (content.get("teaser") or "").strip(),
        "intro_html": clean_html(content.get("intro_html")),
        "sections": sections,
        "image_url": (content.get("image_url") or "").strip(),
        "ctas": ctas,
        "body": None,  # content of this shape has no block document
    }


def _tokens(html: str) -> str:
    """The typed placeholders of old content as the editor's tokens."""
    return _PLACEHOLDER.sub(lambda m: f'<span data-placeholder="{m.group(1)}"></span>', html)


def legacy_document(content: dict) -> dict:
    """Content from before the block editor as a document, in the order it rendered in.

    The introduction and each section's text become paragraphs, section titles
    headings, the image an image block (an outside address, its description to
    write), the links buttons; `{{ nombre_cooperateurs }}` and `{{ montant_part }}`
    become placeholders.
    """
    blocks: list[dict] = []

    def paragraph(html: str | None) -> None:
        nodes = richtext.parse(_tokens(clean_html(html)))
        if richtext.plain_text(nodes) or richtext.tokens(nodes):
            blocks.append({"type": "paragraph", "html": richtext.to_storage(nodes)})

    paragraph(content.get("intro_html"))
    if is_http_url(image := (content.get("image_url") or "").strip()):
        blocks.append({"type": "image", "url": image, "alt": ""})
    for section in content.get("sections") or []:
        if heading := (section.get("heading") or "").strip():
            nodes = richtext.parse_inline(_tokens(escape(heading)))
            blocks.append({"type": "heading", "text": richtext.to_storage(nodes), "level": 2})
        paragraph(section.get("body_html"))
    for cta in content.get("ctas") or []:
        blocks.append({"type": "button", "label": (cta.get("label") or "").strip(),
                       "url": (cta.get("url") or "").strip()})
    return {"version": 1, "blocks": blocks}


def editor_document(content: dict) -> dict:
    """What the block editor opens: the stored document, or the old content converted."""
    body = content.get("body")
    return body if isinstance(body, dict) else legacy_document(content)


def live_figures() -> dict:
    """The figures N°1 quotes, as formatted strings: coopérateurs count, one share's amount."""
    from coopcrm.members.models import Member, ShareMovement

    count = db.session.scalar(
        select(func.count()).select_from(Member)
        .where(Member.status == "cooperateur", Member.anonymised_dt.is_(None))
    ) or 0
    unit = db.session.scalar(
        select(ShareMovement.unit_amount).where(ShareMovement.kind == "subscription")
        .order_by(ShareMovement.occurred_on.desc(), ShareMovement.id.desc()).limit(1)
    )
    if unit is None:
        unit = current_app.config.get("SHARE_UNIT_AMOUNT", "16")
    return {"nombre_cooperateurs": fr.count(count), "montant_part": fr.money_prose(unit)}


def substitute(text: str | None, figures: dict, html: bool = False) -> str:
    """Replace the known placeholders only; values are escaped when `text` is HTML."""
    def replace(match: re.Match) -> str:
        value = str(figures.get(match.group(1), match.group(0)))
        return escape(value, quote=False) if html else value

    return _PLACEHOLDER.sub(replace, text or "")


def compose_body_html(content: dict, figures: dict) -> str:
    """Email-safe body: introduction, optional image, sections with h2 headings, links."""
    parts = []
    intro = clean_html(substitute(content.get("intro_html"), figures, html=True))
    if intro:
        parts.append(intro)
    image = (content.get("image_url") or "").strip()
    if is_http_url(image):
        parts.append(f'<p><img src="{escape(image)}" alt="" width="100%" '
                     'style="max-width:100%;height:auto;border-radius:6px"></p>')
    for section in content.get("sections") or []:
        heading = substitute(section.get("heading"), figures)
        if heading:
            parts.append(f"<h2>{escape(heading)}</h2>")
        body = clean_html(substitute(section.get("body_html"), figures, html=True))
        if body:
            parts.append(body)
    links = [cta for cta in content.get("ctas") or []
             if is_http_url(cta.get("url")) and (cta.get("label") or "").strip()]
    for cta in links:
        parts.append(f'<p><a href="{escape(cta["url"].strip())}"><strong>'
                     f'{escape(substitute(cta["label"].strip(), figures))}</strong></a></p>')
    return clean_html("\n".join(parts))


def archive_index_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/lettres"


def archive_url(year: int, number: int) -> str:
    """Absolute URL of an edition's page in the public archive (works outside requests)."""
    return f"{archive_index_url()}/{year}/{number}"


def edition_content(edition) -> dict:
    """What would go out now: the approved edition, else the issue's standing content."""
    return edition.content() if edition.status == "approved" else edition.issue.content()


def context_for(edition, content: dict, figures: dict) -> dict:
    """The template variables of emails/newsletter_edition for `edition` with `content`.

    A block document is compiled here, once for the whole send: `body_mjml` and
    `body_text` fill the template's body slot (recipients' placeholders stay
    Jinja variables), the figures go in as variables, and `archive_html` is
    the page the public archive shows. Older content gives `body_html`.
    """
    number = edition.issue.number
    context = {
        "issue_number": number,
        "year": edition.year,
        "title": substitute(content.get("title"), figures) or f"La lettre N°{number}",
        "teaser": substitute(content.get("teaser"), figures),
        "body_html": "",
        "archive_url": archive_url(edition.year, number),
        "archive_index_url": archive_index_url(),
        "approved": edition.status == "approved",
    }
    body = content.get("body")
    if isinstance(body, dict):
        base_url = current_app.config["BASE_URL"]
        compiled = compiling.compile_email(body, base_url=base_url,
                                           allowed=PLACEHOLDERS_ALLOWED)
        context.update({BODY_MJML: compiled.mjml, BODY_TEXT: compiled.text,
                        "archive_html": compiling.web_html(body, base_url=base_url,
                                                           values=figures)})
        context.update({name: figures.get(name, "") for name in PLACEHOLDERS})
    else:
        context["body_html"] = compose_body_html(content, figures)
    return context


def frozen_context(edition, figures: dict | None = None) -> dict:
    """Template variables of emails/newsletter_edition for this edition, as sent today.

    The approved edition's content if approved, else the issue's standing
    content (the cycle never stalls for want of an approval); placeholders
    filled with today's figures.
    """
    figures = live_figures() if figures is None else figures
    return context_for(edition, edition_content(edition), figures)
