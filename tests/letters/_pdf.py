"""Reading a PDF back with pypdf: its pages' text, and where each piece of text sits."""

from __future__ import annotations

import io

from pypdf import PdfReader

MM = 25.4 / 72  # one PDF point in millimetres


def reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), "not a whole PDF"
    return PdfReader(io.BytesIO(pdf))


def texts(pdf: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in reader(pdf).pages]


def placed(pdf: bytes, number: int = 0) -> list[tuple[str, float, float]]:
    """(text, millimetres from the left edge, millimetres from the top) of one page's runs."""
    page = reader(pdf).pages[number]
    height = float(page.mediabox.height)
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            # the text matrix in user space: tm × cm (2-D affine, [a b c d e f])
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), round(x * MM, 1), round((height - y) * MM, 1)))

    page.extract_text(visitor_text=visit)
    return found
