"""blocks.compiling: a document compiled once into MJML and text, rendered per recipient."""

from __future__ import annotations

import pytest
from mjml import mjml2html

from coopcrm.blocks import compiling, images
from coopcrm.blocks.placeholders import MEMBER_NAMES, REGISTRY
from coopcrm.sending import rendering, services
from coopcrm.sending.preview import preview_context
from tests import factories
from tests.blocks import _images

BASE = "https://coop.example"
HOSTILE = '" onerror="alert(1)" x="<script>{{ config }}'


def _doc(name: str) -> dict:
    return {"version": 1, "blocks": [
        {"type": "heading", "text": 'Bonjour <span data-placeholder="prenom"></span> !'},
        {"type": "paragraph", "html": '<p>Résidence <span data-placeholder="residence"></span>,'
                                      ' voir <a href="https://coop.example/ag">l\'AG</a>.</p>'
                                      "<p>{{ config }} {% for x in y %}</p>"},
        {"type": "image", "image": name, "alt": HOSTILE},
        {"type": "button", "label": HOSTILE, "url": "https://coop.example/ag?x=1&y=2"},
        {"type": "columns", "columns": [[{"type": "paragraph", "html": "<p>Gauche</p>"}],
                                        [{"type": "image", "image": name, "alt": "Droite"}]]},
        {"type": "divider"},
        {"type": "contact", "name": HOSTILE, "email": "claire@coop.example",
         "phone": "04 72 00 00 00", "address": "1 rue A\n69001 Lyon"},
    ]}


def _render(doc, member, **extra):
    compiled = compiling.compile_email(doc, base_url=BASE)
    data = {**rendering.samples()["newsletter_edition"], "body_html": "",
            rendering.BODY_MJML: compiled.mjml, rendering.BODY_TEXT: compiled.text, **extra}
    context = preview_context(data, member)
    return rendering.render(rendering.for_context("newsletter_edition", context), context)


def test_the_mjml_is_valid_and_images_are_absolute(app):
    stored = images.store(_images.jpeg(800, 400))
    compiled = compiling.compile_email(_doc(stored.name), base_url=BASE + "/")
    html = mjml2html(f"<mjml><mj-body>{compiled.mjml}</mj-body></mjml>")
    assert f'src="{BASE}/medias/{stored.name}"' in html
    assert 'width="550"' not in compiled.mjml  # 800 px wide: it fills the column
    assert "{{ member.first_name }}" in compiled.mjml and "{{ member.residence }}" in compiled.mjml


def test_placeholders_filled_per_recipient_and_nothing_the_referent_wrote_evaluated(app):
    stored = images.store(_images.png(300, 200))
    residence = factories.residence(name="Les <Tilleuls>")
    member = factories.member(first_name="Aïcha", residence=residence)
    rendered = _render(_doc(stored.name), member)
    html, text = rendered.html, rendered.text
    assert "Bonjour Aïcha !" in html and "Résidence Les &lt;Tilleuls&gt;," in html
    assert "{{ config }} {% for x in y %}" in text
    assert "&#123;&#123; config }} &#123;% for x in y %}" in html
    assert "SECRET" not in html and "test-secret-key" not in html
    # The hostile text stays text in the alt, the button, the contact block.
    assert 'onerror="alert(1)"' not in html and "<script>" not in html
    assert ('alt="&quot; onerror=&quot;alert(1)&quot; x=&quot;&lt;script&gt;&#123;&#123; '
            'config }}"') in html
    assert 'href="https://coop.example/ag?x=1&amp;y=2"' in html
    assert 'width="300"' in html  # narrower than the column: shown at its own size
    assert "Bonjour Aïcha !" in text and "Résidence Les <Tilleuls>, voir l'AG " \
        "(https://coop.example/ag)." in text
    assert f"{HOSTILE} : https://coop.example/ag?x=1&y=2" in text
    assert "[Image : Droite]" in text and "Gauche" in text and "1 rue A\n69001 Lyon" in text


