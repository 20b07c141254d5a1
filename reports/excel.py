"""The consolidated report as Excel (openpyxl): totals, agency × row detail, who sent what,
section texts, problems — each sheet one real Excel table with a frozen header.

Number formats: cells hold real numbers with the locale-neutral codes `#,##0` (counts) and
`#,##0.0` (rates, in percent). Excel and LibreOffice draw the separators from the reader's
locale, so on a Vietnamese Windows/Office the figures read 1.250 and 85,1; a format code with
literal Vietnamese separators would either turn numbers into text or break on other locales.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from copy import copy
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from parsers.vocab import display_id
from reports.consolidate import (
    CHANNEL_LABELS,
    Consolidation,
    clean_text,
    closing_text,
    json_number,
    place_words,
    problem_label,
)
from reports.status import STATE_LABELS

COUNT = "#,##0"
COUNT_DECIMAL = "#,##0.0#"  # the rare non-whole count (12,5)
RATE = "#,##0.0"
WHEN = "dd/mm/yyyy hh:mm"
MAX_CELL = 32_000
# A figure from a submission whose problems a person has not checked yet.
DOUBTFUL = "Có vấn đề chưa xử lý"
# Recipient groups of the recipients file (column `nhom`); unknown codes are shown as they are.
GROUP_LABELS = {
    "so_nganh": "Sở, ban, ngành",
    "don_vi": "Đơn vị sự nghiệp",
    "kkt_kcn": "Ban Quản lý KKT, KCN",
    "hiep_hoi": "Hội, hiệp hội doanh nghiệp",
    "ct_xh": "Tổ chức chính trị - xã hội",
}  # Excel's limit is 32,767 characters per cell


class Column:
    """A column of a sheet: heading, width (characters), number format, wrap."""

    def __init__(self, heading: str, width: float, fmt: str | None = None, *, wrap: bool = False) -> None:
        self.heading, self.width, self.fmt, self.wrap = heading, width, fmt, wrap


def render_excel(model: Consolidation) -> bytes:
    """The workbook's bytes (the caller writes them: no file here).

    Streamed (openpyxl's write-only mode): rows are serialised as they are produced, so memory does
    not grow with the number of cells, and each column's style is computed once (assigning an
    `Alignment` per cell makes openpyxl hash and look it up again every time).
    """
    wb = Workbook(write_only=True)
    campaign = model.campaign
    title = campaign.report.title or campaign.title
    when = f"Tính đến {model.as_of:%H:%M ngày %d/%m/%Y}"
    note = f"{when}. {model.totals_note}"
    detail = f"{when}; ô trống: đơn vị không ghi số; tỷ lệ = kết quả / kế hoạch × 100 (xem cột nguồn số liệu)."
    _sheet(wb, "Tổng hợp", "TongHop", title, note, _totals_columns(model), _totals_rows(model))
    _sheet(wb, "Chi tiết", "ChiTiet", "Số liệu của từng cơ quan, đơn vị", detail, _detail_columns(model), _detail_rows(model))
    _sheet(wb, "Tình hình nộp", "TinhHinhNop", "Tình hình nộp báo cáo", _stats_note(model), _status_columns(), _status_rows(model))
    _sheet(wb, "Nội dung", "NoiDung", "Nội dung báo cáo theo từng mục", "", _text_columns(), _text_rows(model))
    _sheet(wb, "Vấn đề", "VanDe", "Vấn đề cần xem xét", "", _problem_columns(), _problem_rows(model))
    wb.properties.title = title
    wb.properties.creator = campaign.request.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Styles:
    """One styled prototype cell per (alignment, number format); cells copy its style array."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.protos: dict[tuple[bool, str | None], WriteOnlyCell] = {}

    def cell(self, value: Any, *, wrap: bool, fmt: str | None) -> WriteOnlyCell:
        proto = self.protos.get((wrap, fmt))
        if proto is None:
            proto = WriteOnlyCell(self.ws)
            proto.alignment = Alignment(wrap_text=True, vertical="top") if wrap else Alignment(vertical="top")
            if fmt:
                proto.number_format = fmt
            self.protos[(wrap, fmt)] = proto
        cell = WriteOnlyCell(self.ws, value)
        cell._style = copy(proto._style)  # noqa: SLF001 - openpyxl's own way to share a style
        return cell


