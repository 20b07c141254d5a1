"""What a reader keeps reaches the consolidated report: a percent cell's number (not its
formatted text) in the annex, a footnote's text with its section."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
from docx import Document as WordDocument
from openpyxl import load_workbook
from sqlalchemy import select

from flows.app import App, outline_spec
from flows.report import build_report
from parsers.api import parse_bytes
from storage.models import RecipientRow
from storage.submissions import record_submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "docx"
RECEIVED = dt.datetime(2025, 8, 12, 2, 0, tzinfo=dt.UTC)


def _sheet(spec) -> bytes:  # noqa: ANN001
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ (%)"])
    row = spec.rows[5]
    ws.append([row.id, row.label, 25000, 27913, 1.11652])
    ws.cell(row=2, column=5).number_format = "0.0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _record(app: App, code: str, data: bytes, name: str, n: int) -> None:
    campaign = app.campaign()
    spec = outline_spec(campaign)
    result = parse_bytes(data, name, spec)
    with app.session() as s:
        rid = next(r.id for r in s.scalars(select(RecipientRow)) if r.code == code)
        record_submission(
            session=s, campaign_id=campaign.id, recipient_id=rid, kind="report",
            received_at=RECEIVED + dt.timedelta(minutes=n), channel="folder",
            content_key=hashlib.sha256(data).hexdigest(), parsed=result,
            section_ids=[x.id for x in spec.sections], row_ids=[x.id for x in spec.rows],
        )
        s.commit()


def test_percent_cell_and_footnote_reach_the_report(app: App, tmp_path: Path) -> None:
    spec = outline_spec(app.campaign())
    _record(app, "ttkttdc", _sheet(spec), "bieu.xlsx", 0)
    _record(app, "soxd", (FIXTURES / "soxd_controls.docx").read_bytes(), "soxd_controls.docx", 1)
    out = build_report(app, out_dir=tmp_path, now=RECEIVED + dt.timedelta(days=5))
    row = spec.rows[5].id
    word = WordDocument(out["files"][0])
    annex = [[c.text for c in r.cells] for t in word.tables for r in t.rows]
    lines = [cells for cells in annex if cells[:1] == [row] and "25.000" in cells]
    # 111,652% shown to one decimal; read as text it was 111.652 ("111.652,0%").
    assert lines and all(cells[-1] == "111,7%" for cells in lines), lines
    details = load_workbook(out["files"][1], data_only=True)["Chi tiết"]
    (rate,) = [r[6] for r in details.iter_rows(values_only=True) if r[0] == "ttkttdc" and r[2] == row]
    assert rate == 111.652
    text = "\n".join(p.text for p in word.paragraphs)
    assert "(chú thích: Kế hoạch đăng tải tại Cổng thông tin điện tử của Sở.)" in text
