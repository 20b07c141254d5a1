"""python-calamine vs openpyxl on the same workbooks, in the same run (the ratio is what counts):
opening and reading every cell's value, and the whole parse (reader + outline/table matcher)
on the fast path vs the openpyxl path. Also .ods: calamine directly vs LibreOffice → .xlsx →
openpyxl (what the parser did before).

Run: .venv/bin/python bench/bench_calamine.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

emit = print  # a bench prints its figures

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402
from parsers.api import interpret_doc  # noqa: E402
from parsers.xlsx_reader import read_calamine, read_xlsx  # noqa: E402

FILES = ["independent/x02_lmhtx_table_only.xlsx", "independent/x04_ttkttdc_phase_pairs.xlsx",
         "independent/z09_bqlkkt_company_list.xlsx", "probe/p29_xlsx_hnd.xlsx"]


def cells_openpyxl(data: bytes) -> int:
    """openpyxl read_only/data_only: every cell's value of every sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    wb.close()
    return n


def cells_calamine(data: bytes) -> int:
    """python-calamine: every cell's value of every sheet."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    n = sum(1 for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python() for v in row if v != "")
    wb.close()
    return n


def timed(fn, runs: int) -> float:
    """Median seconds of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Print one line per workbook and the medians."""
    args = argparse.ArgumentParser()
    args.add_argument("--runs", type=int, default=20)
    opts = args.parse_args()
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    emit(f"{'tệp':48} {'ô':>5} {'openpyxl ms':>12} {'calamine ms':>12} {'×':>6} {'parse opx':>10} {'parse cal':>10} {'×':>6}")
    ratios, parse_ratios = [], []
    for name in FILES:
        data = (ROOT / "tests" / "fixtures" / name).read_bytes()
        n = cells_calamine(data)
        t_opx, t_cal = timed(lambda d=data: cells_openpyxl(d), opts.runs), timed(lambda d=data: cells_calamine(d), opts.runs)
        p_opx = timed(lambda d=data, f=name: interpret_doc(read_xlsx(d), spec, file=f, fmt="xlsx"), opts.runs)
        p_cal = timed(lambda d=data, f=name: interpret_doc(read_calamine(d) or read_xlsx(d), spec, file=f, fmt="xlsx"), opts.runs)
        ratios.append(t_opx / t_cal)
        parse_ratios.append(p_opx / p_cal)
        emit(f"{name:48} {n:5d} {t_opx * 1000:12.2f} {t_cal * 1000:12.2f} {t_opx / t_cal:6.1f} "
              f"{p_opx * 1000:10.2f} {p_cal * 1000:10.2f} {p_opx / p_cal:6.1f}")
    emit(f"median ratio, reading cells: {statistics.median(ratios):.1f}×; whole parse: {statistics.median(parse_ratios):.1f}×")
    ods = (ROOT / "tests" / "fixtures" / "formats" / "bieu.ods").read_bytes()
    from parsers.legacy import LibreOfficeConverter

    lo = LibreOfficeConverter()
    t_lo = timed(lambda: cells_openpyxl(lo.convert(ods, "ods", "xlsx")), 3)
    t_cal = timed(lambda: cells_calamine(ods), opts.runs)
    emit(f".ods bieu.ods: LibreOffice → xlsx → openpyxl {t_lo * 1000:.0f} ms, calamine {t_cal * 1000:.2f} ms ({t_lo / t_cal:.0f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
