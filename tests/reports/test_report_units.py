"""Units in the consolidated totals: a known scale of one unit is converted, another kind of
unit is kept out of the total with an open problem and a note — never added silently."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from config.campaign import Campaign, load_campaigns
from parsers.units import COUNT, MONEY, header_unit, read_unit
from reports.consolidate import AgencyReport, Figures, consolidate

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaigns(ROOT / "config" / "campaigns")[0]


def _agency(code: str, **figures: Figures) -> AgencyReport:
    return AgencyReport(code, f"Sở {code.upper()}", state="submitted", figures=figures)


def _with_row_unit(campaign: Campaign, row_id: str, unit: str) -> Campaign:
    table = campaign.outline.table
    rows = [r.model_copy(update={"unit": unit}) if r.id == row_id else r for r in table.rows]
    outline = campaign.outline.model_copy(update={"table": table.model_copy(update={"rows": rows})})
    return campaign.model_copy(update={"outline": outline})


@pytest.mark.parametrize(
    ("text", "kind", "scale"),
    [
        ("triệu đồng", MONEY, 10**6), ("Tr.đồng", MONEY, 10**6), ("trđ", MONEY, 10**6), ("Tỷ đồng", MONEY, 10**9),
        ("nghìn đồng", MONEY, 1000), ("1.000 đồng", MONEY, 1000), ("VNĐ", MONEY, 1), ("nghìn lượt", COUNT, 1000),
        ("người", COUNT, 1), ("Doanh nghiệp", COUNT, 1), ("Lượt người", COUNT, 1),
        ("Tr.đồn g", MONEY, 10**6),
    ],
)
def test_read_unit(text: str, kind: str, scale: int) -> None:
    unit = read_unit(text)
    assert unit is not None and (unit.kind, unit.scale) == (kind, scale)


def test_no_unit_and_header_units() -> None:
    assert read_unit("") is None and read_unit("-") is None and read_unit("12") is None
    assert header_unit("Kết quả đến năm 2025 (nghìn lượt)") == read_unit("nghìn lượt")
    assert header_unit("Tỷ lệ (%)") is None and header_unit("Kết quả (2018 - 2025)") is None


def test_money_beside_counts_stays_out_of_the_total(campaign: Campaign) -> None:
    """Row 1 names no unit in the outline: most agencies count (no unit), one gives millions of
    đồng. Its figures stay out of the total, an open unit_mismatch names it, the row's note says so."""
    agencies = [
        _agency("a", **{"1": Figures(15, 15, 100.0)}),
        _agency("b", **{"1": Figures(3, 2, 66.7, unit="chuẩn")}),
        _agency("c", **{"1": Figures(1500, 1350.5, 90.0, unit="triệu đồng")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    total = model.totals_json()["1"]
    assert (total["plan"], total["result"], total["plan_n"]) == (18, 17, 2)
    mismatch = [p for p in model.problems if p.code == "unit_mismatch"]
    assert [(p.agency, p.open) for p in mismatch] == [("Sở C", True)]
    assert "triệu đồng" in mismatch[0].message and "1.500" in mismatch[0].message
    assert "không cộng vào tổng" in total["basis"] and "Sở C" in total["basis"]
    # The agency's own figures are still shown as it reported them.
    c = model.matrix[(model.matrix["code"] == "c") & (model.matrix["row"] == "1")]
    assert c["plan"].iloc[0] == 1500


def test_scales_of_one_unit_are_converted(campaign: Campaign) -> None:
    """Money in millions and in billions: converted to the unit most agencies use, with a note."""
    agencies = [
        _agency("a", **{"1": Figures(1500, 1350.5, 90.0, unit="triệu đồng")}),
        _agency("b", **{"1": Figures(5000, 4250.5, 85.0, unit="Tr.đồng")}),
        _agency("c", **{"1": Figures(2, 1.5, 75.0, unit="tỷ đồng")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    total = model.totals_json()["1"]
    assert (total["plan"], total["result"]) == (8500, 7101)
    assert total["unit"] == "triệu đồng"
    converted = [p for p in model.problems if p.code == "unit_converted"]
    assert [p.agency for p in converted] == ["Sở C"] and "2.000" in converted[0].message
    assert not [p for p in model.problems if p.code == "unit_mismatch"]
    assert "đã đổi sang triệu đồng" in total["basis"]


def test_outline_unit_is_the_reference(campaign: Campaign) -> None:
    """An outline naming the row's unit decides: a figure with no unit is taken in it, another
    scale is converted, another kind stays out."""
    shaped = _with_row_unit(campaign, "1", "Triệu đồng")
    agencies = [
        _agency("a", **{"1": Figures(100, 80, 80.0)}),
        _agency("b", **{"1": Figures(1, 1, 100.0, unit="tỷ đồng")}),
        _agency("c", **{"1": Figures(4, 4, 100.0, unit="chuẩn")}),
    ]
    model = consolidate(shaped, agencies, as_of=AS_OF)
    total = model.totals_json()["1"]
    assert (total["plan"], total["result"]) == (1100, 1080)
    assert [p.agency for p in model.problems if p.code == "unit_mismatch"] == ["Sở C"]
    assert [p.agency for p in model.problems if p.code == "unit_converted"] == ["Sở B"]


def test_counts_named_differently_add_up(campaign: Campaign) -> None:
    """Row 7 counts people: "người", "lượt người" and no unit are one count; nothing flagged."""
    agencies = [
        _agency("a", **{"7": Figures(10, 12, 120.0, unit="người")}),
        _agency("b", **{"7": Figures(5, 5, 100.0, unit="Lượt người")}),
        _agency("c", **{"7": Figures(1, 1, 100.0)}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    assert (model.totals_json()["7"]["plan"], model.totals_json()["7"]["result"]) == (16, 18)
    assert not [p for p in model.problems if p.code.startswith("unit_")]
    assert "7" not in model.unit_notes and "đổi sang" not in model.totals_json()["7"]["basis"]


def test_count_row_with_money_is_left_out_even_if_most_say_money(campaign: Campaign) -> None:
    """Row 5 ("Số doanh nghiệp …") counts by its label: money there is never the reference."""
    agencies = [
        _agency("a", **{"5": Figures(10, 12, None, unit="triệu đồng")}),
        _agency("b", **{"5": Figures(20, 22, None, unit="triệu đồng")}),
        _agency("c", **{"5": Figures(3, 3, None, unit="doanh nghiệp")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    assert model.totals_json()["5"]["plan"] == 3
    assert sorted(p.agency for p in model.problems if p.code == "unit_mismatch") == ["Sở A", "Sở B"]


def test_thousands_of_visits_convert_to_visits(campaign: Campaign) -> None:
    agencies = [
        _agency("a", **{"7": Figures(1.5, 1.8, 120.0, unit="nghìn lượt")}),
        _agency("b", **{"7": Figures(200, 215, None, unit="lượt")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    assert (model.totals_json()["7"]["plan"], model.totals_json()["7"]["result"]) == (1700, 2015)
    assert [p.agency for p in model.problems if p.code == "unit_converted"] == ["Sở A"]


def test_a_parser_unit_problem_is_listed_once(campaign: Campaign) -> None:
    from reports.consolidate import ProblemNote

    shaped = _with_row_unit(campaign, "1", "Triệu đồng")
    said = ProblemNote("unit_mismatch", "Dòng 1: đơn vị tính «chuẩn» khác đơn vị của đề cương «Triệu đồng»; …", "bảng 2")
    agencies = [
        _agency("a", **{"1": Figures(100, 80, 80.0)}),
        dataclasses.replace(_agency("c", **{"1": Figures(4, 4, 100.0, unit="chuẩn")}), problems=(said,)),
    ]
    model = consolidate(shaped, agencies, as_of=AS_OF)
    assert [p.code for p in model.problems if p.agency == "Sở C"] == ["unit_mismatch"]
    assert model.totals_json()["1"]["plan"] == 100


def test_figures_a_person_corrected_are_in_the_rows_unit(campaign: Campaign) -> None:
    """A person who corrects the figures of a row left out for its unit types them in the
    row's unit: they count, no unit problem remains."""
    agencies = [
        _agency("a", **{"5": Figures(10, 12, None)}),
        _agency("b", **{"5": Figures(3, 3, None, unit="triệu đồng", corrected=frozenset({"plan", "result"}))}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    assert model.totals_json()["5"]["plan"] == 13
    assert not [p for p in model.problems if p.code.startswith("unit_")]


def test_zero_in_another_unit_is_no_mismatch(campaign: Campaign) -> None:
    agencies = [_agency("a", **{"1": Figures(15, 15, 100.0)}), _agency("b", **{"1": Figures(0, 0, None, unit="Tr.đồng")})]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    assert not [p for p in model.problems if p.code.startswith("unit_")]
    assert model.totals_json()["1"]["plan_n"] == 2


def test_an_amount_total_names_its_unit(campaign: Campaign) -> None:
    agencies = [_agency("a", **{"1": Figures(100, 80, 80.0, unit="triệu đồng")}),
                _agency("b", **{"1": Figures(50, 50, 100.0, unit="Triệu đồng")})]
    total = consolidate(campaign, agencies, as_of=AS_OF).totals_json()["1"]
    assert total["plan"] == 150 and total["basis"].endswith("đơn vị tính: triệu đồng")


def test_word_and_excel_say_what_the_total_left_out(campaign: Campaign) -> None:
    from docx import Document
    from openpyxl import load_workbook

    from reports.excel import render_excel
    from reports.word import TEMPLATE, render_word

    agencies = [
        _agency("a", **{"1": Figures(15, 15, 100.0)}),
        _agency("b", **{"1": Figures(12, 10, None)}),
        _agency("c", **{"1": Figures(1500, 1350.5, 90.0, unit="triệu đồng")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    word = render_word(model, TEMPLATE.read_bytes())
    text = "\n".join(p.text for p in Document(io.BytesIO(word)).paragraphs)
    assert "không cộng vào tổng vì khác đơn vị tính" in text and "Sở C (1.500 / 1.350,5 triệu đồng)" in text
    wb = load_workbook(io.BytesIO(render_excel(model)), read_only=True)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    wb.close()
    assert any("Sở C (1.500 / 1.350,5 triệu đồng)" in c for c in cells)  # Tổng hợp's note
    assert any(c.startswith("Dòng 1: đơn vị tính «triệu đồng»") for c in cells)  # Vấn đề


def test_a_corrected_result_leaves_the_plan_in_the_agencys_unit(campaign: Campaign) -> None:
    """Row in triệu đồng; Sở B wrote 1,5 / 1,3 tỷ đồng and a person retyped only the result (in
    the row's unit): the plan 1,5 tỷ is still converted (1.500 triệu), the result taken as typed.
    Independent review of 7 Dec: the whole row lost its unit and 1,5 was added as 1,5 triệu."""
    c = _with_row_unit(campaign, "6", "triệu đồng")
    model = consolidate(c, [
        _agency("a", **{"6": Figures(1000, 800, unit="triệu đồng")}),
        _agency("b", **{"6": Figures(1.5, 1300, unit="tỷ đồng", corrected=frozenset({"result"}))}),
    ], as_of=AS_OF)
    totals = model.totals.loc["6"]
    assert totals["plan"] == 2500 and totals["result"] == 2100
    # Both retyped: both in the row's unit, nothing converted, nothing left out.
    both = consolidate(c, [
        _agency("a", **{"6": Figures(1000, 800, unit="triệu đồng")}),
        _agency("b", **{"6": Figures(1500, 1300, unit="tỷ đồng", corrected=frozenset({"plan", "result"}))}),
    ], as_of=AS_OF)
    assert both.totals.loc["6"]["plan"] == 2500
    assert not [p for p in both.problems if p.code in ("unit_mismatch", "unit_converted")]
