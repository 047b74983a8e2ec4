"""A document compiled, once, for an email (MJML and text part) or for a web page.

The email outputs are Jinja templates: a placeholder becomes `{{ member.first_name }}`
(its registry expression), rendered per recipient by sending.rendering; every
stored value is escaped for where it lands (HTML text or attribute, with `{`
escaped as well, or literal text of the text part), so nothing a referent
writes is ever evaluated. They fill the body slot of an email template
(`sending.rendering.BODY_MJML` / `BODY_TEXT`). The web output replaces the
placeholders by values and needs no template.

Compiling reads a stored document and trusts none of it: rich text goes through
nh3 again, links and placeholder names are checked again, bad ones dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from coopcrm.blocks import images, richtext
from coopcrm.blocks.document import blocks_of
from coopcrm.blocks.placeholders import ALL_NAMES, REGISTRY
from coopcrm.blocks.richtext import jinja_html, jinja_text

# The email column is 600 pixels wide, mj-text and mj-image pad 25 pixels each side.
FULL_WIDTH, COLUMN_WIDTH = 550, 250
_HEADING_STYLE = {2: "margin:8px 0 0;font-size:20px;line-height:1.3;",
                  3: "margin:4px 0 0;font-size:17px;line-height:1.3;"}
_CONTACT_BACKGROUND = "#eef5f2"
_DIVIDER_COLOR = "#d9d9d0"
_TEL = re.compile(r"[^0-9+]")


@dataclass(frozen=True)
class Compiled:
    """The body of an email: MJML sections and the text part, Jinja placeholders in both."""

    mjml: str
    text: str


def _expression(allowed: frozenset[str]) -> Callable[[str], str | None]:
    def find(name: str) -> str | None:
        entry = REGISTRY.get(name)
        return entry.expression if entry is not None and name in allowed else None
    return find


def _image_source(item: dict, base_url: str) -> tuple[str, int | None] | None:
    """(absolute address, natural width) of an image block, or None when unusable."""
    name = item.get("image")
    if isinstance(name, str) and images.valid_name(name):
        size = images.dimensions(name)
        return images.url(name, base_url), size[0] if size else None
    url = item.get("url")
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")) \
            and richtext.is_url(url):
        return url, None
    return None


def _level(item: dict) -> int:
    level = item.get("level")
    return level if isinstance(level, int) and level in _HEADING_STYLE else 2


def _text_value(item: dict, key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _button(item: dict) -> tuple[str, str] | None:
    """(label, address) of a button block, or None when either is unusable."""
    label, url = _text_value(item, "label"), _text_value(item, "url")
    return (label, url) if label and richtext.is_url(url) else None


# -- email ---------------------------------------------------------------------------


def _mj_image(item: dict, base_url: str, width: int) -> str:
    found = _image_source(item, base_url)
    if found is None:
        return ""
    src, natural = found
    # Never wider than the image itself (no blur); mj-image fills the column otherwise.
    size = f' width="{natural}px"' if natural and natural < width else ""
    return (f'<mj-image src="{jinja_html(src)}" alt="{jinja_html(_text_value(item, "alt"))}"'
            f'{size} />')


def _mj_paragraph(item: dict, find) -> str:
    html = richtext.to_email_html(richtext.parse(item.get("html")), find)
    return f"<mj-text>{html}</mj-text>" if html else ""


def _mj_contact(block: dict) -> str:
    lines = []
    if name := _text_value(block, "name"):
        lines.append(f"<strong>{jinja_html(name)}</strong>")
    if role := _text_value(block, "role"):
        lines.append(jinja_html(role))
    if email := _text_value(block, "email"):
        lines.append(f'<a href="mailto:{jinja_html(email)}">{jinja_html(email)}</a>')
    if phone := _text_value(block, "phone"):
        lines.append(f'<a href="tel:{_TEL.sub("", phone)}">{jinja_html(phone)}</a>')
    for line in _text_value(block, "address").splitlines():
        lines.append(jinja_html(line))
    if not lines:
        return ""
    return (f'<mj-section padding="0 0 8px"><mj-column background-color="{_CONTACT_BACKGROUND}"'
            f' padding="8px 0"><mj-text>{"<br>".join(lines)}</mj-text></mj-column></mj-section>')


def _mj_single(block: dict, base_url: str, find) -> str:
    """A block that sits in the document's one column."""
    kind = block.get("type")
    if kind == "heading":
        level = _level(block)
        nodes = richtext.parse_inline(block.get("text"))
        html = richtext.to_email_html(nodes, find)
        return (f'<mj-text><h{level} style="{_HEADING_STYLE[level]}">{html}</h{level}>'
                "</mj-text>") if html.strip() else ""
    if kind == "paragraph":
        return _mj_paragraph(block, find)
    if kind == "image":
        return _mj_image(block, base_url, FULL_WIDTH)
    if kind == "button":
        if (found := _button(block)) is None:
            return ""
        label, url = found
        return f'<mj-button href="{jinja_html(url)}">{jinja_html(label)}</mj-button>'
    if kind == "divider":
        return (f'<mj-divider border-width="1px" border-color="{_DIVIDER_COLOR}" '
                'padding="16px 25px" />')
    return ""


