"""Fuzzing the importer's row parser: whatever a cell holds, a Row with French errors.

The parser's only failure is a problem on the row (line, column, message):
no exception escapes it, and a row it accepts holds only values the members
table can store (text within its column's limit, no control character).
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from coopcrm.members.importing.read import COLUMNS
from coopcrm.members.importing.rows import Lookups, Row, RowParser
from coopcrm.members.models import Entity, Member
from coopcrm.models import text_limit
from coopcrm.plaintext import line_problem
from tests.fuzzing import FUZZ

# Cells that have broken parsers elsewhere: numbers Decimal or int() read oddly, dates
# at the edges, the export's neutralising apostrophe, the words the columns know.
TRICKY = ["", " ", "'", "''", "'=1+1", "=1+1", "-", "+", "@", "NaN", "-NaN", "Infinity", "-inf",
          "1e999", "1e-999", "-0", "0", "0,00", "1_000", "١٢", "99999999999999999999",
          "2147483648", "1,5", "16 €", "\u00a016,00", "31/02/2024", "29/02/2023", "00/00/0000",
          "0001-01-01", "9999-12-31", "01/01/99", "1899-12-31", "2024-01-01 25:61:61",
          "oui", "NON", "x", "vrai", "Mme", "mademoiselle", "accession", "LOCATIF",
          "cooperateur", "mfla", "MFLA ", "ght", "les annonciades", "accedants",
          "a@b.fr", "A@B.FR", "a@b", "a@localhost", "é@é.fr", "a@-b.fr", "a..b@c.fr",
          "x" * 301, "é" * 101, "\x00", "a\r\nb", "\u2028", "\x85", "\t", "\ufeff", "\ud7ff"]
CELLS = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40), st.dates(),
                  st.datetimes(), st.none(), st.integers(), st.floats(), st.booleans())
TEXTS = {"first_name", "last_name", "phone", "address", "postal_code", "city"}


def _parser(positions: list[tuple[int, str]]) -> RowParser:
    mfla, ght = Entity(code="MFLA", name="MFLA"), Entity(code="GHT", name="GHT")
    mfla.id, ght.id = 1, 2
    lookups = Lookups(entities={"mfla": mfla, "ght": ght},
                      residences={(1, "les annonciades"): 7},
                      colleges={"accedants": 3, "locataires": 4},
                      allowed_entity_ids={2}, default_entity=None, today=date(2027, 3, 1))
    return RowParser(positions, {c: c for c in COLUMNS}, lookups)


@st.composite
def lines(draw):
    """A header (a subset of the columns, in any order, gaps between) and one line's cells."""
    columns = draw(st.lists(st.sampled_from(COLUMNS), unique=True, max_size=len(COLUMNS)))
    positions, position = [], 0
    for column in columns:
        position += draw(st.integers(0, 2))
        positions.append((position, column))
        position += 1
    cells = draw(st.lists(CELLS, max_size=position + 2))
    return positions, cells


@FUZZ
@given(lines(), st.integers(2, 10**6))
def test_any_cells_give_a_row_and_french_errors_never_an_exception(drawn, line):
    positions, cells = drawn
    row = _parser(positions).parse(line, cells)
    assert isinstance(row, Row) and row.line == line
    assert all(isinstance(m, str) and m for _, m in row.errors)
    if row.errors:
        return
    for key, value in row.values.items():
        if key in TEXTS:
            assert isinstance(value, str) and len(value) <= text_limit(Member, key)
            assert line_problem(value) is None
    assert row.entity is not None and row.entity.id == 2  # the referent's entity only
    for value in (row.reference, row.email, row.residence_name):
        assert value is None or (isinstance(value, str) and line_problem(value) is None)
    assert row.parts is None or 0 <= row.parts <= 2**31 - 1
    assert row.unit_amount is None or row.unit_amount.is_finite()


@FUZZ
@given(st.lists(CELLS, max_size=len(COLUMNS) + 3))
def test_every_column_at_once(cells):
    row = _parser(list(enumerate(COLUMNS))).parse(2, cells)
    assert isinstance(row, Row)
    assert {c for c, _ in row.errors} <= set(COLUMNS)


VALID = {"reference": "G-1", "civilite": "Mme", "prenom": "Jeanne", "nom": "Martin",
         "email": "jeanne@exemple.fr", "telephone": "0612345678", "adresse": "3 rue Neuve",
         "code_postal": "69001", "ville": "Lyon", "entite": "GHT", "residence": "",
         "parcours": "locatif", "college": "locataires", "statut": "cooperateur",
         "date_signature_reservation": "15/03/2024", "date_entree_lieux": "2025-01-10",
         "nombre_parts": "2", "montant_part": "16,00", "date_souscription": "20/03/2024",
         "consentement_newsletter": "oui", "consentement_convocation_electronique": "non"}


@FUZZ
@given(st.sampled_from(COLUMNS), CELLS)
def test_a_valid_line_with_one_cell_changed(column, cell):
    """Near valid lines, where a refused value is one check away from being stored."""
    assert not _parser(list(enumerate(COLUMNS))).parse(2, list(VALID.values())).errors
    cells = [cell if c == column else VALID[c] for c in COLUMNS]
    row = _parser(list(enumerate(COLUMNS))).parse(2, cells)
    assert {c for c, _ in row.errors} <= {column, "nom", "reference"}
    if not row.errors:
        for key, value in row.values.items():
            if key in TEXTS:
                assert len(value) <= text_limit(Member, key) and line_problem(value) is None
