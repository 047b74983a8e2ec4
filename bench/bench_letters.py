"""PDF of 1,000 campaign letters (WeasyPrint), against rendering their HTML with Jinja only.

In the same run, over the same 1,000 letters (the campaign's block document with
each member's placeholders filled, one member a page):

* jinja: `render_template("letters/merged.html", …)`, the HTML the PDF is laid out from;
* pdf: `letters.merged_pdf` (that rendering, then WeasyPrint's layout and PDF writing);
* labels: `letters.labels_pdf` of the same 1,000 addresses (42 A4 sheets of 24).

The letters' bodies are built once, before both (their cost is reported apart).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

N = 1_000
BODY = {"version": 1, "blocks": [
    {"type": "heading", "text": 'Votre résidence <span data-placeholder="residence"></span>'},
    {"type": "paragraph", "html": "<p>Bonjour <span data-placeholder=\"prenom\"></span>,</p>"
                                  "<p>Les fondations sont coulées et le gros œuvre commence "
                                  "le mois prochain. <strong>La livraison reste prévue au "
                                  "printemps.</strong></p><ul><li>Fondations : terminées</li>"
                                  "<li>Hors d'eau : en cours</li></ul>"},
    {"type": "divider"},
    {"type": "contact", "name": "Camille Exemple", "role": "Chargée de clientèle",
     "email": "camille@coop.example", "phone": "04 72 00 00 00"},
]}


def _members() -> list:
    return [SimpleNamespace(
        civility="Mme" if i % 2 else "M.", first_name=f"Prénom{i}", last_name=f"Nom{i}",
        address=f"{i} rue des Lilas\nBâtiment {chr(65 + i % 6)}",
        postal_code=f"{69001 + i % 9}", city="Lyon", references="", share_count=1,
        share_amount=None, residence=SimpleNamespace(name=f"Résidence {i % 7}"),
        residence_name=f"Résidence {i % 7}") for i in range(N)]


def run() -> dict:
    from flask import render_template

    from bench._email_common import make_app, tempdir
    from coopcrm.campaigns import letters as campaign_letters
    from coopcrm.letters import services as paper

    campaign = SimpleNamespace(body=BODY, subject="Information d'avancement", name="Bench")
    with tempdir() as tmp:
        app = make_app(tmp)
        with app.test_request_context():
            start = time.perf_counter()
            letters = sorted((paper.letter_for(m, campaign_letters.body_html(campaign, m))
                              for m in _members()), key=paper.sort_key)
            bodies_s = time.perf_counter() - start

            start = time.perf_counter()
            html = render_template("letters/merged.html", letters=letters, title="Bench",
                                   dated="jeudi 3 décembre 2026")
            jinja_s = time.perf_counter() - start

            start = time.perf_counter()
            pdf = paper.merged_pdf(letters, title="Bench")
            pdf_s = time.perf_counter() - start

            start = time.perf_counter()
            labels = paper.labels_pdf([letter.address for letter in letters])
            labels_s = time.perf_counter() - start
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    sheets = len(PdfReader(io.BytesIO(labels)).pages)
    assert pages == N and sheets == -(-N // paper.LABELS_PER_SHEET)
    return {
        "letters": N,
        "bodies_s (block document -> HTML, per member)": round(bodies_s, 3),
        "jinja_html_s (baseline)": round(jinja_s, 3),
        "html_mb": round(len(html.encode()) / 1e6, 2),
        "pdf_s": round(pdf_s, 2),
        "pdf_mb": round(len(pdf) / 1e6, 2),
        "pdf_pages": pages,
        "pdf_over_jinja": round(pdf_s / jinja_s, 1),
        "pdf_letters_per_s": round(N / pdf_s, 1),
        "labels_s": round(labels_s, 2),
        "labels_mb": round(len(labels) / 1e6, 2),
        "labels_sheets": sheets,
    }
