"""Figures that must not be silently wrong: rows inside Word content controls, hidden sheet
rows, a row written twice, impossible counts, malformed or scaled numbers, problem texts in
Vietnamese number format, and a section's place pointing at its answer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from openpyxl import Workbook

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.docx_reader import read_docx
from parsers.model import BLOCKING_PROBLEMS, OutlineSpec, ProblemCode
from parsers.numbers import parse_number
from parsers.xlsx_reader import hidden_rows_and_columns, read_calamine, read_xlsx
from tests.parsers.outline_rows import LABELS

ROOT = Path(__file__).resolve().parents[2]

HEADER = ["TT", "Nội dung", "Đơn vị tính", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ (%)"]
OPENING = [
    "SỞ Y TẾ TỈNH QUẢNG NGÃI",
    "Số: 245/BC-SYT",
    "Quảng Ngãi, ngày 12 tháng 8 năm 2025",
    "BÁO CÁO",
    "Sơ kết Đề án 996 giai đoạn 2018 - 2025",
    "3. Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025",
]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def _rows(values: dict[str, tuple[str, str, str, str]]) -> list[tuple[str, ...]]:
    """Header, group rows and the outline's 7 rows: id → (unit, plan, result, rate)."""
    out: list[tuple[str, ...]] = [tuple(HEADER), ("I", "Tăng cường phát triển hạ tầng đo lường", "", "", "", "")]
    for rid, label in LABELS.items():
        if rid == "5":
            out.append(("II", "Triển khai công tác hỗ trợ doanh nghiệp đảm bảo chất lượng sản phẩm hàng hóa", "", "", "", ""))
        out.append((rid, label, *values.get(rid, ("", "-", "-", "-"))))
    return out


def _docx(rows: list[tuple[str, ...]], paragraphs: list[str] = OPENING) -> Document:
    d = Document()
    for text in paragraphs:
        d.add_paragraph(text)
    table = d.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    return d


def _bytes(d: Document) -> bytes:
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _wrap_rows(d: Document, first: int, last: int, how: str) -> None:
    """Table rows first..last (0-based) moved into a repeating-section content control
    (w:sdt/w:sdtContent, CT_SdtRow) or a w:customXml element inside w:tbl."""
    tbl = d.tables[0]._tbl
    trs = tbl.findall(qn("w:tr"))
    if how == "sdt":
        wrapper = etree.Element(qn("w:sdt"))
        pr = etree.SubElement(wrapper, qn("w:sdtPr"))
        etree.SubElement(pr, qn("w:id")).set(qn("w:val"), "123")
        holder = etree.SubElement(wrapper, qn("w:sdtContent"))
    else:
        wrapper = etree.Element(qn("w:customXml"))
        wrapper.set(qn("w:element"), "row")
        holder = wrapper
    trs[first].addprevious(wrapper)
    for tr in trs[first : last + 1]:
        holder.append(tr)


# --- 1. rows inside content controls / custom XML -------------------------------------------


@pytest.mark.parametrize("how", ["sdt", "customXml"])
def test_rows_in_a_content_control_or_custom_xml_are_read(spec: OutlineSpec, how: str) -> None:
    d = _docx(_rows({"5": ("Doanh nghiệp", "20", "18", "90"), "6": ("Phương tiện", "1.500", "1.250", "83,3")}))
    # Rows 7–9 of the grid: outline rows 5 and 6 (after the header, group I, rows 1–4, group II).
    _wrap_rows(d, 7, 9, how)
    data = _bytes(d)
    table = read_docx(data).tables[0]
    assert len(table.rows) == 10  # header, 2 group rows, 7 outline rows: none dropped
    result = parse_bytes(data, "soyt.docx", spec)
    assert (result.indicators["5"].plan, result.indicators["5"].result) == (20, 18)
    assert (result.indicators["6"].plan, result.indicators["6"].result) == (1500, 1250)
    assert not [p for p in result.problems if p.code == "row_missing"]


def test_a_content_control_still_showing_its_placeholder_is_not_read() -> None:
    d = _docx(_rows({}))
    _wrap_rows(d, 7, 7, "sdt")
    sdt = d.tables[0]._tbl.find(qn("w:sdt"))
    etree.SubElement(sdt.find(qn("w:sdtPr")), qn("w:showingPlcHdr"))
    rows = read_docx(_bytes(d)).tables[0].rows
    assert len(rows) == 9
    assert all(LABELS["5"] not in r for r in rows)


