"""The one CSV writer: formula cells neutralised, a BOM for Excel, timestamps with their zone."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.domain.spreadsheet import BOM, csv_text, safe_cell

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1", '=HYPERLINK("x")']


@pytest.mark.parametrize("typed", FORMULAS)
def test_formula_cells_get_a_leading_apostrophe(typed):
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["Ann Lee", "דנה לוי", "Иван Петров", "a=b", "1+1", "'quoted", ""])
def test_plain_text_is_kept_as_typed(typed):
    assert safe_cell(typed) == typed


def test_numbers_the_product_writes_stay_numbers_and_none_is_empty():
    assert [safe_cell(v) for v in (-5, 0, 2.5, None)] == ["-5", "0", "2.5", ""]


def test_timestamps_carry_their_zone():
    naive = datetime(2024, 5, 1, 8, 12)
    assert safe_cell(naive) == "2024-05-01T08:12:00+00:00"
    sofia = datetime(2024, 5, 1, 11, 12, tzinfo=timezone(timedelta(hours=3)))
    assert safe_cell(sofia) == "2024-05-01T08:12:00+00:00"
    assert safe_cell(datetime(2024, 5, 1, 8, 12, tzinfo=UTC)) == "2024-05-01T08:12:00+00:00"


def test_the_file_has_a_bom_and_reads_back_cell_for_cell():
    text = csv_text(["name", "note"], [["=1+1", 'say "hi", then\nleave'], ["Дана", "-"]])
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"))))
    assert rows == [["name", "note"], ["'=1+1", 'say "hi", then\nleave'], ["Дана", "'-"]]
