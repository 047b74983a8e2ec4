"""blocks.document: every block type checked, French messages per block, canonical output."""

from __future__ import annotations

import json

import pytest

from coopcrm.blocks import document, images
from coopcrm.blocks.placeholders import MEMBER_NAMES
from coopcrm.errors import ValidationFailed
from tests.blocks import _images


def _errors(blocks, **kw) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        document.validate({"blocks": blocks}, **kw)
    return exc.value.errors


def test_every_block_type_round_trips_to_its_canonical_form(app):
    stored = images.store(_images.png())
    doc = document.validate(json.dumps({"version": 1, "blocks": [
        {"type": "heading", "text": "Bonjour <span data-placeholder='prenom'>x</span> !",
         "level": 3, "extra": "dropped"},
        {"type": "paragraph", "html": "<p><b>Gras</b> et <i>italique</i>, "
                                      "<a href='https://coop.example/ag'>l'AG</a></p>"
                                      "<ul><li>un</li><li>deux</li></ul>"},
        {"type": "image", "image": stored.name, "alt": "  La résidence  "},
        {"type": "button", "label": "Répondre", "url": "mailto:ag@coop.example"},
        {"type": "columns", "columns": [[{"type": "paragraph", "html": "<p>Gauche</p>"}],
                                        [{"type": "image", "image": stored.name, "alt": "D"}]]},
        {"type": "divider"},
        {"type": "contact", "name": "Claire", "email": "claire@coop.example",
         "phone": "+33 4 72 00 00 00", "address": " 1 rue A \n\n 69001 Lyon "},
    ]}))
    assert doc["version"] == 1
    assert doc["blocks"] == [
        {"type": "heading", "text": 'Bonjour <span data-placeholder="prenom"></span> !',
         "level": 3},
        {"type": "paragraph", "html": "<p><strong>Gras</strong> et <em>italique</em>, "
                                      '<a href="https://coop.example/ag">l&#x27;AG</a></p>'
                                      "<ul><li>un</li><li>deux</li></ul>"},
        {"type": "image", "image": stored.name, "alt": "La résidence"},
        {"type": "button", "label": "Répondre", "url": "mailto:ag@coop.example"},
        {"type": "columns", "columns": [[{"type": "paragraph", "html": "<p>Gauche</p>"}],
                                        [{"type": "image", "image": stored.name, "alt": "D"}]]},
        {"type": "divider"},
        {"type": "contact", "name": "Claire", "role": "", "email": "claire@coop.example",
         "phone": "+33 4 72 00 00 00", "address": "1 rue A\n69001 Lyon"},
    ]
    assert document.validate(doc) == doc  # canonical: checking it again changes nothing


def test_messages_are_french_and_say_which_block(app):
    errors = _errors([
        {"type": "heading", "text": "  "},
        {"type": "paragraph", "html": "<p><br></p>"},
        {"type": "image", "image": "", "alt": "x"},
        {"type": "image", "image": "AAAAAAAAAAAAAAAAAAAAAA-10x10.jpg", "alt": ""},
        {"type": "button", "label": "Aller", "url": "ftp://coop.example"},
        {"type": "button", "label": "", "url": "https://coop.example"},
        {"type": "columns", "columns": [[], [{"type": "paragraph", "html": "<p>x</p>"}]]},
        {"type": "contact", "name": "", "email": ""},
        {"type": "contact", "email": "pas-une-adresse"},
        {"type": "video"},
        "pas un bloc",
        {"type": "divider"},
    ])
    assert errors == {
        "body-1": "Bloc 1 (titre) : écrivez le titre ou retirez ce bloc.",
        "body-2": "Bloc 2 (paragraphe) : écrivez le texte ou retirez ce bloc.",
        "body-3": "Bloc 3 (image) : choisissez une image à envoyer.",
        "body-4": "Bloc 4 (image) : décrivez l'image en quelques mots (texte lu à qui ne la "
                  "voit pas).",
        "body-5": "Bloc 5 (bouton) : l'adresse du bouton doit commencer par https://, http:// "
                  "ou mailto:.",
        "body-6": "Bloc 6 (bouton) : écrivez le texte du bouton.",
        "body-7": "Bloc 7 (deux colonnes) : la colonne de gauche est vide : ajoutez-y un "
                  "paragraphe ou une image.",
        "body-8": "Bloc 8 (coordonnées) : indiquez au moins un nom, une adresse email, un "
                  "téléphone ou une adresse.",
        "body-9": "Bloc 9 (coordonnées) : l'adresse email « pas-une-adresse » n'est pas valide.",
        "body-10": "Bloc 10 (inconnu) : ce type de bloc n'existe pas.",
        "body-11": "Bloc 11 (inconnu) : ce bloc est illisible.",
    }


