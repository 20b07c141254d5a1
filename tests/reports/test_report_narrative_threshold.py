"""Past `report.narrative_in_word_max` agencies answering a section, the Word report prints the
shared answers with their number of agencies and one line sending the reader to the Excel sheet
«Nội dung» for the agencies' own texts (and likewise for the closing part); at or below it,
every agency's text is printed under its name."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from docx import Document as WordDocument
from openpyxl import load_workbook

from config.campaign import load_campaigns
from flows.dev.report_preview import sample_agencies
from reports.consolidate import consolidate
from reports.excel import render_excel
from reports.word import TEMPLATE, render_word

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)
NAMES = [(f"dv{i}", f"Đơn vị thử số {i}") for i in range(40)]


def _build(limit: int, tmp_path: Path):  # noqa: ANN202
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    report = campaign.report.model_copy(update={"narrative_in_word_max": limit})
    campaign = campaign.model_copy(update={"report": report})
    model = consolidate(campaign, sample_agencies(campaign, NAMES, states=("submitted",)), [], as_of=AS_OF)
    docx, xlsx = tmp_path / f"r{limit}.docx", tmp_path / f"r{limit}.xlsx"
    docx.write_bytes(render_word(model, TEMPLATE.read_bytes()))
    xlsx.write_bytes(render_excel(model))
    return model, [p.text for p in WordDocument(str(docx)).paragraphs], xlsx


def test_every_text_printed_up_to_the_threshold(tmp_path: Path) -> None:
    model, paras, _ = _build(1000, tmp_path)
    own = [x for lines in model.narrative.values() for x in lines if not x.stock]
    assert own, "the sample agencies give their own texts"
    assert sum(1 for p in paras if p.startswith("- Đơn vị thử số")) >= len(own)
    assert not any("«Nội dung»" in p for p in paras)


def test_own_texts_move_to_excel_past_the_threshold(tmp_path: Path) -> None:
    model, paras, xlsx = _build(10, tmp_path)
    _, every, _ = _build(1000, tmp_path)
    assert len(paras) < len(every) // 2
    assert not any(p.startswith("- Đơn vị thử số") for p in paras)  # no agency named one by one
    notes = [p for p in paras if "«Nội dung»" in p]
    assert notes and all(n == unicodedata.normalize("NFC", n) for n in notes)
    # One note per section answered by more than 10 agencies with texts of their own, plus the closing part.
    crowded = [s for s, lines in model.narrative.items()
               if sum(len(x.names) for x in lines) > 10 and any(not x.stock for x in lines)]
    assert len(notes) == len(crowded) + (1 if len(model.closing) > 10 else 0)
    own = {s: sum(len(x.names) for x in lines if not x.stock) for s, lines in model.narrative.items()}
    assert any(f"- {n} cơ quan, đơn vị" in p for p in notes for n in own.values())
    # The sheet the notes name holds every agency's own text.
    wb = load_workbook(xlsx, read_only=True)
    texts = {(row[0], row[4]) for row in wb["Nội dung"].iter_rows(min_row=4, values_only=True) if row and row[0]}
    wb.close()
    by_code = {a.name: a.code for a in model.agencies}
    for lines in model.narrative.values():
        for x in lines:
            if not x.stock:
                assert (by_code[x.names[0]], x.text) in texts


def test_late_agencies_counted_past_the_threshold(tmp_path: Path) -> None:
    model, paras, _ = _build(5, tmp_path)
    late = len(model.stats.late)
    assert late > 5
    line = next(p for p in paras if p.startswith("- Các cơ quan, đơn vị báo cáo trễ hạn:"))
    assert f"{late} cơ quan, đơn vị (danh sách tại trang «Tình hình nộp»" in line
    assert "Đơn vị thử số" not in line
    _, every, _ = _build(1000, tmp_path)
    line = next(p for p in every if p.startswith("- Các cơ quan, đơn vị báo cáo trễ hạn:"))
    assert all(name in line for name in model.stats.late)
