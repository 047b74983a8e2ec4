"""Rich text of paragraphs and headings: sanitised with nh3, read into a small tree,
written out again for each format it enters.

Whatever comes in (the editor's HTML, a hostile POST, content written before
the block editor) goes through nh3 with a short allow-list first, then through
a parser that keeps paragraphs, lists, bold, italic, links, line breaks and
placeholder tokens (`<span data-placeholder="prenom"></span>`) and nothing else.
Every output is rebuilt from that tree, each text and attribute escaped for
where it goes: stored HTML, email HTML (where `{` is also escaped, since the
email is a Jinja template: a referent's `{{ config }}` stays text), the text
part (a Jinja template too) and a web page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

import nh3

# Links: web addresses and email addresses only (no javascript:, data:, relative paths).
URL_MAX = 500
_URL = re.compile(r"^(?:https?://[^\s/?#<>\"'`\\]+[^\s<>\"'`\\]*"
                  r"|mailto:[^\s<>\"'`\\@]+@[^\s<>\"'`\\@]+)$", re.I)

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_LISTS = {"ul", "ol"}
_BOLD, _ITALIC = {"strong", "b"}, {"em", "i"}
_ALLOWED_TAGS = _BLOCKS | _LISTS | _BOLD | _ITALIC | {"li", "a", "br", "span"}
_ATTRIBUTES = {"a": {"href"}, "span": {"data-placeholder"}}
_SCHEMES = {"http", "https", "mailto"}
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace, not the no-break space
_GUARDS = str.maketrans("", "", "\ufeff\u200b")  # the editor's invisible cursor guards


def is_url(value: str | None) -> bool:
    """An http(s) or mailto address, of acceptable length: the only links a document holds."""
    value = (value or "").strip()
    return bool(value) and len(value) <= URL_MAX and bool(_URL.match(value))


@dataclass(frozen=True)
class Token:
    """A placeholder in the text."""

    name: str


@dataclass
class Element:
    """p, ul, ol, li, strong, em, a (with href) or br."""

    tag: str
    children: list[Node] = field(default_factory=list)
    href: str = ""


Node = str | Token | Element


class _Reader(HTMLParser):
    """Sanitised HTML to a raw tree (tags as they come; the normalising happens after)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "br":
            self.stack[-1].children.append(Element("br"))
            return
        if tag == "span" and values.get("data-placeholder"):
            self.stack[-1].children.append(Token(values["data-placeholder"].strip()))
            self.stack.append(Element("placeholder-content"))  # what it shows is not kept
            return
        node = Element(tag, href=values.get("href", "").strip())
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag != "br":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        wanted = {"span": ("span", "placeholder-content")}.get(tag, (tag,))
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag in wanted:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        data = data.translate(_GUARDS)
        if data:
            self.stack[-1].children.append(data)


def _read(html: str | None) -> list[Node]:
    cleaned = nh3.clean(html or "", tags=_ALLOWED_TAGS, attributes=_ATTRIBUTES,
                        url_schemes=_SCHEMES, link_rel=None, strip_comments=True)
    reader = _Reader()
    reader.feed(cleaned)
    reader.close()
    return reader.root.children


def _has_content(nodes: Iterable[Node]) -> bool:
    for node in nodes:
        if isinstance(node, Token) or (isinstance(node, str) and node.strip()):
            return True
        if isinstance(node, Element) and node.tag != "br" and _has_content(node.children):
            return True
    return False


def _inline(nodes: Iterable[Node], in_link: bool = False) -> list[Node]:
    """Inline content only: blocks and lists met inside are unwrapped to their text."""
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, (str, Token)):
            out.append(node)
        elif node.tag == "br":
            out.append(Element("br"))
        elif node.tag in _BOLD or node.tag in _ITALIC:
            tag = "strong" if node.tag in _BOLD else "em"
            out.append(Element(tag, _inline(node.children, in_link)))
        elif node.tag == "a" and not in_link:
            out.append(Element("a", _inline(node.children, True), href=node.href))
        else:
            if out and node.tag in _BLOCKS | {"li"}:
                out.append(Element("br"))
            out.extend(_inline(node.children, in_link))
    return out


def _trim(nodes: list[Node]) -> list[Node]:
    """Without the line breaks that begin or end a paragraph."""
    while nodes and isinstance(nodes[0], Element) and nodes[0].tag == "br":
        nodes = nodes[1:]
    while nodes and isinstance(nodes[-1], Element) and nodes[-1].tag == "br":
        nodes = nodes[:-1]
    return nodes


def _paragraphs(nodes: list[Node]) -> list[Node]:
    """The top level of a paragraph block: p, ul and ol only (loose text gets its p)."""
    out: list[Node] = []
    run: list[Node] = []

    def flush() -> None:
        if _has_content(run):
            out.append(Element("p", _trim(_inline(run))))
        run.clear()

    for node in nodes:
        if isinstance(node, Element) and node.tag in _BLOCKS | {"li"}:
            flush()
            run.extend(node.children)
            flush()
        elif isinstance(node, Element) and node.tag in _LISTS:
            flush()
            items: list[Node] = []
            for child in node.children:
                content = child.children if isinstance(child, Element) and child.tag == "li" \
                    else [child]
                if _has_content(content):
                    items.append(Element("li", _trim(_inline(content))))
            if items:
                out.append(Element(node.tag, items))
        else:
            run.append(node)
    flush()
    return out


