"""N .doc conversions (parsed to the end) one-shot (`soffice --convert-to` per file) vs through
one warm LibreOffice (parsers/lo_server.py, unoserver), in the same run; prints the ratio.
The warm figure includes starting the server (and waiting until it answers).

Run: .venv/bin/python bench/bench_lo.py [N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402
from parsers import lo_server  # noqa: E402
from parsers.api import parse_bytes  # noqa: E402
from parsers.legacy import LibreOfficeConverter  # noqa: E402

DOCS = sorted({*ROOT.glob("tests/fixtures/independent*/*.doc"), *ROOT.glob("tests/fixtures/formats/*.doc")})


def run(n: int, spec) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for i in range(n):
        path = DOCS[i % len(DOCS)]
        result = parse_bytes(path.read_bytes(), path.name, spec, converter=LibreOfficeConverter())
        assert result.format == "doc", (path, result.error)
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    one_shot = run(n, spec)
    started = time.perf_counter()
    with lo_server.warm_libreoffice(wait=True) as server:
        assert server is not None, lo_server.unoserver_available()
        ready = time.perf_counter() - started
        conversions = run(n, spec)
        assert server.starts == 1
    warm = time.perf_counter() - started
    print(f"{n} .doc files ({len(DOCS)} distinct), parsed to the end")
    print(f"one-shot soffice per file : {one_shot:7.2f} s  ({one_shot / n * 1000:6.0f} ms/file)")
    print(f"warm unoserver, total     : {warm:7.2f} s  (start {ready:.2f} s + {conversions:.2f} s = {conversions / n * 1000:.0f} ms/file)")
    print(f"ratio one-shot / warm     : {one_shot / warm:.2f}x (conversions alone: {one_shot / conversions:.1f}x)")


if __name__ == "__main__":
    main()
