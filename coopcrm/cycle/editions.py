"""Editing, approving and reopening editions; editing an issue's dates and standing content."""

from __future__ import annotations

import calendar

from sqlalchemy import select

from coopcrm import clock, fr, plaintext
from coopcrm.blocks import document as blocks
from coopcrm.cycle.content import PLACEHOLDERS_ALLOWED, clean_content, is_http_url
from coopcrm.cycle.due import lock
from coopcrm.cycle.models import EDITION_STATUSES, Edition, NewsletterIssue
from coopcrm.cycle.schedule import send_dt
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.models import text_limit
from coopcrm.params import parse_int

MAX_SECTIONS = 4
MAX_CTAS = 3
# Sections and links are JSON, with no column length to read: their limits live here.
HEADING_MAX, CTA_LABEL_MAX, CTA_URL_MAX = 200, 100, 500
_HTML_MAX = 20_000
BODY_FIELD = "body"  # the editor's hidden field; a block's message is keyed body-<n>
FROZEN_MESSAGE = "Cette édition est déjà partie : son contenu ne peut plus être modifié."


def _check_heads(content: dict, errors: dict) -> None:
    """Title and teaser: what every content has, whatever its body."""
    if not content["title"]:
        errors["title"] = "Donnez un titre à la lettre."
    elif len(content["title"]) > (limit := text_limit(Edition, "title")):
        errors["title"] = f"Le titre est trop long ({limit} caractères au plus)."
    if len(content["teaser"]) > (limit := text_limit(Edition, "teaser")):
        errors["teaser"] = f"L'accroche est trop longue ({limit} caractères au plus)."


def _validate_document_content(data: dict) -> dict:
    """Title, teaser and a block document (what the block editor sends)."""
    content = clean_content({"title": data.get("title"), "teaser": data.get("teaser")})
    errors: dict[str, str] = {}
    _check_heads(content, errors)
    try:
        content["body"] = blocks.validate(data["body"], allowed=PLACEHOLDERS_ALLOWED,
                                          field=BODY_FIELD)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return content  # the fields of the older shape come back empty: the document replaces them


def validate_content(data: dict) -> dict:
    """The cleaned content, or ValidationFailed with a French message per form field.

    With a `body` (a block document, or the editor's JSON of one), the content is
    title, teaser and that document; without, the shape from before the block
    editor (introduction, sections, image, links), checked as it always was.
    """
    if data.get("body") is not None:
        return _validate_document_content(data)
    content = clean_content(data)
    errors: dict[str, str] = {}
    _check_heads(content, errors)
    if len(content["intro_html"]) > _HTML_MAX:
        errors["intro_html"] = "L'introduction est trop longue."
    if content["image_url"] and not is_http_url(content["image_url"]):
        errors["image_url"] = "L'adresse de l'image doit commencer par https:// (ou http://)."
    elif len(content["image_url"]) > text_limit(Edition, "image_url"):
        errors["image_url"] = "L'adresse de l'image est trop longue."
    if len(content["sections"]) > MAX_SECTIONS:
        errors["sections"] = f"{MAX_SECTIONS} rubriques au plus."
    for i, section in enumerate(content["sections"][:MAX_SECTIONS], start=1):
        if len(section["heading"]) > HEADING_MAX:
            errors[f"section{i}_heading"] = ("Le titre de la rubrique est trop long "
                                             f"({HEADING_MAX} caractères au plus).")
        if len(section["body_html"]) > _HTML_MAX:
            errors[f"section{i}_body"] = "Le texte de la rubrique est trop long."
    if len(content["ctas"]) > MAX_CTAS:
        errors["ctas"] = f"{MAX_CTAS} liens au plus."
    for i, cta in enumerate(content["ctas"][:MAX_CTAS], start=1):
        if not cta["label"]:
            errors[f"cta{i}_label"] = "Donnez le texte du lien."
        elif len(cta["label"]) > CTA_LABEL_MAX:
            errors[f"cta{i}_label"] = ("Le texte du lien est trop long "
                                       f"({CTA_LABEL_MAX} caractères au plus).")
        if not is_http_url(cta["url"]) or len(cta["url"]) > CTA_URL_MAX:
            errors[f"cta{i}_url"] = "L'adresse du lien doit commencer par https:// (ou http://)."
    sections = list(enumerate(content["sections"][:MAX_SECTIONS], start=1))
    ctas = list(enumerate(content["ctas"][:MAX_CTAS], start=1))
    errors.update(plaintext.problems(
        lines={"title": content["title"], "teaser": content["teaser"],
               "image_url": content["image_url"],
               **{f"section{i}_heading": s["heading"] for i, s in sections},
               **{f"cta{i}_label": c["label"] for i, c in ctas},
               **{f"cta{i}_url": c["url"] for i, c in ctas}},
        texts={"intro_html": content["intro_html"],
               **{f"section{i}_body": s["body_html"] for i, s in sections}}))
    if errors:
        raise ValidationFailed(errors)
    return content