def parse(html: str | None) -> list[Node]:
    """A paragraph block's rich text, sanitised and normalised."""
    return _paragraphs(_read(html))


def parse_inline(html: str | None) -> list[Node]:
    """A heading: its text and placeholders only (any formatting dropped)."""
    def flat(nodes: Iterable[Node]) -> list[Node]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, (str, Token)):
                out.append(node)
            elif node.tag == "br":
                out.append(" ")
            else:
                out.extend(flat(node.children))
        return out

    return flat(_read(html))


# -- reading the tree --------------------------------------------------------------


def _walk(nodes: Iterable[Node]) -> Iterable[Node]:
    for node in nodes:
        yield node
        if isinstance(node, Element):
            yield from _walk(node.children)


def tokens(nodes: Iterable[Node]) -> list[str]:
    """The placeholder names used, in order."""
    return [n.name for n in _walk(nodes) if isinstance(n, Token)]


def links(nodes: Iterable[Node]) -> list[str]:
    """The addresses of the links (empty when nh3 removed a refused one)."""
    return [n.href for n in _walk(nodes) if isinstance(n, Element) and n.tag == "a"]


def plain_text(nodes: Iterable[Node]) -> str:
    """The visible text without placeholders, whitespace collapsed (for lengths, emptiness)."""
    return " ".join("".join(n for n in _walk(nodes) if isinstance(n, str)).split())


# -- writing it out ----------------------------------------------------------------


def _html_text(value: str) -> str:
    return escape(value, quote=True)


def jinja_html(value: str) -> str:
    """`value` escaped for HTML inside a Jinja template: `{` too, so no tag can open."""
    return escape(value, quote=True).replace("{", "&#123;")


def jinja_text(value: str) -> str:
    """`value` as literal text of a Jinja text template (each `{` printed by Jinja itself)."""
    return value.replace("{", "{{ '{' }}")


_EMAIL_STYLE = {"p": "margin:0 0 12px;", "ul": "margin:0 0 12px;padding-left:24px;",
                "ol": "margin:0 0 12px;padding-left:24px;"}


def _html(nodes: Iterable[Node], text: Callable[[str], str], token: Callable[[str], str],
          styled: bool) -> str:
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(text(node))
        elif isinstance(node, Token):
            parts.append(token(node.name))
        elif node.tag == "br":
            parts.append("<br>")
        elif node.tag == "a":
            inner = _html(node.children, text, token, styled)
            # Checked when saved; checked again here, so a stored link never needs trusting.
            parts.append(f'<a href="{text(node.href)}">{inner}</a>' if is_url(node.href)
                         else inner)
        else:
            style = _EMAIL_STYLE.get(node.tag) if styled else None
            opening = f'<{node.tag} style="{style}">' if style else f"<{node.tag}>"
            parts.append(f"{opening}{_html(node.children, text, token, styled)}</{node.tag}>")
    return "".join(parts)


def to_storage(nodes: Iterable[Node]) -> str:
    """The canonical HTML kept in the document."""
    return _html(nodes, _html_text,
                 lambda name: f'<span data-placeholder="{_html_text(name)}"></span>', False)


def to_email_html(nodes: Iterable[Node], expression: Callable[[str], str | None]) -> str:
    """HTML for an email template: placeholders become `{{ expression }}` (known ones only)."""
    def token(name: str) -> str:
        found = expression(name)
        return "{{ " + found + " }}" if found else ""

    return _html(nodes, jinja_html, token, True)


def to_web_html(nodes: Iterable[Node], values: Mapping[str, str]) -> str:
    """HTML for a web page: placeholders replaced by `values` (escaped)."""
    return _html(nodes, _html_text, lambda name: _html_text(values.get(name, "")), False)


def to_text(nodes: Iterable[Node], expression: Callable[[str], str | None]) -> str:
    """The text part, as a Jinja text template: paragraphs, `- ` items, `label (address)`."""
    def inline(children: Iterable[Node]) -> str:
        out = []
        for node in children:
            if isinstance(node, str):
                out.append(jinja_text(_SPACES.sub(" ", node)))
            elif isinstance(node, Token):
                found = expression(node.name)
                out.append("{{ " + found + " }}" if found else "")
            elif node.tag == "br":
                out.append("\n")
            elif node.tag == "a":
                label = inline(node.children)
                if is_url(node.href) and plain(node.children) != node.href:
                    label += f" ({jinja_text(node.href)})"
                out.append(label)
            else:
                out.append(inline(node.children))
        return "".join(out)

    def plain(children: Iterable[Node]) -> str:
        return "".join(n for n in _walk(children) if isinstance(n, str)).strip()

    def lines(value: str) -> str:
        return "\n".join(line.strip() for line in value.split("\n")).strip()

    paragraphs = []
    for node in nodes:
        if isinstance(node, Element) and node.tag in _LISTS:
            items = [child for child in node.children if isinstance(child, Element)]
            paragraphs.append("\n".join(
                (f"{i}. " if node.tag == "ol" else "- ") + lines(inline(item.children))
                for i, item in enumerate(items, start=1)))
        elif isinstance(node, Element):
            paragraphs.append(lines(inline(node.children)))
        else:
            paragraphs.append(lines(inline([node])))
    return "\n\n".join(p for p in paragraphs if p)