def test_every_member_placeholder_reads_a_key_of_the_member_context(app):
    entity = factories.entity(code="HAB")
    member = factories.member(entity, reference="004512", first_name="Jo", last_name="Martin",
                              civility="M.", share_count=3, share_amount="48.00",
                              residence=factories.residence(name="Les Lilas"))
    html = "".join(f'<span data-placeholder="{name}"></span>|' for name in sorted(MEMBER_NAMES))
    doc = {"blocks": [{"type": "paragraph", "html": f"<p>{html}</p>"}]}
    text = _render(doc, member).text
    # sorted: civilite, montant_parts, nom, nom_complet, nombre_parts, prenom, reference, residence
    assert "M.|48\u00a0€|Martin|M. Jo Martin|3|Jo|HAB 004512|Les Lilas|" in text
    keys = set(services.member_context(member))
    assert {REGISTRY[n].expression.removeprefix("member.") for n in MEMBER_NAMES} <= keys


def test_figures_are_variables_of_the_shared_context(app):
    doc = {"blocks": [{"type": "heading", "text": 'Une part : <span data-placeholder='
                                                  '"montant_part"></span>'}]}
    text = _render(doc, None, montant_part="16\u00a0€").text
    assert "Une part : 16\u00a0€" in text


def test_a_placeholder_not_allowed_compiles_to_nothing():
    html = ('<p>a<span data-placeholder="montant_part"></span>b'
            '<span data-placeholder="x"></span></p>')
    doc = {"blocks": [{"type": "paragraph", "html": html}]}
    compiled = compiling.compile_email(doc, base_url=BASE, allowed=MEMBER_NAMES)
    assert "<p style=\"margin:0 0 12px;\">ab</p>" in compiled.mjml and compiled.text == "ab"


def test_a_stored_document_is_not_trusted_when_compiled():
    doc = {"blocks": [
        {"type": "button", "label": "x", "url": "javascript:alert(1)"},
        {"type": "image", "url": "javascript:alert(1)", "alt": "x"},
        {"type": "image", "image": "../../etc/passwd", "alt": "x"},
        {"type": "paragraph", "html": '<p onclick="x()">a<script>b</script></p>'},
        {"type": "heading", "level": "7 onclick=x", "text": "<img src=x onerror=y>T"},
        {"type": "columns", "columns": "nope"},
        {"type": "contact", "phone": "+33 4<script>"},
        "nope", {"type": None},
    ]}
    compiled = compiling.compile_email(doc, base_url=BASE)
    for out in (compiled.mjml, compiling.web_html(doc, base_url=BASE)):
        for bad in ("javascript", "passwd", "onclick", "<script", "onerror", "<img"):
            assert bad not in out
    assert "javascript" not in compiled.text and "passwd" not in compiled.text
    assert '<h2 style="' in compiled.mjml and 'href="tel:+334"' in compiled.mjml


def test_web_html_uses_figures_and_generic_texts():
    html = ('<p><span data-placeholder="prenom"></span> de <span data-placeholder="residence">'
            '</span>, part à <span data-placeholder="montant_part"></span></p>')
    doc = {"blocks": [{"type": "paragraph", "html": html},
                      {"type": "columns", "columns": [[{"type": "paragraph", "html": "<p>G</p>"}],
                                                      [{"type": "paragraph", "html": "<p>D</p>"}]]},
                      {"type": "button", "label": "<Go>", "url": "https://x.example"}]}
    html = compiling.web_html(doc, base_url=BASE, values={"montant_part": "16 €"})
    assert html == ("<p>à vous de votre résidence, part à 16 €</p>\n<p>G</p><p>D</p>\n"
                    '<p><a href="https://x.example"><strong>&lt;Go&gt;</strong></a></p>')


def test_a_document_is_compiled_once_then_cached(app):
    doc = {"blocks": [{"type": "paragraph", "html": "<p>Une fois</p>"}]}
    compiled = compiling.compile_email(doc, base_url=BASE)
    context = {rendering.BODY_MJML: compiled.mjml, rendering.BODY_TEXT: compiled.text}
    first = rendering.for_context("newsletter_edition", context)
    assert rendering.for_context("newsletter_edition", dict(context)) is first
    other = compiling.compile_email({"blocks": [{"type": "divider"}]}, base_url=BASE)
    assert rendering.for_context("newsletter_edition", {rendering.BODY_MJML: other.mjml}) \
        is not first
    assert rendering.for_context("newsletter_edition", {}) is rendering.get("newsletter_edition")


def test_a_template_without_a_body_slot_refuses_a_document(app):
    with pytest.raises(ValueError, match="no body slot"):
        rendering.for_context("test_message", {rendering.BODY_MJML: "<mj-section></mj-section>"})