def test_body_paragraphs_and_tables_inside_content_controls_are_read() -> None:
    d = _docx(_rows({"6": ("Phương tiện", "1.500", "1.250", "83,3")}))
    body = d.element.body
    tbl = body.find(qn("w:tbl"))
    sdt = etree.Element(qn("w:sdt"))
    content = etree.SubElement(sdt, qn("w:sdtContent"))
    tbl.addprevious(sdt)
    content.append(tbl)
    cx = etree.Element(qn("w:customXml"))
    first = body.find(qn("w:p"))
    first.addprevious(cx)
    cx.append(first)
    doc = read_docx(_bytes(d))
    assert doc.paragraphs[0].text == "SỞ Y TẾ TỈNH QUẢNG NGÃI"
    assert len(doc.tables) == 1 and doc.tables[0].rows[8][3] == "1.500"


# --- 2. hidden sheet rows and a row written twice -----------------------------------------


def _sheet(rows: list[tuple], hidden: tuple[int, ...] = (), hidden_cols: tuple[str, ...] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu định lượng"
    ws.append(["Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025"])
    ws.append(["Tên cơ quan, đơn vị: Sở Xây dựng"])
    for row in rows:
        ws.append(list(row))
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    for col in hidden_cols:
        ws.column_dimensions[col].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_rows(extra_after_6: tuple | None = None) -> list[tuple]:
    grid = [
        ("TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ (%)"),
        ("I", "Tăng cường phát triển hạ tầng đo lường", None, None, None),
    ]
    for rid, label in LABELS.items():
        if rid == "5":
            grid.append(("II", "Triển khai công tác hỗ trợ doanh nghiệp", None, None, None))
        grid.append((rid, label, 9999, 1, None) if rid == "6" else (rid, label, "-", "-", "-"))
        if rid == "6" and extra_after_6:
            grid.append(extra_after_6)
    return grid


def test_hidden_rows_and_columns_are_found_in_the_sheet_xml() -> None:
    data = _sheet(_sheet_rows(), hidden=(12,), hidden_cols=("C",))
    assert hidden_rows_and_columns(data) == {"Biểu định lượng": (frozenset({12}), frozenset({3}))}
    assert hidden_rows_and_columns(_sheet(_sheet_rows())) == {}


@pytest.mark.parametrize("reader", [read_xlsx, read_calamine])
def test_a_hidden_old_row_does_not_win_and_is_reported(spec: OutlineSpec, reader) -> None:  # noqa: ANN001
    # Sheet row 11 (the old figures 9999 / 1, hidden) and row 12 (the new ones, visible).
    data = _sheet(_sheet_rows(("6", LABELS["6"], 1500, 1250, None)), hidden=(11,))
    doc = reader(data)
    assert doc is not None
    assert [p.code for p in doc.problems] == ["hidden_content"]
    assert "dòng ẩn 11" in doc.problems[0].message
    assert all("9999" not in row for t in doc.tables for row in t.rows)
    result = parse_bytes(data, "soxd.xlsx", spec)
    assert (result.indicators["6"].plan, result.indicators["6"].result) == (1500, 1250)
    assert "hidden_content" in [p.code for p in result.problems]
    assert not [p for p in result.problems if p.code == "row_duplicate"]


def test_a_row_only_in_hidden_rows_is_a_blocking_doubt_not_a_silent_blank(spec: OutlineSpec) -> None:
    """A collapsed group: outline row 6 sits only in hidden sheet row 11. Not read (hidden),
    but the report is not counted with row 6 quietly blank: a blocking problem says where
    its figures may be; with the same row visible elsewhere nothing is raised."""
    result = parse_bytes(_sheet(_sheet_rows(), hidden=(11,)), "soxd.xlsx", spec)
    codes = [p.code for p in result.problems]
    assert "hidden_content" in codes and "row_missing" in codes
    doubts = [p for p in result.problems if p.code == "hidden_row_missing"]
    assert [p.message.split(" «")[0] for p in doubts] == ["Không tìm thấy dòng 6"]
    assert ProblemCode.HIDDEN_ROW_MISSING in BLOCKING_PROBLEMS
    visible = parse_bytes(_sheet(_sheet_rows(("6", LABELS["6"], 1500, 1250, None)), hidden=(11,)), "soxd.xlsx", spec)
    assert not [p for p in visible.problems if p.code == "hidden_row_missing"]
    plain = parse_bytes(_sheet(_sheet_rows()), "soxd.xlsx", spec)
    assert not [p for p in plain.problems if p.code in ("hidden_row_missing", "row_missing")]


def test_a_hidden_column_is_not_read_and_is_reported(spec: OutlineSpec) -> None:
    grid = [(*row[:4], "", row[4]) if i == 0 else (*row[:4], 7777 if row[0] == "6" else None, row[4]) for i, row in enumerate(_sheet_rows())]
    grid[0] = ("TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Kết quả 2024", "Tỷ lệ (%)")
    data = _sheet(grid, hidden_cols=("E",))
    result = parse_bytes(data, "soxd.xlsx", spec)
    hidden = [p for p in result.problems if p.code == "hidden_content"]
    assert len(hidden) == 1 and "cột ẩn E" in hidden[0].message
    assert all(row.plan != 7777 and row.result != 7777 for row in result.extra_rows)
    assert result.indicators["6"].result == 1


def test_a_row_written_twice_with_different_figures_is_for_a_person(spec: OutlineSpec) -> None:
    data = _sheet(_sheet_rows(("6", LABELS["6"], 1500, 1250, None)))
    result = parse_bytes(data, "soxd.xlsx", spec)
    dup = [p for p in result.problems if p.code == "row_duplicate"]
    assert len(dup) == 1
    assert "9.999" in dup[0].message and "1.500" in dup[0].message and "1.250" in dup[0].message
    assert ProblemCode.ROW_DUPLICATE in BLOCKING_PROBLEMS
    six = result.indicators["6"]
    assert six.plan == 9999  # the first copy, tentatively, and no longer trusted
    assert six.values["plan"].confidence <= 0.5
    assert not result.extra_rows  # the copy is no agency's own row


def test_a_row_written_twice_with_the_same_figures_is_harmless(spec: OutlineSpec) -> None:
    data = _sheet(_sheet_rows(("6", LABELS["6"], 9999, 1, None)))
    result = parse_bytes(data, "soxd.xlsx", spec)
    assert not [p for p in result.problems if p.code == "row_duplicate"]
    assert result.indicators["6"].values["plan"].confidence == 1.0


def test_a_blank_copy_does_not_hide_the_filled_one(spec: OutlineSpec) -> None:
    grid = _sheet_rows(("6", LABELS["6"], 1500, 1250, None))
    grid = [(r[0], r[1], None, None, None) if r[0] == "6" and r[2] == 9999 else r for r in grid]
    result = parse_bytes(_sheet(grid), "soxd.xlsx", spec)
    assert (result.indicators["6"].plan, result.indicators["6"].result) == (1500, 1250)
    assert [p.code for p in result.problems].count("row_duplicate") == 1


def test_an_agency_row_near_an_outline_row_is_not_a_copy(spec: OutlineSpec) -> None:
    own = ("8", "Số cơ sở y tế được kiểm định thiết bị", 60, 45, None)
    result = parse_bytes(_sheet(_sheet_rows(own)), "soxd.xlsx", spec)
    assert not [p for p in result.problems if p.code == "row_duplicate"]
    assert [r.label for r in result.extra_rows] == [own[1]]


# --- 3. impossible numbers ---------------------------------------------------------------


def test_a_fraction_in_a_count_row_is_a_problem_suggesting_thousands(spec: OutlineSpec) -> None:
    # "1.250" typed in an Excel set to English is the number 1.25.
    data = _sheet([(*r[:2], 1.5, 1.25, None) if r[0] == "6" else r for r in _sheet_rows()])
    result = parse_bytes(data, "soxd.xlsx", spec)
    counts = [p for p in result.problems if p.code == "count_not_integer"]
    assert len(counts) == 2
    assert "1.500" in counts[0].message and "1.250" in counts[1].message
    assert result.indicators["6"].result == 1.25  # kept as read, never multiplied on a guess
    assert result.indicators["6"].values["result"].confidence <= 0.5
    assert ProblemCode.COUNT_NOT_INTEGER in BLOCKING_PROBLEMS


def test_a_fraction_is_fine_where_the_unit_is_an_amount(spec: OutlineSpec) -> None:
    d = _docx(_rows({"6": ("Triệu đồng", "1,5", "1,25", "83,3"), "4": ("Người", "30", "25,5", "85")}))
    result = parse_bytes(_bytes(d), "x.docx", spec)
    counts = [p for p in result.problems if p.code == "count_not_integer"]
    assert [p.message.split(":")[0] for p in counts] == ["Dòng 4"]


@pytest.mark.parametrize("text", ["1.250.5", "1,25,0", "1.25,5", "12.8.2025"])
def test_malformed_grouping_is_unreadable_not_a_number(text: str) -> None:
    n = parse_number(text)
    assert n.value is None and n.unreadable


@pytest.mark.parametrize(
    ("text", "value", "word"),
    [("2 tỷ đồng", 2e9, "tỷ"), ("1,5 triệu", 1.5e6, "triệu"), ("3 nghìn người", 3000, "nghìn"), ("80 tỷ lệ", 80, ""), ("5 ti vi", 5, "")],
)
def test_scale_words_are_applied_and_flagged(text: str, value: float, word: str) -> None:
    n = parse_number(text)
    assert n.value == value and n.scale == word


def test_a_scaled_cell_raises_a_problem(spec: OutlineSpec) -> None:
    d = _docx(_rows({"1": ("Chuẩn", "2 nghìn", "1.500", "75")}))
    result = parse_bytes(_bytes(d), "x.docx", spec)
    scaled = [p for p in result.problems if p.code == "number_scaled"]
    assert len(scaled) == 1 and "2.000" in scaled[0].message
    assert result.indicators["1"].plan == 2000
    assert result.indicators["1"].values["plan"].confidence < 1.0


# --- 4. problem texts in Vietnamese number format ----------------------------------------


def test_problem_texts_write_numbers_the_vietnamese_way(spec: OutlineSpec) -> None:
    d = _docx(_rows({"6": ("Phương tiện", "1.500.000", "1.250.000", "50"), "7": ("Người", "120", "100", "")}))
    result = parse_bytes(_bytes(d), "x.docx", spec)
    messages = {p.code: p.message for p in result.problems}
    assert "(1.250.000 / 1.500.000 = 83,3%)" in messages["rate_inconsistent"]
    assert "= 83,3%." in messages["rate_computed"]
    assert all("e+" not in m for m in messages.values())


# --- 5. a section's place is its answer's ------------------------------------------------


def test_a_section_under_a_standalone_heading_points_at_its_answer(spec: OutlineSpec) -> None:
    paragraphs = [
        *OPENING[:5],
        "1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện",
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996",
        "Sở Y tế đã ban hành Kế hoạch số 55/KH-SYT ngày 10/3/2022 triển khai Đề án.",
        "b) Về xây dựng văn bản quản lý, điều hành: Ban hành 03 văn bản hướng dẫn.",
    ]
    d = Document()
    for text in paragraphs:
        d.add_paragraph(text)
    result = parse_bytes(_bytes(d), "x.docx", spec)
    assert result.sections["1.a"].text.startswith("Sở Y tế đã ban hành")
    assert result.sections["1.a"].where == "đoạn 8"  # the answer, not its heading (đoạn 7)
    assert result.sections["1.b"].where == "đoạn 9"  # heading and answer on one line


def test_many_hidden_rows_do_not_split_the_table(spec: OutlineSpec) -> None:
    grid = _sheet_rows()
    at = next(i for i, r in enumerate(grid) if r[0] == "5")
    old = [(f"{k}", f"Dòng nháp cũ số {k}", 1, 2, None) for k in range(5)]
    grid[at:at] = old  # sheet rows of the draft: 10–14, hidden (filtered out)
    data = _sheet([(*r[:2], 30, 25, None) if r[0] in ("5", "7") else r for r in grid], hidden=tuple(range(10, 15)))
    doc = read_xlsx(data)
    assert len(doc.tables) == 1
    result = parse_bytes(data, "soxd.xlsx", spec)
    assert (result.indicators["5"].plan, result.indicators["7"].result) == (30, 25)
    assert "dòng ẩn 10, 11, 12, 13, 14" in next(p.message for p in result.problems if p.code == "hidden_content")
    assert not result.extra_rows


def test_a_note_naming_money_makes_the_row_an_amount(spec: OutlineSpec) -> None:
    rows = [(*HEADER, "Ghi chú")] + [
        (*r, "tỷ đồng" if r[0] == "1" else "") for r in _rows({"1": ("chuẩn", "12,5", "10,2", "81,6"), "6": ("Phương tiện", "1,5", "1", "")})[1:]
    ]
    result = parse_bytes(_bytes(_docx(rows)), "x.docx", spec)
    counts = [p.message for p in result.problems if p.code == "count_not_integer"]
    assert len(counts) == 1 and counts[0].startswith("Dòng 6:")
    assert result.indicators["1"].plan == 12.5
