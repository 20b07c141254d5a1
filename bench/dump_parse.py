"""Dump the full parse result of every .docx/.doc/.odt/.xlsx/.pdf fixture under tests/fixtures, so that a
speed-up can be checked to change nothing: run before and after, compare the files byte for byte.

Run: .venv/bin/python bench/dump_parse.py OUT.txt (hash seed 0 unless PYTHONHASHSEED is set:
a few confidences are sums over sets, whose order, and so the last bit, follows the seed; an
OCR result's `seconds` is written as 0).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.campaign import load_campaigns  # noqa: E402
from flows.app import outline_spec  # noqa: E402
from parsers.api import parse_bytes  # noqa: E402
from parsers.docx_reader import read_docx  # noqa: E402


def _stable(result):  # noqa: ANN001, ANN202
    """The result with its word set sorted (a frozenset's order varies with the hash seed)."""
    members = [_stable(m) for m in result.members]
    ocr = replace(result.ocr, seconds=0.0) if result.ocr is not None else None
    return replace(result, words=tuple(sorted(result.words)), members=members, ocr=ocr)


def main() -> None:
    if "PYTHONHASHSEED" not in os.environ:  # sums over sets: fix the order, run to run
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    out = Path(sys.argv[1])
    specs = [outline_spec(c) for c in load_campaigns(ROOT / "config" / "campaigns")]
    files = sorted(
        p
        for p in (ROOT / "tests/fixtures").rglob("*")
        if p.suffix.lower() in {".docx", ".doc", ".odt", ".xlsx", ".pdf"}
    )
    with out.open("w", encoding="utf-8") as fh:
        for path in files:
            data = path.read_bytes()
            name = str(path.relative_to(ROOT))
            for n, spec in enumerate(specs):
                result = parse_bytes(data, path.name, spec)
                fh.write(f"=== {name} spec={n}\n")
                result = _stable(result)
                fh.write(json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
                fh.write(repr(result) + "\n")
            if path.suffix.lower() == ".docx":
                try:
                    doc = repr(read_docx(data))
                except Exception as exc:  # noqa: BLE001
                    doc = f"error {type(exc).__name__}: {exc}"
                fh.write(f"--- doc {name}\n{doc}\n")
    print(f"{len(files)} files → {out}")  # noqa: T201


if __name__ == "__main__":
    main()
