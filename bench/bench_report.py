"""Benchmark: the consolidated report for 300 recipients × 17 sections (Word + Excel).

Prints the time of the model, the Word rendering and the Excel writing, their sum against the
5 s target, and a ratio against a baseline measured in the same run: python-docx and openpyxl
writing the same number of paragraphs / table cells / sheet cells raw, with no template,
no formatting decisions and no model.
Run: .venv/bin/python bench/bench_report.py [recipients]   (one size per process: the peak RSS
printed is that size's; province scale: 300 / 3000 / 10000)
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.campaign import load_campaigns  # noqa: E402
from flows.dev.report_preview import sample_agencies  # noqa: E402
from reports.consolidate import consolidate  # noqa: E402
from reports.excel import write_excel  # noqa: E402
from reports.word import render_word  # noqa: E402

TARGET_S = 5.0


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def baseline(paragraphs: list[str], table_cells: int, sheet_rows: list[list[object]], tmp: Path) -> float:
    """python-docx + openpyxl writing the same amount of content raw."""
    from docx import Document
    from openpyxl import Workbook

    start = time.perf_counter()
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    table = doc.add_table(rows=table_cells // 5, cols=5)
    for row in table.rows:
        for cell in row.cells:
            cell.text = "1.250"
    doc.save(str(tmp / "raw.docx"))
    wb = Workbook()
    ws = wb.active
    for row in sheet_rows:
        ws.append(row)
    wb.save(tmp / "raw.xlsx")
    return time.perf_counter() - start


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    names = [(f"dv{i:03d}", f"Cơ quan, đơn vị số {i}") for i in range(count)]
    agencies = sample_agencies(campaign, names, states=("submitted",))
    as_of = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model, t_model = timed(consolidate, campaign, agencies, [], as_of)
        docx, t_word = timed(render_word, model, tmp / "r.docx")
        xlsx, t_excel = timed(write_excel, model, tmp / "r.xlsx")
        total = t_model + t_word + t_excel
        # Same content, raw: one paragraph per answer paragraph and per heading, the annex cells,
        # and the sheet cells of the workbook.
        answers = [t for lines in model.narrative.values() for x in lines for t in x.text.split("\n")]
        paragraphs = answers + [s.heading for s in campaign.outline.sections] * 2
        table_cells = (len(model.matrix) + len(model.totals)) * 5
        sheet_rows = [[a.code, a.name, "1.a", "x", t] for a in agencies for t in a.sections.values()]
        sheet_rows += [list(r) for r in model.matrix.itertuples(index=False)]
        sheet_rows += [[a.code, a.name, a.state, a.received_at.replace(tzinfo=None), "email", "", "", ""] for a in agencies]
        t_base = baseline(paragraphs, table_cells, sheet_rows, tmp)
        sys.stdout.write(
            f"recipients={count} sections={len(campaign.outline.sections)} rows={len(campaign.outline.table.rows)}\n"
            f"answer paragraphs={len(answers)} table cells={table_cells} sheet rows={len(sheet_rows)}\n"
            f"model      {t_model:6.2f} s\n"
            f"word       {t_word:6.2f} s  ({docx.stat().st_size / 1e6:.1f} MB)\n"
            f"excel      {t_excel:6.2f} s  ({xlsx.stat().st_size / 1e6:.1f} MB)\n"
            f"total      {total:6.2f} s  (target < {TARGET_S:.0f} s: {'OK' if total < TARGET_S else 'MISSED'})\n"
            f"baseline   {t_base:6.2f} s  (python-docx + openpyxl, same content raw)\n"
            f"ratio      {total / t_base:6.2f} × baseline\n"
            f"peak RSS   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MB (whole process, baseline included)\n"
        )
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
