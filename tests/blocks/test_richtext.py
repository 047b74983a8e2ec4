"""blocks.richtext: hostile HTML in, only the small allowed tree out, escaped per format."""

from __future__ import annotations

import pytest

from coopcrm.blocks import richtext

HOSTILE = [
    '<p onclick="steal()">a</p>',
    "<p>a<script>alert(1)</script></p>",
    "<style>p{display:none}</style><p>a</p>",
    '<p><img src=x onerror="alert(1)">a</p>',
    '<p><a href="javascript:alert(1)">a</a></p>',
    '<p><a href="  javascript:alert(1)">a</a></p>',
    '<p><a href="java&#x09;script:alert(1)">a</a></p>',
    '<p><a href="data:text/html;base64,PHNjcmlwdD4=">a</a></p>',
    '<p><a href="https://ok.example" onmouseover="x()" style="color:red">a</a></p>',
    '<p><iframe src="https://evil.example"></iframe>a</p>',
    '<p><svg><script>alert(1)</script></svg>a</p>',
    '<p style="background:url(javascript:x)">a</p>',
    "<p>a<!-- <script>x</script> --></p>",
    '<p><span data-placeholder="prenom" onclick="x()">a</span></p>',
    '<form action="https://evil.example"><input name=x></form><p>a</p>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>'
    "</table></mtext></math><p>a</p>",
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_leaves_nothing_active(html):
    nodes = richtext.parse(html)
    for out in (richtext.to_storage(nodes), richtext.to_email_html(nodes, lambda n: None),
                richtext.to_web_html(nodes, {})):
        lowered = out.lower()
        for bad in ("<script", "onclick", "onerror", "onmouseover", "javascript:", "data:",
                    "style=\"background", "<iframe", "<img", "<svg", "<form", "<input", "<style",
                    "<!--", "color:red", "<math"):
            assert bad not in lowered, (html, out)


def test_what_is_kept_paragraphs_lists_bold_italic_links_breaks():
    nodes = richtext.parse('<h2>Titre</h2><p>Un <b>gras</b> <i>penché</i><br>ligne</p>'
                           '<ol><li>un</li><li><p>deux</p></li></ol><div>bloc</div>libre'
                           '<p><a href="mailto:a@b.example">écrire</a></p><p>  </p>')
    assert richtext.to_storage(nodes) == (
        "<p>Titre</p><p>Un <strong>gras</strong> <em>penché</em><br>ligne</p>"
        "<ol><li>un</li><li>deux</li></ol><p>bloc</p><p>libre</p>"
        '<p><a href="mailto:a@b.example">écrire</a></p>')


def test_text_and_attribute_values_are_escaped_for_html_and_jinja():
    nodes = richtext.parse('<p>&lt;b&gt;x&lt;/b&gt; &amp; {{ config }} {% if 1 %} '
                           '<a href="https://x.example/?a=1&amp;b={{y}}">l</a> '
                           '<a href="https://x.example/&quot;&gt;&lt;script&gt;">m</a></p>')
    email = richtext.to_email_html(nodes, lambda n: None)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &#123;&#123; config }} &#123;% if 1 %}" in email
    assert 'href="https://x.example/?a=1&amp;b=&#123;&#123;y}}"' in email
    assert "{{" not in email and "{%" not in email
    assert "<script" not in email and email.endswith(" m</p>")  # a quote in an address: no link
    text = richtext.to_text(nodes, lambda n: None)
    assert text == ("<b>x</b> & {{ '{' }}{{ '{' }} config }} {{ '{' }}% if 1 %} "
                    "l (https://x.example/?a=1&b={{ '{' }}{{ '{' }}y}}) m")


def test_placeholders_become_the_registry_expression_only():
    nodes = richtext.parse('<p><span data-placeholder="prenom">PRÉNOM</span>, '
                           '<span data-placeholder="inconnu"></span>!</p>')
    assert richtext.tokens(nodes) == ["prenom", "inconnu"]
    expr = {"prenom": "member.first_name"}.get
    assert richtext.to_email_html(nodes, expr) == \
        '<p style="margin:0 0 12px;">{{ member.first_name }}, !</p>'
    assert richtext.to_text(nodes, expr) == "{{ member.first_name }}, !"
    assert richtext.to_web_html(nodes, {"prenom": "<Camille>"}) == "<p>&lt;Camille&gt;, !</p>"


def test_a_placeholder_name_cannot_break_out_of_its_attribute():
    nodes = richtext.parse('<p><span data-placeholder="a&quot;><script>x</script>"></span></p>')
    assert "<script" not in richtext.to_storage(nodes)
    assert richtext.to_email_html(nodes, lambda n: None) == '<p style="margin:0 0 12px;"></p>'


def test_headings_keep_text_and_placeholders_only():
    nodes = richtext.parse_inline('<b>Part</b> à <span data-placeholder="montant_part"></span>'
                                  '<br><a href="https://x.example">?</a>')
    assert richtext.to_storage(nodes) == 'Part à <span data-placeholder="montant_part"></span> ?'


def test_no_break_spaces_are_kept_in_the_text_part():
    nodes = richtext.parse("<p>16\u00a0€ par part\n  sociale</p>")
    assert richtext.to_text(nodes, lambda n: None) == "16\u00a0€ par part sociale"


@pytest.mark.parametrize("url, ok", [
    ("https://coop.example/a?b=c#d", True), ("http://coop.example", True),
    ("mailto:vie@coop.example", True), ("HTTPS://COOP.EXAMPLE", True),
    ("javascript:alert(1)", False), ("https://", False), ("//coop.example", False),
    ("ftp://coop.example", False), ("https://a b.example", False), ("mailto:x", False),
    ("https://x.example/" + "a" * richtext.URL_MAX, False), ("", False), (None, False)])
def test_is_url(url, ok):
    assert richtext.is_url(url) is ok