def _column_items(block: dict) -> list[list[dict]]:
    columns = block.get("columns")
    if not isinstance(columns, list):
        return []
    return [[i for i in column if isinstance(i, dict)] if isinstance(column, list) else []
            for column in columns[:2]]


def _mjml(document: Any, base_url: str, find) -> str:
    sections: list[str] = []
    run: list[str] = []  # consecutive one-column blocks share a section: smaller HTML

    def flush() -> None:
        if run:
            sections.append(f"<mj-section><mj-column>{''.join(run)}</mj-column></mj-section>")
            run.clear()

    for block in blocks_of(document):
        kind = block.get("type")
        if kind == "columns":
            columns = _column_items(block)
            if not any(columns):
                continue
            flush()
            cells = []
            for column in columns:
                parts = [_mj_paragraph(i, find) if i.get("type") == "paragraph"
                         else _mj_image(i, base_url, COLUMN_WIDTH)
                         for i in column if i.get("type") in ("paragraph", "image")]
                cells.append(f"<mj-column>{''.join(parts)}</mj-column>")
            sections.append(f"<mj-section>{''.join(cells)}</mj-section>")
        elif kind == "contact":
            if contact := _mj_contact(block):
                flush()
                sections.append(contact)
        elif part := _mj_single(block, base_url, find):
            run.append(part)
    flush()
    return "\n".join(sections)


# -- text part -----------------------------------------------------------------------


def _text_item(item: dict, base_url: str, find) -> str:
    kind = item.get("type")
    if kind == "heading":
        return richtext.to_text(
            [richtext.Element("p", richtext.parse_inline(item.get("text")))], find)
    if kind == "paragraph":
        return richtext.to_text(richtext.parse(item.get("html")), find)
    if kind == "image":
        alt = _text_value(item, "alt")
        return f"[Image : {jinja_text(alt)}]" if alt and _image_source(item, base_url) else ""
    if kind == "button":
        found = _button(item)
        return f"{jinja_text(found[0])} : {jinja_text(found[1])}" if found else ""
    if kind == "divider":
        return "----------"
    if kind == "contact":
        return "\n".join(jinja_text(v) for key in ("name", "role", "email", "phone", "address")
                         if (v := _text_value(item, key)))
    if kind == "columns":
        return "\n\n".join(p for column in _column_items(item) for i in column
                           if (p := _text_item(i, base_url, find)))
    return ""


def _text(document: Any, base_url: str, find) -> str:
    return "\n\n".join(p for block in blocks_of(document)
                       if (p := _text_item(block, base_url, find)))


def compile_email(document: Any, *, base_url: str,
                  allowed: frozenset[str] = ALL_NAMES) -> Compiled:
    """The document as an email body: MJML sections and text, with Jinja placeholders.

    `allowed`: the placeholders the sender's context provides (others are dropped).
    Images get absolute addresses under `base_url` (COOPCRM_BASE_URL).
    """
    find = _expression(allowed)
    return Compiled(_mjml(document, base_url, find), _text(document, base_url, find))


# -- web page ------------------------------------------------------------------------


def _web_item(item: dict, base_url: str, values: Mapping[str, str]) -> str:
    kind = item.get("type")
    if kind == "heading":
        level = _level(item)
        html = richtext.to_web_html(richtext.parse_inline(item.get("text")), values)
        return f"<h{level}>{html}</h{level}>" if html.strip() else ""
    if kind == "paragraph":
        return richtext.to_web_html(richtext.parse(item.get("html")), values)
    if kind == "image":
        found = _image_source(item, base_url)
        if found is None:
            return ""
        src, natural = found
        size = f' width="{natural}"' if natural and natural < 700 else ""
        return (f'<p><img src="{escape(src)}" alt="{escape(_text_value(item, "alt"))}"'
                f"{size}></p>")
    if kind == "button":
        if (button := _button(item)) is None:
            return ""
        label, url = button
        return f'<p><a href="{escape(url)}"><strong>{escape(label)}</strong></a></p>'
    if kind == "divider":
        return "<hr>"
    if kind == "contact":
        lines = [escape(v) for key in ("name", "role") if (v := _text_value(item, key))]
        if email := _text_value(item, "email"):
            lines.append(f'<a href="mailto:{escape(email)}">{escape(email)}</a>')
        if phone := _text_value(item, "phone"):
            lines.append(escape(phone))
        lines += [escape(line) for line in _text_value(item, "address").splitlines()]
        return f"<p>{'<br>'.join(lines)}</p>" if lines else ""
    if kind == "columns":  # a page reflows: the columns one after the other
        return "".join(_web_item(i, base_url, values) for column in _column_items(item)
                       for i in column)
    return ""


def web_html(document: Any, *, base_url: str, values: Mapping[str, str] | None = None) -> str:
    """The document as simple HTML for a page anyone may read (the public archive).

    Placeholders take `values` (the figures of a send), else their generic text
    ("votre résidence"): a page has no recipient.
    """
    filled = {p.name: p.generic for p in REGISTRY.values()}
    filled.update(values or {})
    return "\n".join(p for block in blocks_of(document)
                     if (p := _web_item(block, base_url, filled)))
