"""Benchmark: the consolidated report (Word + Excel) at province scale, 17 sections × 7 rows.

`bench/bench_report.py` runs 300, 3,000 and 10,000 recipients (every one with a report: the
worst case) in the same run, each size in its own child process so the peak RSS printed is
that size's alone, and prints time and memory per size with the ratios to the smallest size
(linear: time ratio ≈ recipients ratio). Baseline in the same run, at the smallest size only
(it is quadratic in table rows: `add_table` of 21,000 rows takes minutes): python-docx and
openpyxl writing the same paragraphs / table cells / sheet cells raw, no template, no model.
`--annex-in-word` keeps the per-agency annex in the Word file at every size (the behaviour
before `report.annex_in_word_max`), for comparison.
A second baseline, linear, at every size: the same content streamed raw (lxml xmlfile into
python-docx's empty document, openpyxl write-only), so the report's growth is compared with
the growth of merely writing that much content. `--keep DIR` keeps each size's .docx/.xlsx.
Run: .venv/bin/python bench/bench_report.py [sizes…] [--annex-in-word] [--keep DIR]
     .venv/bin/python bench/bench_report.py --one N [--baseline] [--annex-in-word]   (one size)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (300, 3000, 10_000)
TARGET_S = 5.0  # at 300 recipients


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


def linear_baseline(paragraphs: list[str], table_cells: int, sheet_rows: list[list[object]], tmp: Path) -> float:
    """The same content written raw in a single pass: WordprocessingML streamed with lxml into
    python-docx's empty document, and an openpyxl write-only workbook (linear at every size)."""
    import zipfile

    import docx
    from lxml import etree
    from openpyxl import Workbook

    start = time.perf_counter()
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    template = Path(docx.__file__).parent / "templates" / "default.docx"
    body_xml = tmp / "document.xml"
    with etree.xmlfile(str(body_xml), encoding="utf-8") as xf:
        xf.write_declaration(standalone=True)
        with xf.element(f"{{{w}}}document", nsmap={"w": w}), xf.element(f"{{{w}}}body"):
            for text in paragraphs:
                p = etree.Element(f"{{{w}}}p")
                etree.SubElement(etree.SubElement(p, f"{{{w}}}r"), f"{{{w}}}t").text = text
                xf.write(p)
            with xf.element(f"{{{w}}}tbl"):
                for _ in range(table_cells // 5):
                    tr = etree.Element(f"{{{w}}}tr")
                    for _ in range(5):
                        tc = etree.SubElement(tr, f"{{{w}}}tc")
                        r = etree.SubElement(etree.SubElement(tc, f"{{{w}}}p"), f"{{{w}}}r")
                        etree.SubElement(r, f"{{{w}}}t").text = "1.250"
                    xf.write(tr)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(tmp / "lin.docx", "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "word/document.xml":
                dst.write(body_xml, item.filename)
            else:
                dst.writestr(item, src.read(item.filename))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in sheet_rows:
        ws.append(row)
    wb.save(tmp / "lin.xlsx")
    return time.perf_counter() - start


def one(count: int, with_baseline: bool, annex_in_word: bool, keep: Path | None = None) -> dict[str, float | int]:
    """Build the report for `count` recipients in this process; figures as a dict."""
    from config.campaign import load_campaigns
    from flows.dev.report_preview import sample_agencies
    from reports.consolidate import consolidate
    from reports.excel import render_excel
    from reports.word import TEMPLATE, render_word

    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    if annex_in_word:
        report = campaign.report.model_copy(update={"annex_in_word_max": 10**9})
        campaign = campaign.model_copy(update={"report": report})
    names = [(f"dv{i:05d}", f"Cơ quan, đơn vị số {i}") for i in range(count)]
    agencies = sample_agencies(campaign, names, states=("submitted",))
    as_of = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model, t_model = timed(lambda: consolidate(campaign, agencies, [], as_of=as_of))
        template = TEMPLATE.read_bytes()
        word_bytes, t_word = timed(render_word, model, template)
        excel_bytes, t_excel = timed(render_excel, model)
        docx, xlsx = tmp / "r.docx", tmp / "r.xlsx"
        docx.write_bytes(word_bytes)
        xlsx.write_bytes(excel_bytes)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out: dict[str, float | int] = {
            "recipients": count,
            "answers": sum(len(x.text.split("\n")) for lines in model.narrative.values() for x in lines),
            "model": t_model, "word": t_word, "excel": t_excel, "total": t_model + t_word + t_excel,
            "word_mb": docx.stat().st_size / 1e6, "excel_mb": xlsx.stat().st_size / 1e6,
            "peak_mb": peak / 1024, "inputs_mb": rss_before / 1024,
        }
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            docx.replace(keep / f"bao-cao-{count}.docx")
            xlsx.replace(keep / f"bao-cao-{count}.xlsx")
        answers = [t for lines in model.narrative.values() for x in lines for t in x.text.split("\n")]
        paragraphs = answers + [s.heading for s in campaign.outline.sections] * 2
        table_cells = (len(model.matrix) + len(model.totals)) * 5
        sheet_rows = [[a.code, a.name, "1.a", "x", t] for a in agencies for t in a.sections.values()]
        sheet_rows += [list(r) for r in model.matrix.itertuples(index=False)]
        sheet_rows += [[a.code, a.name, a.state, a.received_at.replace(tzinfo=None), "email", "", "", ""]
                       for a in agencies]
        out["linear"] = linear_baseline(paragraphs, table_cells, sheet_rows, tmp)
        out["peak_after_linear_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if with_baseline:
            out["baseline"] = baseline(paragraphs, table_cells, sheet_rows, tmp)
    return out


def main(argv: list[str]) -> int:
    annex = "--annex-in-word" in argv
    keep: Path | None = None
    if "--keep" in argv:
        at = argv.index("--keep")
        keep = Path(argv[at + 1]).resolve()
        argv = argv[:at] + argv[at + 2:]
    args = [a for a in argv if a != "--annex-in-word"]
    if args and args[0] == "--one":
        sys.stdout.write(json.dumps(one(int(args[1]), "--baseline" in args, annex, keep)) + "\n")
        return 0
    sizes = [int(a) for a in args] or list(SIZES)
    sys.stdout.write(f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} / {os.getloadavg()[2]:.1f}"
                     f"; annex in Word: {'always' if annex else 'up to report.annex_in_word_max'}\n")
    rows = []
    for i, count in enumerate(sizes):
        cmd = [sys.executable, __file__, "--one", str(count)] + (["--baseline"] if i == 0 else [])
        cmd += ["--annex-in-word"] if annex else []
        cmd += ["--keep", str(keep)] if keep else []
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    first = rows[0]
    sys.stdout.write("recipients  answers  model    word (MB)        excel (MB)       total    ×time  ×recip.  peak RSS\n")
    for r in rows:
        sys.stdout.write(
            f"{r['recipients']:>10,}  {r['answers']:>7,}  {r['model']:5.2f} s  {r['word']:6.2f} s ({r['word_mb']:4.1f})"
            f"  {r['excel']:6.2f} s ({r['excel_mb']:4.1f})  {r['total']:6.2f} s  {r['total'] / first['total']:5.1f}"
            f"  {r['recipients'] / first['recipients']:6.1f}  {r['peak_mb']:5.0f} MB\n"
        )
    sys.stdout.write("linear baseline (lxml stream + openpyxl write-only, same content, every size):\n")
    for prev, r in zip([None, *rows], rows, strict=False):
        step = (f"; vs previous size: report ×{r['total'] / prev['total']:.1f}, baseline ×{r['linear'] / prev['linear']:.1f},"
                f" recipients ×{r['recipients'] / prev['recipients']:.1f}") if prev else ""
        sys.stdout.write(f"  {r['recipients']:>7,}: {r['linear']:6.2f} s, report/baseline {r['total'] / r['linear']:.2f}{step}\n")
    base = first["baseline"]
    per_recipient = [1000 * r["total"] / r["recipients"] for r in rows]
    sys.stdout.write(
        f"baseline at {first['recipients']}: {base:.2f} s (python-docx + openpyxl, same content raw);"
        f" ratio {first['total'] / base:.2f}; target < {TARGET_S:.0f} s: {'OK' if first['total'] < TARGET_S else 'MISSED'}\n"
        f"per recipient: {', '.join(f'{ms:.1f} ms' for ms in per_recipient)}"
        f" (median {statistics.median(per_recipient):.1f} ms)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
