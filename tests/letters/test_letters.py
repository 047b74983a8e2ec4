"""coopcrm.letters: the merged PDF, the labels, the printer's file, read back whole."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from coopcrm.blocks import images
from coopcrm.letters import fetcher
from coopcrm.letters import services as paper
from coopcrm.spreadsheet import restore
from tests.blocks import _images
from tests.letters._pdf import placed, reader, texts

HOSTILE = "<script>alert(1)</script></p>Dupont"


def _member(i: int, **kw):
    values = {"civility": "Mme", "first_name": f"Prénom{i}", "last_name": f"Nom{i}",
              "address": f"{i} rue des Lilas\nBâtiment B", "postal_code": f"69{i % 50:03d}",
              "city": "Lyon", "residence": SimpleNamespace(name=f"Résidence {i % 3}")}
    values.update(kw)
    return SimpleNamespace(**values)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_address_of_reads_the_member_and_sorts_in_postal_order(ctx):
    a = paper.address_of(_member(1, address="  3  place Bellecour \n\n Esc. 2 ",
                                 city="lyon", civility="M."))
    assert a.lines == ["M. Prénom1 Nom1", "3 place Bellecour", "Esc. 2", "69001 LYON"]
    letters = [paper.letter_for(_member(i, postal_code=pc, last_name=name,
                                        residence=SimpleNamespace(name=res)), "<p>x</p>")
               for i, (pc, res, name) in enumerate([("69002", "B", "Abel"), ("69001", "Z", "Zed"),
                                                    ("69002", "A", "Zoé"), ("69002", "A", "Ada")])]
    assert [(lt.address.postcode, lt.residence, lt.address.last_name)
            for lt in sorted(letters, key=paper.sort_key)] == [
        ("69001", "Z", "Zed"), ("69002", "A", "Ada"), ("69002", "A", "Zoé"),
        ("69002", "B", "Abel")]


def test_one_member_a_page_with_the_address_in_the_envelope_window(ctx, monkeypatch):
    monkeypatch.setattr(paper, "LETTERS_CHUNK", 5)  # three documents put together, in order
    letters = [paper.letter_for(_member(i), Markup("<p>Bonjour,</p><p>Le chantier avance.</p>"))
               for i in range(12)]
    pdf = paper.merged_pdf(letters)
    pages = texts(pdf)
    assert len(pages) == 12
    for i, text in enumerate(pages):
        assert f"Mme Prénom{i} Nom{i}" in text and "Le chantier avance." in text
    box = reader(pdf).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) \
        == (210, 297)
    # DL window: 110 mm from the left, 45 mm from the top, 100 × 45 mm.
    address = [(x, top) for text, x, top in placed(pdf, 0)
               if text in ("Mme Prénom0 Nom0", "0 rue des Lilas", "Bâtiment B", "69000 LYON")]
    assert len(address) == 4
    assert all(110 <= x <= 150 and 45 < top < 90 for x, top in address), address


def test_stored_values_are_text_in_the_pdf_never_markup(ctx, app):
    member = _member(1, last_name=HOSTILE, address="<b>1 rue</b> & co",
                     city="</p><h1>Ville")
    pdf = paper.merged_pdf([paper.letter_for(member, Markup("<p>Corps</p>"))])
    (text,) = texts(pdf)
    assert "<script>alert(1)</script></p>Dupont" in text
    assert "<b>1 rue</b> & co" in text and "</P><H1>VILLE" in text
    labels = texts(paper.labels_pdf([paper.address_of(member)]))
    assert HOSTILE in labels[0]


def test_labels_three_by_eight_on_a4(ctx, monkeypatch):
    monkeypatch.setattr(paper, "SHEETS_CHUNK", 2)
    addresses = [paper.address_of(_member(i)) for i in range(50)]
    pdf = paper.labels_pdf(addresses)
    pages = texts(pdf)
    assert len(pages) == 3  # 24 + 24 + 2
    assert all(f"Nom{i}\n" in pages[i // 24] + "\n" for i in range(50))
    names = [(x, top) for text, x, top in placed(pdf, 0) if text.startswith("Mme ")]
    assert len(names) == 24
    columns = sorted({round(x // 70) for x, _ in names})
    rows = sorted({int(top // 37) for _, top in names})
    assert columns == [0, 1, 2] and rows == list(range(8))


def test_the_printer_file_parses_whole_and_neutralises_formulas(ctx):
    letters = [paper.letter_for(_member(i, last_name=name), "<p>x</p>")
               for i, name in enumerate(["=HYPERLINK(\"http://x\")", "+33 6", "Martin"])]
    body = paper.printer_csv(letters)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == paper.PRINTER_HEADER
    assert len(rows) == 4 and all(len(r) == len(rows[0]) for r in rows)
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert not any(cell[:1] in "=+-@" for r in rows[1:] for cell in r[1:])
    assert [restore(r[3]) for r in rows[1:]] == ["=HYPERLINK(\"http://x\")", "+33 6", "Martin"]
    assert rows[1][4:6] == ["0 rue des Lilas", "Bâtiment B"]


def test_only_the_apps_stored_images_are_loaded(ctx, app, tmp_path, monkeypatch):
    stored = images.store(_images.png(120, 80))
    base = app.config["BASE_URL"]
    secret = tmp_path / "secret.png"
    secret.write_bytes(_images.png(10, 10))
    html = Markup(
        f'<p><img src="{images.url(stored.name, base)}" alt="ok"></p>'
        f'<p><img src="file://{secret}"></p><p><img src="http://127.0.0.1:9/x.png"></p>'
        f'<p><img src="{base}/medias/../../etc/passwd"></p>'
        f'<p><img src="{base}/medias/AAAAAAAAAAAAAAAAAAAAAA-1x1.png"></p>'
        '<p><img src="data:image/png;base64,iVBORw0KGgo="></p>')
    seen = fetcher.for_app(base)
    monkeypatch.setattr(fetcher, "for_app", lambda _base: seen)
    pdf = paper.merged_pdf([paper.letter_for(_member(1), html)])
    assert len(texts(pdf)) == 1
    page = reader(pdf).pages[0]
    assert len(page.images) == 1  # the stored one, and nothing else
    assert sorted(seen.refused) == sorted([
        f"file://{secret}", "http://127.0.0.1:9/x.png", f"{base}/medias/../../etc/passwd",
        f"{base}/medias/AAAAAAAAAAAAAAAAAAAAAA-1x1.png", "data:image/png;base64,iVBORw0KGgo="])


def test_an_empty_list_is_still_a_valid_pdf(ctx):
    assert len(texts(paper.merged_pdf([]))) == 1
    assert len(texts(paper.labels_pdf([]))) == 1
