"""The consolidated report as Excel (openpyxl): totals, agency × row detail, who sent what,
section texts, problems — each sheet one real Excel table with a frozen header.

Number formats: cells hold real numbers with the locale-neutral codes `#,##0` (counts) and
`#,##0.0` (rates, in percent). Excel and LibreOffice draw the separators from the reader's
locale, so on a Vietnamese Windows/Office the figures read 1.250 and 85,1; a format code with
literal Vietnamese separators would either turn numbers into text or break on other locales.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from parsers.vocab import display_id
from reports.consolidate import (
    CHANNEL_LABELS,
    Consolidation,
    clean_text,
    closing_text,
    json_number,
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


def write_excel(model: Consolidation, out_path: Path) -> Path:
    """Write the workbook and return its path."""
    wb = Workbook()
    wb.remove(wb.active)
    campaign = model.campaign
    title = campaign.report.title or campaign.title
    note = f"Tính đến {model.as_of:%H:%M ngày %d/%m/%Y}; ô trống tính là 0; tỷ lệ = kết quả / kế hoạch × 100."
    _sheet(wb, "Tổng hợp", "TongHop", title, note, _totals_columns(model), _totals_rows(model))
    _sheet(wb, "Chi tiết", "ChiTiet", "Số liệu của từng cơ quan, đơn vị", note, _detail_columns(model), _detail_rows(model))
    _sheet(wb, "Tình hình nộp", "TinhHinhNop", "Tình hình nộp báo cáo", _stats_note(model), _status_columns(), _status_rows(model))
    _sheet(wb, "Nội dung", "NoiDung", "Nội dung báo cáo theo từng mục", "", _text_columns(), _text_rows(model))
    _sheet(wb, "Vấn đề", "VanDe", "Vấn đề cần xem xét", "", _problem_columns(), _problem_rows(model))
    wb.properties.title = title
    wb.properties.creator = campaign.request.issuer
    wb.save(out_path)
    return out_path


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
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    if note:
        ws["A2"] = note
        ws["A2"].font = Font(italic=True)
    header_row = 4
    for col, column in enumerate(columns, start=1):
        ws.cell(header_row, col, column.heading)
        ws.column_dimensions[get_column_letter(col)].width = column.width
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    count = 0
    for count, values in enumerate(rows, start=1):  # noqa: B007
        for col, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = ws.cell(header_row + count, col, _value(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            if column.fmt == COUNT and isinstance(cell.value, float):
                cell.number_format = COUNT_DECIMAL
            elif column.fmt:
                cell.number_format = column.fmt
            cell.alignment = wrap if column.wrap else top
    if count == 0:
        count = 1  # a table needs a data row; leave it blank
    last = get_column_letter(len(columns))
    table = Table(displayName=table_name, ref=f"A{header_row}:{last}{header_row + count}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.sheet_view.zoomScale = 100


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
        Column("Gồm số liệu chưa kiểm tra của", 40, wrap=True),
    ]


def _totals_rows(model: Consolidation) -> Iterable[list[Any]]:
    for row_id, row in model.totals.iterrows():
        doubtful = "; ".join(model.doubtful.get(str(row_id), ()))
        yield [row_id, row["group"], row["label"], row["plan"], row["result"], _num(row["rate"]), int(row["reporting"]), doubtful]


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
        Column("Mã", 20),
        Column("Nội dung", 70, wrap=True),
        Column("Vị trí", 40, wrap=True),
        Column("Tình trạng", 22),
    ]


def _problem_rows(model: Consolidation) -> Iterable[list[Any]]:
    kinds = {"submission": "Báo cáo", "review": "Chờ xem xét"}
    for p in model.problems:
        state = "Chưa kiểm tra" if p.open else ""
        yield [kinds.get(p.kind, p.kind), p.agency, p.code, p.message, p.where, state]


def _num(value: Any) -> Any:
    return json_number(value)

