"""Peak memory of one file's parse in its budget child (flows/intake/budget.py, capped at
BAOCAO_PARSE_MEMORY_MB above what it inherits): a typical .docx/.xlsx, and ~49 MB ones (just
under BAOCAO_MAX_FILE_BYTES) made here: a .docx carrying a big image, an .xlsx of many rows.
Each file is parsed in a fresh interpreter so `getrusage(RUSAGE_CHILDREN).ru_maxrss` is that
one child's peak RSS.

Run: .venv/bin/python bench/bench_memory.py
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "tests" / "fixtures" / "formats"
MB = 1024 * 1024

_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.intake.budget import run_in_child
from parsers.api import parse_bytes
spec = outline_spec(load_campaigns(Path(sys.argv[1]) / "config" / "campaigns")[0])
path = Path(sys.argv[2])
data = path.read_bytes()
started = time.perf_counter()
result = run_in_child(parse_bytes, 300, data, path.name, spec, memory_mb=int(sys.argv[3]))
print(json.dumps({"error": result.error.code if result.error else None,
                  "message": result.error.message if result.error else None,
                  "indicators": len(result.indicators), "seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def big_docx(size: int = 49 * MB) -> bytes:
    """The fixture report with an incompressible image of about `size` bytes in word/media."""
    source = zipfile.ZipFile(FORMATS / "bao-cao.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            zf.writestr(info, source.read(info))
        zf.writestr("word/media/image1.png", random.Random(1).randbytes(size - len(out.getvalue()) - 64 * 1024))
    return out.getvalue()


def big_xlsx(size: int = 49 * MB) -> bytes:
    """An .xlsx of several sheets, each a sheet XML part under the 25 MB part limit, of rows
    of random numbers and short texts, until the file is about `size` bytes."""
    rnd = random.Random(2)
    sheets: list[bytes] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        n = 0
        while out.tell() < size - 6 * MB:
            n += 1
            rows = []
            r = 0
            length = 0
            while length < 20 * MB:
                r += 1
                row = (f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Dòng {rnd.getrandbits(40):x}</t></is></c>'
                       f'<c r="B{r}"><v>{rnd.random() * 1e6:.6f}</v></c><c r="C{r}"><v>{rnd.getrandbits(30)}</v></c>'
                       f'<c r="D{r}"><v>{rnd.random():.9f}</v></c></row>')
                rows.append(row)
                length += len(row)
            xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                   + "".join(rows) + "</sheetData></worksheet>").encode()
            zf.writestr(f"xl/worksheets/sheet{n}.xml", xml)
            sheets.append(xml[:0])
        ids = range(1, n + 1)
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in ids)
            + "</Types>"))
        zf.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))
        zf.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="Biểu {i}" sheetId="{i}" r:id="rId{i}"/>' for i in ids) + "</sheets></workbook>"))
        zf.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in ids)
            + "</Relationships>"))
    return out.getvalue()


def peak(path: Path, memory_mb: int = 1024) -> dict:
    """Parse `path` in a budget child of a fresh interpreter: its outcome and peak RSS."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CHILD, str(ROOT), str(path), str(memory_mb)],
        capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        made = {}
        for name, make in (("big-image.docx", big_docx), ("many-rows.xlsx", big_xlsx)):
            started = time.perf_counter()
            path = Path(tmp) / name
            path.write_bytes(make())
            made[name] = (path, time.perf_counter() - started)
        files = [FORMATS / "bao-cao.docx", FORMATS / "bieu.xlsx"] + [p for p, _ in made.values()]
        for path in files:
            got = peak(path)
            print(f"{path.name:16s} {path.stat().st_size / MB:6.1f} MB  peak child RSS {got['peak_rss_mb']:6.0f} MB"
                  f"  (parent {got['parent_rss_mb']:.0f} MB)  {got['seconds']:6.2f} s  error={got['error']}  indicators={got['indicators']}")


if __name__ == "__main__":
    main()
