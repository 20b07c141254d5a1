"""python-calamine reads the workbooks whose values say everything, with the same outcome as
openpyxl; the others (legacy fonts, percent formats, reports written in cells) stay on openpyxl."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import interpret_doc
from parsers.model import OutlineSpec
from parsers.xlsx_reader import calamine_suits, read_calamine, read_xlsx

ROOT = Path(__file__).resolve().parents[2]
FAST = ["independent/x02_lmhtx_table_only.xlsx", "independent/x04_ttkttdc_phase_pairs.xlsx",
        "independent/z09_bqlkkt_company_list.xlsx", "probe/p29_xlsx_hnd.xlsx"]
SLOW = {"formats/bieu-lo.xlsx": "legacy font", "independent/x03_sonnmt_numbered_rows_percent_cells.xlsx": "percent",
        "formats/bieu.ods": "percent"}


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.mark.parametrize("name", FAST)
def test_calamine_reads_like_openpyxl(name: str, spec: OutlineSpec) -> None:
    data = (ROOT / "tests" / "fixtures" / name).read_bytes()
    assert calamine_suits(data, "xlsx")
    fast, slow = read_calamine(data), read_xlsx(data)
    assert fast is not None
    a = interpret_doc(fast, spec, file=name, fmt="xlsx").to_json()
    b = interpret_doc(slow, spec, file=name, fmt="xlsx").to_json()
    for key in ("kind", "agency", "doc_number", "doc_date", "indicators", "sections", "extra_rows"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("name", sorted(SLOW))
def test_fonts_and_percent_formats_stay_on_openpyxl(name: str) -> None:
    data = (ROOT / "tests" / "fixtures" / name).read_bytes()
    assert not calamine_suits(data, name.rsplit(".", 1)[1])


def test_a_report_written_in_cells_needs_its_bold_headings() -> None:
    data = (ROOT / "tests" / "fixtures" / "formats" / "bao-cao-excel.xlsx").read_bytes()
    assert calamine_suits(data, "xlsx") and read_calamine(data) is None
