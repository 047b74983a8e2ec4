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


@pytest.mark.parametrize("raw", ["99999999999999999999", "2147483648", "Infinity", "1e400"])
def test_a_share_count_the_database_cannot_hold_is_refused_in_french(raw):
    with pytest.raises(validation.FieldError, match="trop grand"):
        validation.positive_int(raw)
