"""Parsing a typical 3-page .docx report vs python-docx merely opening it and reading every
paragraph and table cell (goal: ≤ 1.6×, issue 14 point 5). Prints the figures and the ratios:
wall clock, and this process's CPU time (less moved by the other jobs on a shared machine).

Run: .venv/bin/python bench/bench_parse.py [--cold] [FILE.docx]

The same file parsed 90 times finds every cache of the parsers warm (folded texts, heading
scores, parsed cells). `--cold` empties every per-input cache before each timed parse
(outside the timing): a stream of distinct files. What depends on the outline alone (its
phrasings folded, row labels prepared, agencies' names expanded: parsers/caching.py) stays,
as it does in a worker reading file after file against the same campaign.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402
from parsers.api import parse_bytes  # noqa: E402

RUNS = 30


def baseline(data: bytes) -> int:
    """python-docx: open, read every paragraph's text and every table cell's text."""
    import docx

    document = docx.Document(io.BytesIO(data))
    chars = sum(len(p.text) for p in document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            chars += sum(len(cell.text) for cell in row.cells)
    return chars


def timed(fn, *args, clock=time.perf_counter, before=None) -> list[float]:  # noqa: ANN001
    fn(*args)  # warm-up (imports, caches)
    times = []
    for _ in range(RUNS):
        if before is not None:
            before()
        start = clock()
        fn(*args)
        times.append(clock() - start)
    return times


def cache_clearer(spec):  # noqa: ANN001, ANN201
    """Empties every per-input cache: each functools cache of the parsers' modules and the
    outline matcher's score caches. What depends on the outline alone stays (parsers/caching.py:
    the matcher with its prepared phrasings and word weights, the table rows' scorer, the
    agencies' names folded, the topic words folded): one per campaign, not per file."""
    import parsers.outline
    from parsers.caching import is_per_outline

    caches = [
        obj
        for name, module in list(sys.modules.items())
        if name.startswith("parsers.")
        for attr in dir(module)
        if hasattr(obj := getattr(module, attr), "cache_clear") and not is_per_outline(obj)
    ]

    def clear() -> None:
        for cache in caches:
            cache.cache_clear()
        parsers.outline._matcher(spec).forget_input()

    return clear


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--cold"]
    cold = "--cold" in sys.argv[1:]
    path = Path(args[0]) if args else ROOT / "tests/fixtures/formats/bao-cao.docx"
    data = path.read_bytes()
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    parse_bytes(data, path.name, spec)  # imports the readers, so that their caches can be found
    before = cache_clearer(spec) if cold else None
    # Interleave so both see the same machine load.
    base, ours, base_cpu, ours_cpu = [], [], [], []
    for _ in range(3):
        base += timed(baseline, data)
        ours += timed(lambda d: parse_bytes(d, path.name, spec), data, before=before)
        base_cpu += timed(baseline, data, clock=time.process_time)
        ours_cpu += timed(
            lambda d: parse_bytes(d, path.name, spec), data, clock=time.process_time, before=before
        )
    b, o = statistics.median(base), statistics.median(ours)
    bc, oc = statistics.median(base_cpu), statistics.median(ours_cpu)
    result = parse_bytes(data, path.name, spec)
    caches = "caches emptied before each parse" if cold else "caches warm"
    runs = f"{RUNS * 3} runs each, medians, {caches}"
    print(f"file: {path.name} ({len(data) / 1024:.0f} KB), {runs}")  # noqa: T201
    print(f"python-docx open + read all text: {b * 1000:.1f} ms")  # noqa: T201
    print(f"baocao parse_bytes (full result): {o * 1000:.1f} ms  kind={result.kind}"  # noqa: T201
          f" sections={len(result.answered_sections)}/{len(result.sections)}")
    print(f"ratio: {o / b:.2f}× (goal ≤ 1.6×)")  # noqa: T201
    print(f"CPU time: python-docx {bc * 1000:.1f} ms, baocao {oc * 1000:.1f} ms, ratio {oc / bc:.2f}×")  # noqa: T201
    if not cold:
        for stage, ms in stages(data, spec).items():
            print(f"  stage {stage}: {ms:.1f} ms")  # noqa: T201


def stages(data: bytes, spec) -> dict[str, float]:  # noqa: ANN001
    """Where the time goes: safety checks, Word reader, outline matcher, table reader."""
    from parsers.docx_reader import read_docx
    from parsers.interpret import interpret
    from parsers.safety import DEFAULT_LIMITS, check_archive, check_xml_parts, open_zip
    from parsers.table import read_indicators

    def safety() -> None:
        with open_zip(data) as archive:
            check_archive(archive, DEFAULT_LIMITS, names_matter=False)
            check_xml_parts(archive)

    doc = read_docx(data)
    steps = {
        "detect + safety (zip directory, XML prologs)": safety,
        "read_docx (Doc)": lambda: read_docx(data),
        "interpret (outline, identity, kind, table)": lambda: interpret(doc, spec, file="x", fmt="docx"),
        "read_indicators (table only)": lambda: read_indicators(doc.tables, spec.rows),
    }
    return {name: statistics.median(timed(fn)) * 1000 for name, fn in steps.items()}


if __name__ == "__main__":
    main()