def _refuse_if_frozen(edition: Edition) -> None:
    if edition.frozen_dt is not None:
        raise ValidationFailed({"edition": FROZEN_MESSAGE})


def update_content(edition: Edition, data: dict, user) -> Edition:
    """Save the edition's content; an approved edition goes back to draft (the text changed)."""
    content = validate_content(data)
    edition = lock(edition)
    _refuse_if_frozen(edition)
    for name, value in content.items():
        setattr(edition, name, value)
    return _back_to_draft(edition, user)


def approve(edition: Edition, user) -> Edition:
    """Mark the edition's content as the one to send on its date."""
    edition = lock(edition)
    _refuse_if_frozen(edition)
    validate_content(edition.content())  # a standing content with no title cannot be approved
    edition.status = "approved"
    edition.approved_dt = clock.now()
    edition.approved_by_id = user.id
    db.session.flush()
    return edition


def reopen(edition: Edition, user) -> Edition:
    """Back to draft: until approved again, the standing content would go out."""
    edition = lock(edition)
    _refuse_if_frozen(edition)
    return _back_to_draft(edition, user)


def _back_to_draft(edition: Edition, user) -> Edition:
    edition.status = "draft"
    edition.approved_dt = None
    edition.approved_by_id = None
    edition.edited_dt = clock.now()
    edition.edited_by_id = user.id
    db.session.flush()
    return edition


def _int(data: dict, name: str, low: int, high: int, label: str, errors: dict) -> int | None:
    """data[name] as a whole number in [low, high], or None with a French error for `label`."""
    try:
        value = parse_int(data.get(name), low=0)
    except ValueError:
        value = None
    if value is None:
        errors[name] = f"Indiquez {label}."
    elif not low <= value <= high:
        errors[name] = f"{label[0].upper()}{label[1:]} doit être entre {low} et {high}."
        value = None
    return value


def validate_schedule(data: dict) -> dict:
    """month/day/hour/minute checked (a 31 February or a 31 April is refused)."""
    errors: dict[str, str] = {}
    month = _int(data, "send_month", 1, 12, "le mois", errors)
    day = _int(data, "send_day", 1, 31, "le jour", errors)
    hour = _int(data, "send_hour", 0, 23, "l'heure", errors)
    minute = _int(data, "send_minute", 0, 59, "les minutes", errors)
    if month and day and day > calendar.monthrange(2024, month)[1]:  # 2024: 29 February allowed
        errors["send_day"] = "Cette date n'existe pas (le mois a moins de jours)."
    if errors:
        raise ValidationFailed(errors)
    return {"send_month": month, "send_day": day, "send_hour": hour, "send_minute": minute}


def update_issue(issue: NewsletterIssue, data: dict, user) -> NewsletterIssue:
    """Admins: an issue's date, theme and standing content; unfrozen editions follow the date."""
    errors = {}
    try:
        timing = validate_schedule(data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        content = validate_content(data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    theme = (data.get("theme") or issue.theme or "").strip()
    if len(theme) > (limit := text_limit(NewsletterIssue, "theme")):
        errors["theme"] = f"Le thème est trop long ({limit} caractères au plus)."
    errors.update(plaintext.problems(lines={"theme": theme}))
    if errors:
        raise ValidationFailed(errors)
    moved = any(getattr(issue, k) != v for k, v in timing.items())
    for name, value in {**timing, **content, "theme": theme}.items():
        setattr(issue, name, value)
    if moved:
        for edition in db.session.scalars(
                select(Edition).where(Edition.issue_id == issue.id,
                                      Edition.frozen_dt.is_(None)).with_for_update(of=Edition)):
            edition.send_dt = send_dt(issue, edition.year)
    db.session.flush()
    return issue


def status_label(edition: Edition) -> str:
    """brouillon / approuvée / envoyée le … / clôturée, in French."""
    if edition.closed_dt is not None:
        return "Clôturée"
    if edition.frozen_dt is not None:
        return f"Envoyée le {fr.datetime(edition.frozen_dt, at=True)}"
    return EDITION_STATUSES[edition.status]
