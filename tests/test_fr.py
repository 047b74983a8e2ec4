"""French formats: the exact characters every page, email, export and the mail catcher print."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from coopcrm import fr

NBSP, NNBSP = "\u00a0", "\u202f"


def test_short_date_and_its_missing_value():
    assert fr.date(date(2027, 6, 1)) == "01/06/2027"
    assert fr.date("2027-06-01") == "01/06/2027"
    assert fr.date(None) == "—" and fr.date("", empty="") == ""


def test_a_datetime_gives_its_paris_date():
    # 22:30 UTC on 30 June is already 1 July in Paris (summer time, UTC+2).
    assert fr.date(datetime(2027, 6, 30, 22, 30, tzinfo=UTC)) == "01/07/2027"
    assert fr.date(datetime(2027, 1, 31, 22, 59, tzinfo=UTC)) == "31/01/2027"
    assert fr.date(datetime(2027, 1, 31, 23, 0, tzinfo=UTC)) == "01/02/2027"


def test_datetime_forms():
    moment = datetime(2027, 6, 17, 16, 30, 5, tzinfo=UTC)
    assert fr.datetime(moment) == "17/06/2027 18:30"
    assert fr.datetime(moment, at=True) == "17/06/2027 à 18:30"
    assert fr.datetime(moment, at=True, year=False) == "17/06 à 18:30"
    assert fr.datetime(moment, seconds=True) == "17/06/2027 18:30:05"
    assert fr.datetime(None) == "—" and fr.datetime(date(2027, 6, 17)) == "17/06/2027"
    assert fr.datetime(datetime(2027, 6, 17, 18, 30)) == "17/06/2027 18:30"  # naive: local


@pytest.mark.parametrize(("utc", "paris"), [
    # Spring forward, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29/03/2026 01:59"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29/03/2026 03:00"),
    # Fall back, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC);
    # 02:30 happens twice, an hour apart.
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25/10/2026 02:30"),
    (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25/10/2026 02:59"),
    (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25/10/2026 02:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25/10/2026 02:30"),
    # The day boundary moves with the offset: 23:00 UTC is midnight in winter only.
    (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "29/03/2026 00:00"),
    (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), "25/10/2026 00:00"),
    (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), "24/10/2026 23:59"),
])
def test_paris_time_across_daylight_saving_changes(utc, paris):
    assert fr.datetime(utc) == paris


def test_long_forms_for_emails_and_letters():
    assert fr.long_date(date(2027, 6, 1)) == "mardi 1er juin 2027"
    assert fr.long_date(date(2027, 6, 17)) == "jeudi 17 juin 2027"
    assert fr.long_date(datetime(2027, 6, 30, 22, 30, tzinfo=UTC)) == "jeudi 1er juillet 2027"
    assert fr.long_date(None) == "" and fr.long_date("") == ""
    assert fr.long_datetime("2027-06-17T16:30:00+00:00") == "jeudi 17 juin 2027 à 18 h 30"
    assert fr.long_datetime("2027-12-17T08:05:00+00:00") == "vendredi 17 décembre 2027 à 9 h 05"
    assert fr.long_datetime(date(2027, 6, 17)) == "jeudi 17 juin 2027"
    assert fr.long_datetime("2027-06-17 18:30") == "jeudi 17 juin 2027 à 18 h 30"  # naive


def test_time_of_day():
    assert fr.time(datetime(2027, 6, 17, 16, 30, tzinfo=UTC)) == f"18{NBSP}h{NBSP}30"
    assert fr.time(datetime(2027, 1, 17, 8, 5, tzinfo=UTC), space=" ") == "9 h 05"


def test_money_on_pages_and_exports():
    assert fr.money(Decimal("16")) == "16,00 €"
    assert fr.money(Decimal("1234567.5")) == f"1{NNBSP}234{NNBSP}567,50 €"
    assert fr.money(Decimal("-1234.5")) == f"-1{NNBSP}234,50 €"
    assert fr.money(None) == "0,00 €" and fr.money(2.675) == "2,68 €"


def test_money_in_a_sentence():
    assert fr.money_prose("16") == f"16{NBSP}€"
    assert fr.money_prose(Decimal("16.00")) == f"16{NBSP}€"
    assert fr.money_prose(Decimal("20.5")) == f"20,50{NBSP}€"
    assert fr.money_prose(Decimal("1234.5")) == f"1{NBSP}234,50{NBSP}€"


def test_numbers_and_percentages():
    assert fr.count(1750) == f"1{NBSP}750" and fr.count(12) == "12"
    assert fr.decimal(4.0, 1) == "4,0" and fr.decimal(3.456, 2) == "3,46"
    assert fr.decimal(Decimal("16.50")) == "16,50"
    assert fr.decimal(Decimal("100").normalize()) == "100"  # never "1E+2"
    assert fr.decimal(12345.5, 1) == "12345,5"  # no grouping
    assert fr.percent(12.5) == f"12,5{NBSP}%" and fr.percent(100) == f"100,0{NBSP}%"
    assert fr.percent(0) == f"0,0{NBSP}%"


def test_jinja_filters_come_from_here():
    assert fr.page_filters()["date_fr"] is fr.date
    assert fr.email_filters()["date_fr"] is fr.long_date


def test_month_and_year_of_a_day_or_an_instant_in_paris():
    assert fr.month_year(date(2027, 3, 31)) == "mars 2027"
    assert fr.month_year(datetime(2027, 3, 31, 22, 30, tzinfo=UTC)) == "avril 2027"