def test_an_image_must_have_been_uploaded_here(app):
    errors = _errors([{"type": "image", "image": "AAAAAAAAAAAAAAAAAAAAAA-10x10.jpg",
                       "alt": "Une image jamais envoyée"},
                      {"type": "image", "image": "../../secret_key", "alt": "Un chemin"},
                      {"type": "image", "url": "javascript:alert(1)", "alt": "Ancienne"}])
    assert errors["body-1"].endswith("l'image n'a pas été trouvée : envoyez-la à nouveau.")
    assert errors["body-2"].endswith("l'image n'a pas été trouvée : envoyez-la à nouveau.")
    assert "doit commencer par https://" in errors["body-3"]


def test_nested_column_messages_name_the_column_and_item(app):
    errors = _errors([{"type": "columns", "columns": [
        [{"type": "paragraph", "html": "<p>ok</p>"}],
        [{"type": "paragraph", "html": "<p>ok</p>"}, {"type": "button", "label": "x"}]]}])
    assert errors == {"body-1": "Bloc 1 (deux colonnes) : colonne de droite, élément 2 "
                                "(bouton) : une colonne ne contient que des paragraphes et des "
                                "images."}


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
                                  "vbscript:x", "/lettres", "www.coop.example", "https://",
                                  "mailto:", "https://coop.example/ a"])
def test_a_link_to_anything_but_http_or_mailto_is_refused(href):
    errors = _errors([{"type": "paragraph", "html": f'<p><a href="{href}">clic</a></p>'}])
    assert "l'adresse d'un lien doit commencer par https://, http:// ou mailto:" in \
        errors["body-1"]


def test_limits_are_named_once_and_enforced():
    assert "200 caractères au plus" in _errors(
        [{"type": "heading", "text": "x" * (document.HEADING_MAX + 1)}])["body-1"]
    assert _errors([{"type": "paragraph", "html": "<p>" + "x" * document.PARAGRAPH_MAX + "</p>"}])
    assert _errors([{"type": "button", "label": "x" * (document.BUTTON_LABEL_MAX + 1),
                     "url": "https://x.example"}])
    assert _errors([{"type": "contact", "name": "x" * (document.CONTACT_NAME_MAX + 1)}])
    with pytest.raises(ValidationFailed) as exc:
        document.validate({"blocks": [{"type": "divider"}] * (document.MAX_BLOCKS + 1)})
    assert exc.value.errors == {"body": f"Trop de blocs ({document.MAX_BLOCKS} au plus)."}
    with pytest.raises(ValidationFailed) as exc:
        document.parse_json("x" * (document.MAX_JSON_CHARS + 1))
    assert "trop long" in exc.value.errors["body"]


@pytest.mark.parametrize("raw", ["", "nimporte quoi", "[]", '{"blocks": "x"}', "null"])
def test_an_unreadable_document_is_refused_as_a_whole(raw):
    with pytest.raises(ValidationFailed) as exc:
        document.validate(raw)
    assert list(exc.value.errors) == ["body"]
    assert "illisible" in exc.value.errors["body"]


def test_placeholders_unknown_or_not_provided_are_refused():
    errors = _errors([
        {"type": "paragraph", "html": '<p><span data-placeholder="config"></span></p>'},
        {"type": "heading", "text": '<span data-placeholder="nombre_cooperateurs"></span>'},
        {"type": "paragraph", "html": '<p><span data-placeholder="residence"></span></p>'},
    ], allowed=MEMBER_NAMES)
    assert errors == {
        "body-1": "Bloc 1 (paragraphe) : le champ « config » n'existe pas : choisissez-le dans "
                  "le menu.",
        "body-2": "Bloc 2 (titre) : le champ « Nombre de coopérateurs (au jour de l'envoi) » "
                  "n'est pas disponible ici.",
    }


def test_typed_braces_stay_text_not_placeholders():
    doc = document.validate({"blocks": [
        {"type": "paragraph", "html": "<p>{{ prenom }} {{ config }} {% raw %}</p>"}]})
    assert doc["blocks"][0]["html"] == "<p>{{ prenom }} {{ config }} {% raw %}</p>"


def test_a_legacy_outside_image_is_accepted_with_its_description():
    doc = document.validate({"blocks": [{"type": "image", "url": "https://cdn.example/a.jpg",
                                         "alt": "Le jardin"}]})
    assert doc["blocks"] == [{"type": "image", "url": "https://cdn.example/a.jpg",
                              "alt": "Le jardin"}]

