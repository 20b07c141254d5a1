"""OCR accuracy and time per scan condition: our own fixture reports printed by LibreOffice,
"scanned" (flows/dev/scan_fixtures.py), read back by the parser, compared with the text PDF.

Character accuracy: 1 − Levenshtein distance / length, over all text (paragraphs and table
cells, whitespace collapsed) of the OCR'd document vs the text PDF. Figure accuracy: table
values (plan, result, rate) equal to those read from the text PDF. Time: whole parse per page.

Run: .venv/bin/python bench/bench_ocr.py [--docs a,b] [--conditions N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

emit = print  # a bench prints its figures

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402
from flows.dev.scan_fixtures import CONDITIONS, scan_pdf  # noqa: E402
from parsers.api import interpret_doc, parse_bytes  # noqa: E402
from parsers.document import Doc, Table  # noqa: E402
from parsers.legacy import LibreOfficeConverter  # noqa: E402
from parsers.pdf_reader import read_pdf  # noqa: E402
from parsers.scan import TesseractOcr, apply_confidence, pdf_pages, read_scan  # noqa: E402

# Fixture reports (tests/fixtures/docx/<name>.docx, or a path under tests/fixtures).
DOCS = ["hccb_table_layout", "sogddt_parts_numbers", "formats/bao-cao"]


def text_of(doc: Doc) -> str:
    """Every paragraph and cell, whitespace collapsed."""
    parts = []
    for block in doc.blocks:
        parts += [c for row in block.rows for c in row] if isinstance(block, Table) else [block.text]
    return " ".join(" ".join(parts).split())


def figures(result) -> dict:
    return {(k, r): getattr(v, r) for k, v in result.indicators.items() for r in ("plan", "result", "rate")}


def main() -> int:
    """One line per document × condition, then the per-condition summary."""
    args = argparse.ArgumentParser()
    args.add_argument("--docs", default=",".join(DOCS))
    args.add_argument("--conditions", type=int, default=len(CONDITIONS))
    opts = args.parse_args()
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    lo = LibreOfficeConverter()
    rows = []
    for name in opts.docs.split(","):
        source = ROOT / "tests" / "fixtures" / (f"{name}.docx" if "/" in name else f"docx/{name}.docx")
        printed = lo.convert(source.read_bytes(), "docx", "pdf")
        ref_text, ref = text_of(read_pdf(printed)), parse_bytes(printed, f"{name}.pdf", spec)
        want = {k: v for k, v in figures(ref).items() if v is not None}
        for cond in CONDITIONS[: opts.conditions]:
            scan = scan_pdf(printed, cond, seed=11)
            started = time.perf_counter()
            pages, total = pdf_pages(scan)
            reading = read_scan(pages, total, TesseractOcr())  # what parse_bytes does for a scan
            result = interpret_doc(reading.doc, spec, file=f"{name}-scan.pdf", fmt="pdf")
            apply_confidence(result, reading)
            seconds = time.perf_counter() - started
            got_text = text_of(reading.doc)
            cer = Levenshtein.distance(ref_text, got_text) / max(len(ref_text), 1)
            got = figures(result)
            right = sum(1 for k, v in want.items() if got.get(k) == v)
            extra = sum(1 for k, v in got.items() if v is not None and k not in want)
            per_page = seconds / (result.ocr.pages if result.ocr else 1)
            rows.append((cond.name, name, 1 - cer, right, len(want), extra, per_page, result.agency.id == ref.agency.id,
                         result.ocr.mean_confidence if result.ocr else 0.0))
            emit(f"{name:22} {cond.name:18} ký tự {100 * (1 - cer):5.1f}%  số liệu {right}/{len(want)} (thừa {extra})"
                  f"  {per_page:4.1f} s/trang  đơn vị {'đúng' if rows[-1][7] else 'SAI'}  tin cậy {rows[-1][8]:.2f}",
                  flush=True)
    emit("\n| điều kiện | ký tự đúng | số liệu đúng | số thừa | giây/trang | tin cậy TB |")
    emit("|---|---:|---:|---:|---:|---:|")
    for cond in CONDITIONS[: opts.conditions]:
        mine = [r for r in rows if r[0] == cond.name]
        emit(f"| {cond.name} | {100 * statistics.fmean(r[2] for r in mine):.1f}% | {sum(r[3] for r in mine)}/{sum(r[4] for r in mine)}"
              f" | {sum(r[5] for r in mine)} | {statistics.fmean(r[6] for r in mine):.1f} | {statistics.fmean(r[8] for r in mine):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
