"""A document: the ordered blocks a referent writes, their limits, and their checking.

Stored as JSON: `{"version": 1, "blocks": [block, ...]}` where a block is one of

    {"type": "heading", "text": "<inline HTML: text and placeholders>", "level": 2}
    {"type": "paragraph", "html": "<p>…</p><ul><li>…</li></ul>"}
    {"type": "image", "image": "<stored name>", "alt": "…"}
    {"type": "button", "label": "…", "url": "https://…"}
    {"type": "columns", "columns": [[paragraph|image, …], [paragraph|image, …]]}
    {"type": "divider"}
    {"type": "contact", "name": "…", "role": "…", "email": "…", "phone": "…", "address": "…"}

(an image written before the block editor may instead have `"url"`, an outside
address). `validate` returns the canonical document to store, or raises
ValidationFailed with one French message per faulty block, keyed `body-<n>`.
The limits are named here, once; the JSON has no column length to read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from email_validator import EmailNotValidError, validate_email

from coopcrm.blocks import images, richtext
from coopcrm.blocks.placeholders import ALL_NAMES, REGISTRY
from coopcrm.errors import ValidationFailed

VERSION = 1
MAX_BLOCKS = 60
MAX_COLUMN_ITEMS = 4
MAX_JSON_CHARS = 400_000  # what the editor may post, before it is even read
HEADING_MAX = 200
PARAGRAPH_MAX = 20_000  # characters of the stored HTML
ALT_MAX = 250
BUTTON_LABEL_MAX = 100
CONTACT_NAME_MAX = 100
CONTACT_ROLE_MAX = 100
CONTACT_EMAIL_MAX = 254
CONTACT_PHONE_MAX = 40
CONTACT_ADDRESS_MAX = 300
HEADING_LEVELS = (2, 3)

BLOCK_TYPES = {
    "heading": "Titre",
    "paragraph": "Paragraphe",
    "image": "Image",
    "button": "Bouton",
    "columns": "Deux colonnes",
    "divider": "Séparateur",
    "contact": "Coordonnées",
}
COLUMN_TYPES = ("paragraph", "image")
COLUMN_NAMES = ("colonne de gauche", "colonne de droite")
URL_RULE = "doit commencer par https://, http:// ou mailto:"
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{2,}$")


def empty() -> dict:
    """A document with no block."""
    return {"version": VERSION, "blocks": []}


def blocks_of(document: Any) -> list[dict]:
    """The blocks of a stored document, tolerating a malformed one (read, never trusted)."""
    blocks = document.get("blocks") if isinstance(document, dict) else None
    return [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []


def is_empty(document: Any) -> bool:
    return not blocks_of(document)


def parse_json(raw: str | None, *, field: str = "body") -> Any:
    """The editor's hidden field read as JSON, or ValidationFailed in French."""
    if raw is None or len(raw) > MAX_JSON_CHARS:
        raise ValidationFailed({field: "Le contenu est trop long ou n'a pas été envoyé."})
    try:
        return json.loads(raw or "{}")
    except ValueError:
        raise ValidationFailed({field: "Le contenu envoyé est illisible : rechargez la page "
                                       "et recommencez."}) from None


class _Refused(Exception):
    """One block's problem, in French (without the "Bloc n" prefix)."""


def _string(block: dict, name: str) -> str:
    value = block.get(name)
    return value if isinstance(value, str) else ""


def _text(block: dict, name: str, limit: int, too_long: str, *,
          required: str | None = None) -> str:
    value = _string(block, name).strip()
    if not value and required:
        raise _Refused(required)
    if len(value) > limit:
        raise _Refused(f"{too_long} ({limit} caractères au plus).")
    return value


def _placeholders(names: list[str], allowed: Collection[str]) -> None:
    for name in names:
        if name not in REGISTRY:
            raise _Refused(f"le champ « {name} » n'existe pas : choisissez-le dans le menu.")
        if name not in allowed:
            raise _Refused(f"le champ « {REGISTRY[name].label} » n'est pas disponible ici.")


def _heading(block: dict, allowed: Collection[str]) -> dict:
    nodes = richtext.parse_inline(_string(block, "text"))
    if not richtext.plain_text(nodes) and not richtext.tokens(nodes):
        raise _Refused("écrivez le titre ou retirez ce bloc.")
    if len(richtext.plain_text(nodes)) > HEADING_MAX:
        raise _Refused(f"le titre est trop long ({HEADING_MAX} caractères au plus).")
    _placeholders(richtext.tokens(nodes), allowed)
    level = block.get("level", 2)
    return {"type": "heading", "text": richtext.to_storage(nodes),
            "level": level if level in HEADING_LEVELS else 2}


def _paragraph(block: dict, allowed: Collection[str]) -> dict:
    raw = _string(block, "html")
    if len(raw) > PARAGRAPH_MAX * 2:
        raise _Refused(f"le texte est trop long ({PARAGRAPH_MAX} caractères au plus).")
    nodes = richtext.parse(raw)
    if not richtext.plain_text(nodes) and not richtext.tokens(nodes):
        raise _Refused("écrivez le texte ou retirez ce bloc.")
    for href in richtext.links(nodes):
        if not richtext.is_url(href):
            raise _Refused(f"l'adresse d'un lien {URL_RULE}" + (f" (« {href[:80]} »)."
                                                               if href else "."))
    _placeholders(richtext.tokens(nodes), allowed)
    html = richtext.to_storage(nodes)
    if len(html) > PARAGRAPH_MAX:
        raise _Refused(f"le texte est trop long ({PARAGRAPH_MAX} caractères au plus).")
    return {"type": "paragraph", "html": html}


