import pytest

from coopcrm.members import validation


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-Infinity", "abc"])
def test_amount_refuses_non_numbers_in_french(raw):
    """Regression: Decimal parses 'nan' and 'inf', which then crashed comparisons."""
    with pytest.raises(validation.FieldError, match="n'est pas un montant"):
        validation.amount(raw)


@pytest.mark.parametrize("raw, expected",
                         [("16,00", "16.00"), ("16 €", "16.00"), ("1\u00a0200,5", "1200.50")])
def test_amount_reads_french_formats(raw, expected):
    assert str(validation.amount(raw)) == expected