def _sheet(
    wb: Any,
    name: str,
    table_name: str,
    title: str,
    note: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> None:
    """A title, a note, then one Excel table (header frozen, filters, banded rows)."""
    ws = wb.create_sheet(name)
    header_row = 4
    for col, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(col)].width = column.width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.sheet_view.zoomScale = 100
    _print_setup(ws, header_row)
    heading = WriteOnlyCell(ws, title)
    heading.font = Font(bold=True, size=13)
    ws.append([heading])
    if note:
        italic = WriteOnlyCell(ws, note)
        italic.font = Font(italic=True)
        ws.append([italic])
    else:
        ws.append([])
    ws.append([])
    ws.append([column.heading for column in columns])
    styles = _Styles(ws)
    count = 0
    for count, values in enumerate(rows, start=1):  # noqa: B007
        out = []
        for column, value in zip(columns, values, strict=True):
            clean = _value(value)
            fmt = COUNT_DECIMAL if column.fmt == COUNT and isinstance(clean, float) else column.fmt
            cell = styles.cell(clean, wrap=column.wrap, fmt=fmt)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            out.append(cell)
        ws.append(out)
    if count == 0:
        count = 1  # a table needs a data row; leave it blank
        ws.append([])
    last = get_column_letter(len(columns))
    table = Table(displayName=table_name, ref=f"A{header_row}:{last}{header_row + count}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # Write-only sheets cannot read the header back: the columns are named here.
    table.tableColumns = [TableColumn(id=i, name=c.heading) for i, c in enumerate(columns, start=1)]
    table.autoFilter = AutoFilter(ref=table.ref)
    with warnings.catch_warnings():
        # openpyxl warns on every write-only add_table; the columns are named just above.
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually", UserWarning)
        ws.add_table(table)


def _print_setup(ws: Any, header_row: int) -> None:
    """Printed the way the form sent to agencies is: A4 landscape, every column on the page's
    width (as many pages down as needed), the header row repeated on every page, centred."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4; write-only sheets lack the name)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P/&N"


def _value(value: Any) -> Any:
    if isinstance(value, str):
        text = clean_text(value)
        return text if len(text) <= MAX_CELL else text[:MAX_CELL] + " …(còn tiếp)"
    if isinstance(value, float):
        return json_number(value)
    return value


def _cols(model: Consolidation) -> Any:
    return model.campaign.outline.table.columns


def _totals_columns(model: Consolidation) -> list[Column]:
    cols = _cols(model)
    return [
        Column("TT", 6),
        Column("Nhóm", 7),
        Column("Nội dung", 60, wrap=True),
        Column(cols.plan, 16, COUNT),
        Column(cols.result, 16, COUNT),
        Column("Tỷ lệ đạt được (%)", 14, RATE),
        Column("Số đơn vị có số liệu", 12, "0"),
        Column("Số đơn vị ghi kế hoạch", 12, "0"),
        Column("Số đơn vị ghi kết quả", 12, "0"),
        Column("Tỷ lệ tính trên (số đơn vị ghi cả hai)", 14, "0"),
        Column("Ghi chú", 40, wrap=True),
        Column("Gồm số liệu chưa kiểm tra của", 40, wrap=True),
    ]


def _totals_rows(model: Consolidation) -> Iterable[list[Any]]:
    totals = model.totals_json()
    for row_id, row in model.totals.iterrows():
        t = totals[str(row_id)]
        doubtful = "; ".join(model.doubtful.get(str(row_id), ()))
        yield [row_id, row["group"], row["label"], t["plan"], t["result"], t["rate"], int(row["reporting"]),
               t["plan_n"], t["result_n"], t["rate_n"], t["basis"], doubtful]


def _detail_columns(model: Consolidation) -> list[Column]:
    cols = _cols(model)
    return [
        Column("Mã đơn vị", 12),
        Column("Cơ quan, đơn vị", 40, wrap=True),
        Column("TT", 6),
        Column("Nội dung", 55, wrap=True),
        Column(cols.plan, 16, COUNT),
        Column(cols.result, 16, COUNT),
        Column("Tỷ lệ đạt được (%)", 14, RATE),
        Column("Chưa kiểm tra", 14),
        Column("Nguồn số liệu (tệp › bảng, dòng)", 50, wrap=True),
    ]


def _detail_rows(model: Consolidation) -> Iterable[list[Any]]:
    by_code = {a.code: a for a in model.agencies}
    previous = None
    for r in model.matrix.itertuples(index=False):
        if previous is not None and previous != r.code:
            yield from _extra_rows(by_code[previous])
        previous = r.code
        agency = by_code[r.code]
        mark = DOUBTFUL if agency.doubtful else ""
        yield [r.code, r.name, r.row, r.label, _num(r.plan), _num(r.result), _num(r.rate), mark,
               agency.provenance.get(str(r.row), "")]
    if previous is not None:
        yield from _extra_rows(by_code[previous])


def _extra_rows(agency: Any) -> Iterable[list[Any]]:
    for extra in agency.extra_rows:
        f = extra.figures
        yield [agency.code, agency.name, "", f"{extra.label} (đơn vị bổ sung)", f.plan, f.result, f.rate,
               DOUBTFUL if agency.doubtful else "", "đơn vị bổ sung"]


def _status_columns() -> list[Column]:
    return [
        Column("Mã đơn vị", 12),
        Column("Cơ quan, đơn vị", 40, wrap=True),
        Column("Nhóm", 22, wrap=True),
        Column("Tình trạng", 24),
        Column("Nhận lúc", 17, WHEN),
        Column("Kênh", 18),
        Column("Trễ hạn", 9),
        Column("Tệp", 40, wrap=True),
        Column("Số văn bản", 18),
        Column("Độ tin cậy khi đọc (%)", 12, "0"),
        Column("Vấn đề chưa kiểm tra", 12, "0"),
        Column("Ký số", 50, wrap=True),
    ]


def _status_rows(model: Consolidation) -> Iterable[list[Any]]:
    tz = model.campaign.tz
    for a in model.agencies:
        # Excel has no time zones: local (campaign) time, written naive.
        when = a.received_at.astimezone(tz).replace(tzinfo=None) if a.received_at else None
        yield [
            a.code,
            a.name,
            GROUP_LABELS.get(a.group, a.group),
            STATE_LABELS.get(a.state, a.state),
            when,
            CHANNEL_LABELS.get(a.channel or "", a.channel or ""),
            "Có" if a.late else "",
            "; ".join(a.files),
            a.doc_number or "",
            round(a.confidence * 100) if a.confidence is not None else None,
            model.open_count(a) if a.responded else None,  # the open lines of «Vấn đề»
            "\n".join(a.signed),
        ]


def _stats_note(model: Consolidation) -> str:
    s = model.stats
    return (
        f"Tổng {s.total} đơn vị: đã báo cáo {s.responded} (đúng hạn {len(s.on_time)}, trễ hạn "
        f"{len(s.late)}; không phát sinh {len(s.nil)}); đã hẹn gửi {len(s.acknowledged)}; "
        f"chưa trả lời {len(s.not_responded)}."
    )


def _text_columns() -> list[Column]:
    return [
        Column("Mã đơn vị", 12),
        Column("Cơ quan, đơn vị", 30, wrap=True),
        Column("Mục", 8),
        Column("Tên mục", 40, wrap=True),
        Column("Nội dung", 90, wrap=True),
    ]


def _text_rows(model: Consolidation) -> Iterable[list[Any]]:
    sections = model.campaign.outline.sections
    for a in model.agencies:
        if a.state != "submitted":
            continue
        for s in sections:
            text = clean_text(a.sections.get(s.id))
            if text:
                yield [a.code, a.name, display_id(s.id), s.heading, text]
        if text := closing_text(a):
            yield [a.code, a.name, "khác", "Đánh giá, khó khăn, kiến nghị", text]


def _problem_columns() -> list[Column]:
    return [
        Column("Loại", 16),
        Column("Cơ quan, đơn vị", 30, wrap=True),
        Column("Vấn đề", 34, wrap=True),
        Column("Nội dung", 70, wrap=True),
        Column("Vị trí", 40, wrap=True),
        Column("Tình trạng", 22),
    ]


def _problem_rows(model: Consolidation) -> Iterable[list[Any]]:
    kinds = {"submission": "Báo cáo", "review": "Chờ xem xét"}
    for p in model.problems:
        state = "Chưa kiểm tra" if p.open else ""
        where = model.sources.get(p.where) or place_words(p.where)
        yield [kinds.get(p.kind, p.kind), p.agency or "Chưa rõ đơn vị", problem_label(p.code), p.message, where, state]


def _num(value: Any) -> Any:
    return json_number(value)