def _image(block: dict) -> dict:
    alt = _text(block, "alt", ALT_MAX, "le texte de remplacement est trop long",
                required="décrivez l'image en quelques mots (texte lu à qui ne la voit pas).")
    name = _string(block, "image")
    if name:
        if not images.is_stored(name):
            raise _Refused("l'image n'a pas été trouvée : envoyez-la à nouveau.")
        return {"type": "image", "image": name, "alt": alt}
    url = _string(block, "url").strip()
    if url:  # an outside image, from before the block editor
        if not url.lower().startswith(("https://", "http://")) or not richtext.is_url(url):
            raise _Refused("l'adresse de l'image doit commencer par https:// (ou http://).")
        return {"type": "image", "url": url, "alt": alt}
    raise _Refused("choisissez une image à envoyer.")


def _button(block: dict) -> dict:
    label = _text(block, "label", BUTTON_LABEL_MAX, "le texte du bouton est trop long",
                  required="écrivez le texte du bouton.")
    url = _string(block, "url").strip()
    if not richtext.is_url(url):
        raise _Refused(f"l'adresse du bouton {URL_RULE}.")
    return {"type": "button", "label": label, "url": url}


def _contact(block: dict) -> dict:
    out = {"type": "contact",
           "name": _text(block, "name", CONTACT_NAME_MAX, "le nom est trop long"),
           "role": _text(block, "role", CONTACT_ROLE_MAX, "la fonction est trop longue"),
           "email": _text(block, "email", CONTACT_EMAIL_MAX, "l'adresse email est trop longue"),
           "phone": _text(block, "phone", CONTACT_PHONE_MAX, "le téléphone est trop long"),
           "address": _text(block, "address", CONTACT_ADDRESS_MAX,
                            "l'adresse postale est trop longue")}
    if not any(out[k] for k in ("name", "email", "phone", "address")):
        raise _Refused("indiquez au moins un nom, une adresse email, un téléphone ou une "
                       "adresse.")
    if out["email"]:
        try:
            validate_email(out["email"], check_deliverability=False)
        except EmailNotValidError:
            raise _Refused(f"l'adresse email « {out['email']} » n'est pas valide.") from None
    if out["phone"] and not _PHONE.match(out["phone"]):
        raise _Refused("le téléphone ne peut contenir que des chiffres, espaces, points, "
                       "tirets et un + au début.")
    out["address"] = "\n".join(line.strip() for line in out["address"].splitlines()
                               if line.strip())
    return out


def _columns(block: dict, allowed: Collection[str]) -> dict:
    columns = block.get("columns")
    if not isinstance(columns, list) or len(columns) != 2:
        raise _Refused("il faut deux colonnes.")
    cleaned = []
    for side, items in zip(COLUMN_NAMES, columns, strict=True):
        items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        if not items:
            raise _Refused(f"la {side} est vide : ajoutez-y un paragraphe ou une image.")
        if len(items) > MAX_COLUMN_ITEMS:
            raise _Refused(f"la {side} a trop d'éléments ({MAX_COLUMN_ITEMS} au plus).")
        column = []
        for k, item in enumerate(items, start=1):
            kind = item.get("type")
            try:
                if kind == "paragraph":
                    column.append(_paragraph(item, allowed))
                elif kind == "image":
                    column.append(_image(item))
                else:
                    raise _Refused("une colonne ne contient que des paragraphes et des images.")
            except _Refused as refused:
                label = BLOCK_TYPES.get(kind, "élément") if isinstance(kind, str) else "élément"
                raise _Refused(f"{side}, élément {k} ({label.lower()}) : {refused}") from None
        cleaned.append(column)
    return {"type": "columns", "columns": cleaned}


def _block(block: dict, allowed: Collection[str]) -> dict:
    kind = block.get("type")
    if kind == "heading":
        return _heading(block, allowed)
    if kind == "paragraph":
        return _paragraph(block, allowed)
    if kind == "image":
        return _image(block)
    if kind == "button":
        return _button(block)
    if kind == "columns":
        return _columns(block, allowed)
    if kind == "divider":
        return {"type": "divider"}
    if kind == "contact":
        return _contact(block)
    raise _Refused("ce type de bloc n'existe pas.")


def validate(document: Any, *, allowed: Collection[str] = ALL_NAMES,
             field: str = "body") -> dict:
    """The canonical document to store, or ValidationFailed: a French message per block.

    `allowed`: the placeholder names the sender provides (others are refused);
    messages are keyed `<field>` (the whole document) and `<field>-<n>` (block n, from 1).
    """
    if isinstance(document, str):
        document = parse_json(document, field=field)
    if not isinstance(document, dict) or not isinstance(document.get("blocks"), list):
        raise ValidationFailed({field: "Le contenu envoyé est illisible : rechargez la page "
                                       "et recommencez."})
    blocks = document["blocks"]
    if len(blocks) > MAX_BLOCKS:
        raise ValidationFailed({field: f"Trop de blocs ({MAX_BLOCKS} au plus)."})
    errors: dict[str, str] = {}
    cleaned = []
    for n, block in enumerate(blocks, start=1):
        kind = block.get("type") if isinstance(block, dict) else None
        label = BLOCK_TYPES.get(kind, "inconnu") if isinstance(kind, str) else "inconnu"
        try:
            if not isinstance(block, dict):
                raise _Refused("ce bloc est illisible.")
            cleaned.append(_block(block, allowed))
        except _Refused as refused:
            message = str(refused)
            errors[f"{field}-{n}"] = f"Bloc {n} ({label.lower()}) : {message}"
    if errors:
        raise ValidationFailed(errors)
    return {"version": VERSION, "blocks": cleaned}

