"""Every format and every hostile file of tests/fixtures/formats/, against its expected JSON.

The fixtures are made by tests/fixtures/make_format_fixtures.py (LibreOffice for .doc, .xls,
.odt, .ods, .rtf, .pdf and for an .xlsx with cached formula values); this test never
regenerates them.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes, parse_path
from parsers.detect import detect_format
from parsers.legacy import LibreOfficeConverter, find_soffice
from parsers.model import OutlineSpec, ParseResult
from parsers.safety import Limits

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "formats"
CASES = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def _require_libreoffice() -> None:
    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui")


def _check(result: ParseResult, expected: dict) -> None:
    """Compare what the expected JSON states (keys it leaves out are not checked)."""
    assert result.format == expected["format"]
    assert (result.error.code if result.error else None) == expected["error"], result.error
    if expected.get("kind"):
        assert result.kind == expected["kind"]
    if expected.get("indicators") is not None:
        got = {k: [v.plan, v.result, v.rate] for k, v in result.indicators.items()}
        assert got == expected["indicators"]
        assert all(v.where for k, v in result.indicators.items() if k != "3"), "every row says where it was read"
    if "extra_rows" in expected:
        assert [r.label for r in result.extra_rows] == expected["extra_rows"]
    if "answered" in expected:
        assert len(result.answered_sections) == expected["answered"]
    for key, got in (("agency_id", result.agency.id), ("doc_number", result.doc_number), ("doc_date", result.doc_date)):
        if key in expected:
            assert got == expected[key], key
    for member, want in zip(result.members, expected.get("members", []), strict=True):
        _check(member, want)


def test_fixture_corpus_is_complete() -> None:
    names = {p.name for p in CASES}
    for ext in ("docx", "doc", "odt", "rtf", "pdf", "xlsx", "xls", "ods", "zip"):
        assert any(n.endswith("." + ext) for n in names), ext
    assert all((FIXTURES / f"{n}.expected.json").exists() for n in names)


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_format_fixture(path: Path, spec: OutlineSpec) -> None:
    if path.suffix in (".doc", ".xls", ".odt", ".ods", ".rtf"):
        _require_libreoffice()
    expected = json.loads((FIXTURES / f"{path.name}.expected.json").read_text(encoding="utf-8"))
    result = parse_path(path, spec)
    _check(result, expected)
    assert result.sha256 and len(result.sha256) == 64
    if result.error:
        assert result.error.message and any(ord(c) > 127 for c in result.error.message), "message in Vietnamese"


def test_excel_table_on_second_sheet_says_where(spec: OutlineSpec) -> None:
    result = parse_path(FIXTURES / "bieu-lo.xlsx", spec)
    # Row 1 of the outline is on sheet row 9 (title rows, a two-row header at 6–7, group row 8).
    assert result.indicators["1"].where == "trang tính 'Biểu 2', dòng 9"
    assert result.indicators["6"].raw["plan"] == "1.500"
    # LibreOffice cached the formula: 0.8 formatted as a percentage → reported, not computed.
    assert result.indicators["5"].raw["rate"] == "80%"
    raw = parse_path(FIXTURES / "bieu.xlsx", spec)
    assert raw.indicators["5"].raw["rate"] == "" and raw.indicators["5"].rate == 80
    assert any(p.code == "rate_computed" for p in raw.problems)


def test_detection_ignores_names(spec: OutlineSpec) -> None:
    data = (FIXTURES / "bao-cao.docx").read_bytes()
    assert detect_format(data) == "docx"
    result = parse_bytes(data, "bang-tinh.xlsx", spec)
    assert result.format == "docx" and result.error is None
    assert detect_format((FIXTURES / "bieu.xls").read_bytes()) == "xls"
    assert detect_format((FIXTURES / "bao-cao.doc").read_bytes()) == "doc"
    assert detect_format((FIXTURES / "bao-cao.odt").read_bytes()) == "odt"
    assert detect_format((FIXTURES / "bieu.ods").read_bytes()) == "ods"


def test_zip_members_and_junk(spec: OutlineSpec) -> None:
    result = parse_path(FIXTURES / "ho-so.zip", spec)
    assert [m.file for m in result.members] == ["Báo cáo 996.docx", "Biểu số liệu.xlsx"]
    assert result.kind == result.members[0].kind == "report"


def test_huge_file_rejected_before_reading(tmp_path: Path, spec: OutlineSpec) -> None:
    huge = tmp_path / "rat-lon.docx"
    with huge.open("wb") as f:
        f.truncate(60 * 1024 * 1024)  # sparse: costs no disk, over the 50 MB limit
    result = parse_path(huge, spec)
    assert result.error is not None and result.error.code == "too_large"
    small = parse_bytes(b"PK\x03\x04" + b"\0" * 5000, "x.docx", spec, limits=Limits(max_file_bytes=1000))
    assert small.error is not None and small.error.code == "too_large"


def test_zip_limits(spec: OutlineSpec) -> None:
    report = (FIXTURES / "bao-cao.docx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(30):
            zf.writestr(f"f{i}.docx", report)
    many = parse_bytes(out.getvalue(), "nhieu.zip", spec, limits=Limits(max_members=10))
    assert many.error is not None and many.error.code == "unsafe_file"
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as zf:
        zf.writestr("a.zip", out.getvalue())
    deep = parse_bytes(nested.getvalue(), "long.zip", spec, limits=Limits(max_depth=1))
    assert deep.members and deep.members[0].error is not None
    assert deep.members[0].error.code == "unsafe_file"
    for bad in ("/etc/passwd", "C:\\x.docx", "a/../../b.docx"):
        evil = io.BytesIO()
        with zipfile.ZipFile(evil, "w") as zf:
            zf.writestr(bad, report)
        assert parse_bytes(evil.getvalue(), "x.zip", spec).error.code == "unsafe_file", bad


def test_conversion_without_libreoffice_names_the_package(spec: OutlineSpec) -> None:
    data = (FIXTURES / "bao-cao.doc").read_bytes()
    result = parse_bytes(data, "a.doc", spec, converter=LibreOfficeConverter(binary="", timeout=600))
    # binary="" falls back to PATH; a missing binary is simulated with a path that does not exist.
    missing = LibreOfficeConverter(binary="/nonexistent/soffice", timeout=600)
    failed = parse_bytes(data, "a.doc", spec, converter=missing)
    assert result.error is None
    assert failed.error is not None and failed.error.code == "conversion_failed"
    assert "libreoffice-writer-nogui" in failed.error.message


def test_conversion_timeout_kills_libreoffice(spec: OutlineSpec, tmp_path: Path) -> None:
    slow = tmp_path / "soffice"
    slow.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")
    slow.chmod(0o755)
    result = parse_bytes((FIXTURES / "bao-cao.doc").read_bytes(), "a.doc", spec,
                         converter=LibreOfficeConverter(binary=str(slow), timeout=0.5))
    assert result.error is not None and result.error.code == "conversion_failed"
    assert "giây" in result.error.message


def test_table_only_in_excel_appendix(spec: OutlineSpec) -> None:
    result = parse_path(FIXTURES / "phu-luc.zip", spec)
    doc, sheet = result.members
    assert doc.kind == "report" and all(i.plan is None for i in doc.indicators.values())
    assert len(result.answered_sections) == len(doc.answered_sections) > 10
    assert result.indicators["6"].plan == 1500
    assert result.indicators["1"].where == "Phụ lục.xlsx: trang tính 'Biểu 2', dòng 9"
    assert not any(p.code == "table_missing" for p in result.problems)


def test_huge_sheet_rejected_before_openpyxl_scans_it(spec: OutlineSpec) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Biểu")
    for i in range(20000):
        ws.append([i, "Số doanh nghiệp", i * 2, i * 3])
    buf = io.BytesIO()
    wb.save(buf)
    result = parse_bytes(buf.getvalue(), "lon.xlsx", spec, limits=Limits(max_xml_part_bytes=200_000))
    assert result.error is not None and result.error.code == "too_large"
    assert "xl/worksheets/" in result.error.message


HTML_REPORT = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">'
    '<head><meta charset="utf-8"></head><body><p>SỞ XÂY DỰNG</p>'
    "<table border=1><tr><td>Nội dung</td><td>Kế hoạch</td><td>Kết quả</td><td>Tỷ lệ</td></tr>"
    "<tr><td>Số doanh nghiệp đã được cung cấp dịch vụ kiểm định, hiệu chuẩn</td><td>1.200</td><td>600</td><td></td></tr>"
    "</table></body></html>"
)


@pytest.mark.parametrize(
    ("name", "data", "detected", "fmt"),
    [
        ("web.doc", HTML_REPORT.encode(), "html", "doc"),
        ("web.xls", HTML_REPORT.replace("office:word", "office:excel").replace("xmlns:w=", "xmlns:x=").encode(), "html_excel", "xls"),
    ],
)
def test_web_pages_saved_as_doc_or_xls(warm_lo: None, name: str, data: bytes, detected: str, fmt: str, spec: OutlineSpec) -> None:
    _require_libreoffice()
    assert detect_format(data) == detected
    result = parse_bytes(data, name, spec)
    assert result.error is None and result.format == fmt
    assert (result.indicators["5"].plan, result.indicators["5"].result, result.indicators["5"].rate) == (1200, 600, 50)


def test_images_and_other_archives_say_what_to_send(spec: OutlineSpec) -> None:
    png = parse_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "scan.png", spec)
    assert png.error is not None and png.error.code == "scanned_image" and "bản quét" in png.error.message
    assert png.scanned and parse_path(FIXTURES / "ban-quet.pdf", spec).scanned
    rar = parse_bytes(b"Rar!\x1a\x07\x00" + b"\0" * 100, "hoso.rar", spec)
    assert rar.error is not None and rar.error.code == "unsupported_format" and ".zip" in rar.error.message


def test_pdf_bomb_refused_before_pdfminer_inflates_it(spec: OutlineSpec) -> None:
    import zlib

    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(300)) + packer.flush()
    pdf = (
        b"%PDF-1.4\n1 0 obj\n<< /Length " + str(len(body)).encode() + b" /Filter /FlateDecode >>\nstream\n"
        + body + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    assert len(pdf) < 2 * 1024 * 1024
    result = parse_bytes(pdf, "bom.pdf", spec)
    assert result.error is not None and result.error.code == "unsafe_file"
    assert "PDF" in result.error.message


def test_xml_entities_refused_in_every_container(spec: OutlineSpec) -> None:
    """A DTD in any part of a workbook is refused before openpyxl parses it; openpyxl itself
    also runs on defusedxml (verified, so an environment without it is noticed)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML, "openpyxl must find defusedxml (uv sync)"
    data = (FIXTURES / "bieu.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                content = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + content.split(b"?>", 1)[-1]
            dst.writestr(info, content)
    result = parse_bytes(out.getvalue(), "bieu.xlsx", spec)
    assert result.error is not None and result.error.code == "unsafe_file"
    assert "xl/worksheets/sheet2.xml" in result.error.message


def test_unreadable_paths(tmp_path: Path, spec: OutlineSpec) -> None:
    folder = parse_path(tmp_path, spec)
    assert folder.error is not None and folder.error.code == "file_unreadable" and "thư mục" in folder.error.message
    missing = parse_path(tmp_path / "khong-co.docx", spec)
    assert missing.error is not None and "không tồn tại" in missing.error.message


def test_damaged_bytes_never_raise(spec: OutlineSpec) -> None:
    """Truncated and bit-flipped copies of each direct format: a result every time, never an exception."""
    import random

    rng = random.Random(996)
    for name in ("bao-cao.docx", "bieu-lo.xlsx", "bao-cao.pdf", "ho-so.zip", "bao-cao-excel.xlsx"):
        data = (FIXTURES / name).read_bytes()
        for _ in range(12):
            cut = data[: rng.randint(0, len(data))]
            flipped = bytearray(data)
            for _ in range(20):
                flipped[rng.randrange(len(flipped))] ^= 0xFF
            for damaged in (cut, bytes(flipped)):
                result = parse_bytes(damaged, name, spec, converter=LibreOfficeConverter(binary="/nonexistent"))
                assert set(result.indicators) == {r.id for r in spec.rows}
                assert result.error is None or result.error.message
                # Every failure is a known one (no reader bug caught by the last-resort handler).
                assert result.error is None or result.error.code != "parse_failed", result.error


@pytest.mark.parametrize(("name", "part"), [("bieu-lo.xlsx", "xl/worksheets/sheet2.xml"), ("bao-cao.docx", "word/document.xml")])
def test_malformed_xml_part_is_a_corrupt_file(name: str, part: str, spec: OutlineSpec) -> None:
    data = (FIXTURES / name).read_bytes()
    for damage in (lambda c: c[: len(c) // 2], lambda c: c.replace(b"<", b"<<", 3), lambda c: b""):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                content = src.read(info)
                dst.writestr(info.filename, damage(content) if info.filename == part else content)
        result = parse_bytes(out.getvalue(), name, spec)
        assert result.error is not None and result.error.code == "corrupt_file", result.error


def test_combine_attachments_of_one_mail(spec: OutlineSpec) -> None:
    """`combine` is the zip logic for any set of files (a mail's attachments)."""
    from parsers.api import combine

    doc = parse_bytes(
        zipfile.ZipFile(FIXTURES / "phu-luc.zip").read("Báo cáo.docx"), "Báo cáo.docx", spec
    )
    sheet = parse_path(FIXTURES / "bieu-lo.xlsx", spec)
    merged = combine([sheet, doc], "thu-123", spec)
    assert merged.kind == "report" and len(merged.answered_sections) == len(doc.answered_sections)
    assert merged.indicators["6"].plan == 1500
    assert merged.indicators["6"].where.startswith(str(FIXTURES / "bieu-lo.xlsx"))
