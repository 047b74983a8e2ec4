"""Email templates: MJML compiled once per template, then Jinja per recipient.

A message template is `emails/<key>.mjml` (the body sections, placed into
`emails/_layout.mjml`) plus `emails/<key>.txt` (the plain-text part, which
extends `_layout.txt`). The `.mjml` file opens with a comment holding the
subject, preheader, label and whether the message is bulk:

    <!--
    label: Invitation à un questionnaire
    subject: {{ survey_title }} : votre avis compte
    preheader: Quelques questions...
    bulk: yes
    -->

`<mj-include path="partials/x.mjml" name="value" />` pastes a partial at
compile time, replacing `$name` in it by `value`. MJML compilation turns the
whole into HTML that still holds the Jinja tags; that HTML is compiled once
into a Jinja template (autoescaped) and cached for the life of the process.

A template may leave room for a compiled document (coopcrm.blocks: the block
editor's output, compiled once per document): `<!-- BODY -->` in its `.mjml`
and `{# BODY #}` in its `.txt` take the context's `body_mjml` and `body_text`
(`for_context`). That MJML is compiled once per document and cached like the
files; its placeholders are Jinja variables of the context, and every value the
referent wrote in it is already escaped (`{` included), so nothing in it is
evaluated.

Variables whose name ends in `_html` hold HTML: sending.services sanitises
them at enqueue and they are inserted unescaped; everything else is escaped.
Variables whose name ends in `_secret_url` hold a link that works as a
credential (a password reset): the message is sent with it, but the outbox
pages show an inert one (`inert_secrets`), since staff who may read any message
must not be able to use another user's link.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import jinja2
import jinja2.meta
from flask import current_app
from markupsafe import Markup
from mjml import mjml2html

from coopcrm import fr, resources

_HEADER = re.compile(r"\A\s*<!--(.*?)-->\s*", re.S)
_INCLUDE = re.compile(r"<mj-include\s+([^>]*?)/>")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class TemplateNotFound(LookupError):
    """No email template of that name."""


class _Undefined(jinja2.StrictUndefined):
    """Printing a missing variable fails (no "Bonjour ,"); testing it is simply false."""

    def __bool__(self) -> bool:  # type: ignore[override]  # jinja2 types it as always raising
        return False

    def __iter__(self):
        return iter(())


@dataclass(frozen=True)
class EmailTemplate:
    """A compiled message template."""

    key: str
    label: str
    bulk: bool
    subject: jinja2.Template
    subject_vars: frozenset  # the variables the subject uses (one render per send if shared)
    preheader: jinja2.Template
    html: jinja2.Template
    text: jinja2.Template
    compiled_html: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    preheader: str
    html: str
    text: str


# -- filters -----------------------------------------------------------------

_BLOCK_END = re.compile(r"</(p|div|h[1-6]|ul|ol|table|tr)>|<br\s*/?>", re.I)
_LI = re.compile(r"<li[^>]*>", re.I)
_LINK = re.compile(r'<a\s[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")


def html_to_text(value) -> str:
    """Plain text from the small sanitised HTML referents write (paragraphs, lists, links)."""
    if not value:
        return ""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", str(value))
    text = _LI.sub("\n- ", text)
    text = _BLOCK_END.sub("\n", text)
    text = unescape(_TAG.sub("", text))
    return _BLANKS.sub("\n\n", text).strip()


def _env(autoescape: bool, folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=autoescape,
        undefined=_Undefined,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters.update(fr.email_filters(), html_to_text=html_to_text)
    return env


# -- compilation and cache ---------------------------------------------------

_lock = threading.Lock()
_cache: dict[tuple[str, str], EmailTemplate] = {}
# Templates with a document in their body slot, by (folder, key, digest of the document).
_bodied: OrderedDict[tuple[str, str, str], EmailTemplate] = OrderedDict()
BODIED_CACHE_SIZE = 64  # documents in use at once: a few editions and campaigns

BODY_MJML, BODY_TEXT = "body_mjml", "body_text"
MJML_SLOT, TEXT_SLOT = "<!-- BODY -->", "{# BODY #}"
_envs: dict[str, tuple[jinja2.Environment, jinja2.Environment]] = {}


def emails_dir() -> Path:
    """The folder holding the MJML sources (COOPCRM_EMAILS_DIR, else the shipped ones)."""
    configured = current_app.config.get("EMAILS_DIR")
    if configured:
        return Path(configured)
    return resources.folder(resources.EMAILS)


SECRET_SUFFIX = "_secret_url"


def inert_secrets(context: dict) -> dict:
    """`context` with every `*_secret_url` replaced by a link that opens nothing."""
    inert = str(context.get("base_url", "")) + "/lien-masque"
    return {k: inert if k.endswith(SECRET_SUFFIX) else v for k, v in context.items()}


def template_keys() -> list[str]:
    """Every message template available, sorted."""
    return sorted(p.stem for p in emails_dir().glob("*.mjml") if not p.stem.startswith("_"))


def get(key: str) -> EmailTemplate:
    """The compiled template `key` (compiled on first use, then cached)."""
    folder = emails_dir()
    cache_key = (str(folder), key)
    found = _cache.get(cache_key)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(cache_key)
        if found is None:
            found = _cache[cache_key] = _compile(folder, key)
    return found


def for_context(key: str, context: Mapping) -> EmailTemplate:
    """The template `key`, with the compiled document `context` carries in its body slot.

    Without `body_mjml` in the context, `get(key)`. A document is compiled once
    (then cached), whatever the number of recipients.
    """
    mjml = context.get(BODY_MJML)
    if not mjml:
        return get(key)
    text = context.get(BODY_TEXT) or ""
    folder = emails_dir()
    digest = hashlib.sha256(f"{mjml}\0{text}".encode()).hexdigest()
    cache_key = (str(folder), key, digest)
    with _lock:
        found = _bodied.get(cache_key)
        if found is None:
            found = _bodied[cache_key] = _compile(folder, key, (mjml, text))
            while len(_bodied) > BODIED_CACHE_SIZE:
                _bodied.popitem(last=False)
        else:
            _bodied.move_to_end(cache_key)
    return found


def clear_cache() -> None:
    """Forget compiled templates (after editing the MJML sources)."""
    with _lock:
        _cache.clear()
        _bodied.clear()
        _envs.clear()


def _environments(folder: Path) -> tuple[jinja2.Environment, jinja2.Environment]:
    envs = _envs.get(str(folder))
    if envs is None:
        envs = _envs[str(folder)] = (_env(True, folder), _env(False, folder))
    return envs


def _compile(folder: Path, key: str, document: tuple[str, str] | None = None) -> EmailTemplate:
    if not _KEY.match(key) or not (folder / f"{key}.mjml").is_file():
        raise TemplateNotFound(key)
    html_env, text_env = _environments(folder)
    source = (folder / f"{key}.mjml").read_text(encoding="utf-8")
    header, body = _split_header(source)
    layout = (folder / "_layout.mjml").read_text(encoding="utf-8")
    mjml = _expand_includes(folder, layout.replace("<!-- CONTENT -->", body))
    text = text_env.get_template(f"{key}.txt")
    if document is not None:
        text_source = (folder / f"{key}.txt").read_text(encoding="utf-8")
        if mjml.count(MJML_SLOT) != 1 or text_source.count(TEXT_SLOT) != 1:
            raise ValueError(f"the email template {key} has no body slot for a document")
        # Pasted after the includes: nothing in the document is read as a directive.
        mjml = mjml.replace(MJML_SLOT, document[0])
        text = text_env.from_string(text_source.replace(TEXT_SLOT, document[1]))
    compiled = mjml2html(mjml, disable_comments=True)
    return EmailTemplate(
        key=key,
        label=header.get("label", key),
        bulk=header.get("bulk", "yes").lower() in ("yes", "oui", "true", "1"),
        subject=text_env.from_string(header.get("subject", "")),
        subject_vars=frozenset(jinja2.meta.find_undeclared_variables(
            text_env.parse(header.get("subject", "")))),
        preheader=text_env.from_string(header.get("preheader", "")),
        html=html_env.from_string(compiled),
        text=text,
        compiled_html=compiled,
    )


def _split_header(source: str) -> tuple[dict[str, str], str]:
    match = _HEADER.match(source)
    if not match:
        return {}, source
    fields = {}
    for line in match.group(1).strip().splitlines():
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields, source[match.end():]


def _expand_includes(folder: Path, mjml: str, depth: int = 0) -> str:
    if depth > 5:
        raise ValueError("mj-include nested too deep")

    def paste(match: re.Match) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        path = (folder / attrs.pop("path")).resolve()
        if folder.resolve() not in path.parents:
            raise ValueError(f"mj-include outside the emails folder: {path}")
        text = path.read_text(encoding="utf-8")
        for name, value in attrs.items():
            text = text.replace(f"${name}", value)
        return _expand_includes(folder, text, depth + 1)

    return _INCLUDE.sub(paste, mjml)


def samples() -> dict[str, dict]:
    """Example variables for each template (previews, tests), from emails/_samples.json."""
    path = emails_dir() / "_samples.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


# -- rendering ---------------------------------------------------------------


def mark_html(context: dict) -> dict:
    """Context with `*_html` values (sanitised at enqueue) marked safe for the HTML part."""
    return {k: Markup(v) if k.endswith("_html") and isinstance(v, str) else v
            for k, v in context.items()}


def render_subject(template: EmailTemplate, context: dict) -> str:
    """The subject line for one recipient (single line, trimmed)."""
    # Only the variables the subject uses: Jinja copies its whole context per render.
    used = {k: context[k] for k in template.subject_vars if k in context}
    return " ".join(template.subject.render(used).split())[:300]


def render(template: EmailTemplate, context: dict, subject: str | None = None) -> Rendered:
    """Both parts of one message; `context` already holds the system variables."""
    if subject is None:
        subject = render_subject(template, context)
    preheader = " ".join(template.preheader.render(context).split())
    full = {**context, "subject": subject, "preheader": preheader}
    html = template.html.render(mark_html(full))
    text = template.text.render(full).strip() + "\n"
    return Rendered(subject, preheader, html, text)
