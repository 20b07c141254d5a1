"""Past `report.annex_in_word_max` agencies with figures, the Word report sends the reader to the
Excel file instead of printing one annex table per agency; at or below it, the annex is printed."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from docx import Document as WordDocument
from openpyxl import load_workbook

from config.campaign import Campaign, load_campaigns
from flows.dev.report_preview import sample_agencies
from reports.consolidate import consolidate
from reports.excel import render_excel
from reports.word import TEMPLATE, render_word

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)
NAMES = [(f"dv{i}", f"Đơn vị thử số {i}") for i in range(3)]


def _campaign(limit: int) -> Campaign:
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    report = campaign.report.model_copy(update={"annex_in_word_max": limit})
    return campaign.model_copy(update={"report": report})


def _build(limit: int, tmp_path: Path) -> tuple[list[str], int, Path]:
    campaign = _campaign(limit)
    model = consolidate(campaign, sample_agencies(campaign, NAMES, states=("submitted",)), [], as_of=AS_OF)
    assert model.matrix["code"].nunique() == 3  # every agency sent figures
    docx, xlsx = tmp_path / f"r{limit}.docx", tmp_path / f"r{limit}.xlsx"
    docx.write_bytes(render_word(model, TEMPLATE.read_bytes()))
    xlsx.write_bytes(render_excel(model))
    doc = WordDocument(str(docx))
    paras = [p.text for p in doc.paragraphs]
    return paras, len(doc.tables), xlsx


def test_annex_printed_up_to_the_threshold(tmp_path: Path) -> None:
    paras, tables, _ = _build(3, tmp_path)
    assert tables == 3 + 3  # header, totals, signature + one annex table per agency
    headings = [p for p in paras if p[:1].isdigit() and "Đơn vị thử số" in p]
    assert [h.split(" (")[0] for h in headings] == ["1. Đơn vị thử số 0", "2. Đơn vị thử số 1", "3. Đơn vị thử số 2"]
    assert not any("«Chi tiết»" in p for p in paras)


def test_annex_moves_to_excel_past_the_threshold(tmp_path: Path) -> None:
    paras, tables, xlsx = _build(2, tmp_path)
    assert tables == 3  # no annex table at all
    assert not any(p.startswith("1. Đơn vị thử số") for p in paras)
    assert "Chưa có cơ quan, đơn vị nào gửi số liệu." not in paras  # figures exist: not "none yet"
    note = next(p for p in paras if "«Chi tiết»" in p)
    assert note == unicodedata.normalize("NFC", note)
    assert "3 cơ quan, đơn vị đã gửi số liệu, nhiều hơn 2" in note
    assert "tệp Excel" in note
    # The sheet the note names holds every agency's rows.
    wb = load_workbook(xlsx, read_only=True)
    codes = {row[0] for row in wb["Chi tiết"].iter_rows(min_row=5, values_only=True)}
    wb.close()
    assert {"dv0", "dv1", "dv2"} <= codes
