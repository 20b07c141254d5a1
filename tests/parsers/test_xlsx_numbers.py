"""A numeric cell's value is the number Excel holds (×100 under a percent format), whatever
its decimals: read through openpyxl, python-calamine, and LibreOffice for .xls/.ods."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec
from parsers.numbers import parse_number
from parsers.xlsx_reader import calamine_suits, read_calamine, read_xlsx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _workbook(spec: OutlineSpec, rates: list[tuple[float, str]], plan_result: list[tuple[float, float]]) -> bytes:
    """A quantitative table: numeric plan/result cells and numeric rate cells of the given formats."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ (%)"])
    for n, (row, (rate, fmt), (plan, result)) in enumerate(zip(spec.rows, rates, plan_result, strict=False), 1):
        ws.append([n, row.label, plan, result, rate])
        ws.cell(row=n + 1, column=5).number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cells(doc) -> list[list[str]]:  # noqa: ANN001
    (table,) = doc.tables
    return table.rows


# Rates with exactly three decimals once ×100 (111,652%) were read as thousands (111.652).
RATES = [(1.11652, "0.0%"), (1.088372093023256, "0.00%"), (0.6, "0%"), (1.125, "General")]
COUNTS = [(25000, 27913), (2150, 2340), (5, 3), (8, 9)]


def test_openpyxl_keeps_the_number_of_a_percent_cell(spec: OutlineSpec) -> None:
    data = _workbook(spec, RATES, COUNTS)
    assert not calamine_suits(data, "xlsx")  # percent formats: openpyxl
    rows = _cells(read_xlsx(data))
    read = [parse_number(r[4]) for r in rows[1:]]
    assert [n.value for n in read] == [111.652, 108.8372, 60, 1.125]
    assert not any(n.ambiguous for n in read)


def test_calamine_keeps_the_number_of_a_decimal_cell(spec: OutlineSpec) -> None:
    data = _workbook(spec, [(1.125, "General"), (12.345, "General"), (0.5, "General")], COUNTS)
    assert calamine_suits(data, "xlsx")
    fast = read_calamine(data)
    assert fast is not None
    assert _cells(fast) == _cells(read_xlsx(data))
    assert [parse_number(r[4]).value for r in _cells(fast)[1:]] == [1.125, 12.345, 0.5]


def test_percent_cell_value_reaches_the_result_without_doubt(spec: OutlineSpec) -> None:
    result = parse_bytes(_workbook(spec, RATES, COUNTS), "bieu.xlsx", spec)
    first = result.indicators[spec.rows[0].id]
    assert (first.plan, first.result, first.rate) == (25000, 27913, 111.652)
    assert [result.indicators[r.id].rate for r in spec.rows[:4]] == [111.652, 108.8372, 60, 112.5]
    codes = {(p.code, p.where) for p in result.problems}
    assert not any(code in {"number_ambiguous", "rate_inconsistent"} for code, _ in codes), codes


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_legacy_sheets_keep_the_number(spec: OutlineSpec, fmt: str, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice is needed: apt-get install -y libreoffice-calc-nogui")
    import subprocess

    src = tmp_path / "bieu.xlsx"
    src.write_bytes(_workbook(spec, RATES, COUNTS))
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", fmt,
         "--outdir", str(tmp_path), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    result = parse_bytes((tmp_path / f"bieu.{fmt}").read_bytes(), f"bieu.{fmt}", spec)
    # 1,125 in General is the fraction 9/8 (the table reader's own rule): 112,5%.
    assert [result.indicators[r.id].rate for r in spec.rows[:4]] == [111.652, 108.8372, 60, 112.5]
    assert not any(p.code == "number_ambiguous" for p in result.problems)
