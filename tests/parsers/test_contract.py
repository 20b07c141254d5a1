"""One contract test over every registered format, and `baocao parse --json` as a subprocess."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import READERS, parse_path
from parsers.model import CLOSING_PARTS, OutlineSpec, ProblemCode

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
# One fixture per registered format (the registry must not grow without one).
SAMPLE = {
    "docx": "bao-cao.docx",
    "xlsx": "bieu-lo.xlsx",
    "pdf": "bao-cao.pdf",
    "doc": "bao-cao.doc",
    "rtf": "bao-cao.rtf",
    "odt": "bao-cao.odt",
    "xls": "bieu.xls",
    "ods": "bieu.ods",
    "zip": "ho-so.zip",
    "image": "ban-quet-bao-cao.tif",  # a 1-bit Group 4 TIFF, what a copier's scan-to-mail sends
    "html": "bao-cao-web.doc",
    "wordml": "bao-cao-2003.xml",
    "html_excel": "bieu-web.xls",
    "xmlss": "bieu-2003.xml",
}
KEYS = {
    "file", "format", "kind", "agency", "doc_number", "doc_date", "sections", "indicators",
    "extra_rows", "extra_text", "problems", "members", "error",
    # Provenance and trust (issue "Trustworthy extraction"): every field of the model is in the JSON.
    "closing", "groups", "coverage", "confidence", "evidence", "says_replaces", "replaces_number", "part_of",
    "part_of_date", "identity_where", "draft",
}
# Only a scan has "ocr" (how it was read), only a signed PDF "signatures".
OPTIONAL_KEYS = {"ocr", "signatures"}
SECTION_KEYS = {"text", "empty", "where", "explicit_none", "confidence", "heading"}
OCR_KEYS = {"engine", "language", "pages", "pages_total", "dpi", "skew", "mean_confidence", "seconds"}
ROW_KEYS = {"plan", "result", "rate", "raw", "where", "rate_computed", "label", "values", "explicit_none",
            "confidence", "unit", "note"}
VALUE_KEYS = {"value", "source", "raw", "where", "confidence"}
PROBLEM_CODES = {c.value for c in ProblemCode}


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def test_every_registered_format_has_a_sample() -> None:
    assert set(READERS) == set(SAMPLE)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def check_contract(obj: dict[str, Any], spec: OutlineSpec) -> None:
    """The JSON contract of `baocao parse --json` for one object (and its members)."""
    assert KEYS <= set(obj) <= KEYS | OPTIONAL_KEYS
    assert obj["kind"] in ("report", "nil_report", "not_a_report")
    assert obj["format"] in ("docx", "xlsx", "doc", "xls", "odt", "ods", "pdf", "image", "zip", "unknown")
    scanned = "ocr" in obj
    if scanned:
        assert set(obj["ocr"]) == OCR_KEYS and 0 <= obj["ocr"]["mean_confidence"] <= 1
    assert set(obj["agency"]) == {"id", "name", "score"} and 0 <= obj["agency"]["score"] <= 1
    assert obj["doc_date"] is None or len(obj["doc_date"]) == 10
    assert list(obj["sections"]) == [s.id for s in spec.sections]
    for section in [*obj["sections"].values(), *obj["closing"].values(), *obj["groups"].values()]:
        ocr_keys = {"ocr_confidence"} if scanned and not section["empty"] else set()
        assert SECTION_KEYS <= set(section) <= SECTION_KEYS | ocr_keys and isinstance(section["empty"], bool)
        assert section["text"] == " ".join(section["text"].split()) or "\n" in section["text"]
        assert 0 <= section["confidence"] <= 1
    assert set(obj["closing"]) <= set(CLOSING_PARTS)
    assert set(obj["groups"]) <= {g.id for g in spec.groups}
    assert all(not g["empty"] for g in obj["groups"].values())
    assert 0 <= obj["coverage"] <= 1 and 0 <= obj["confidence"] <= 1
    assert isinstance(obj["says_replaces"], bool) and isinstance(obj["draft"], bool)
    assert list(obj["indicators"]) == [r.id for r in spec.rows]
    for row in obj["indicators"].values():
        assert set(row) == ROW_KEYS
        assert all(_is_number(row[k]) for k in ("plan", "result", "rate"))
        assert all(isinstance(v, str) for v in row["raw"].values())
        for value in row["values"].values():
            ocr_keys = {"ocr_confidence", "ocr_box"} if scanned and value["source"] != "derived" else set()
            assert VALUE_KEYS <= set(value) <= VALUE_KEYS | ocr_keys
            assert value["source"] in ("read", "derived", "explicit_none", "missing")
            if "ocr_confidence" in value:
                assert 0 <= value["ocr_confidence"] <= 1
            assert _is_number(value["value"]) and 0 <= value["confidence"] <= 1
    for extra in obj["extra_rows"]:
        assert set(extra) == {"label", "plan", "result", "rate", "where"}
        assert all(_is_number(extra[k]) for k in ("plan", "result", "rate"))
    for problem in obj["problems"]:
        assert set(problem) == {"code", "message", "where"} and problem["message"]
        assert problem["code"] in PROBLEM_CODES, problem["code"]
    assert obj["error"] is None or set(obj["error"]) == {"code", "message"}
    if obj["kind"] != "report":
        assert all(s["empty"] for s in obj["sections"].values())
        assert all(r["plan"] is None and r["result"] is None for r in obj["indicators"].values())
    for text in _texts(obj):
        assert unicodedata.is_normalized("NFC", text)
    for member in obj["members"]:
        check_contract(member, spec)


@pytest.mark.parametrize("fmt", sorted(SAMPLE))
def test_contract(fmt: str, spec: OutlineSpec) -> None:
    obj = json.loads(json.dumps(parse_path(FIXTURES / SAMPLE[fmt], spec).to_json()))
    check_contract(obj, spec)
    assert obj["error"] is None
    assert obj["indicators"]["6"]["plan"] == 1500 and isinstance(obj["indicators"]["6"]["plan"], int)
    assert obj["indicators"]["6"]["rate"] == 83.3


def test_failed_files_keep_the_contract(spec: OutlineSpec) -> None:
    for name in ("bi-cat.docx", "bom-nen.zip", "ban-quet.pdf", "khong-ro.txt", "billion-laughs.docx"):
        obj = parse_path(FIXTURES / name, spec).to_json()
        check_contract(obj, spec)
        assert obj["error"]["code"] and obj["error"]["message"]


def test_cli_parse_json(tmp_path: Path, spec: OutlineSpec) -> None:
    files = [str(FIXTURES / "bao-cao.docx"), str(FIXTURES / "bi-cat.docx"), str(tmp_path / "khong-co.docx")]
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "baocao"), "parse", *files, "--json"],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BAOCAO_DATA_DIR": str(tmp_path / "data"),
             "BAOCAO_CONFIG_DIR": str(ROOT / "config")},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [o["file"] for o in out] == files
    for obj in out:
        check_contract(obj, spec)
    assert out[0]["error"] is None and out[0]["indicators"]["1"]["plan"] == 4
    assert out[1]["error"]["code"] == "corrupt_file"
    assert out[2]["error"]["code"] == "file_not_found"
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.sqlite3")), "parse never touches the DB"


def test_cli_parse_readable(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "baocao"), "parse", str(FIXTURES / "bao-cao.docx")],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "120",
             "BAOCAO_CONFIG_DIR": str(ROOT / "config")},
    )
    assert proc.returncode == 0, proc.stderr
    # Row 3 says "-" in every column: an explicit none, shown as such, not a figure (6 of 7).
    assert "Dòng bảng có số liệu: 6/7" in proc.stdout
    assert "- (không có)" in proc.stdout
    assert "Mục có nội dung" in proc.stdout
