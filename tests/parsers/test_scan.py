"""Scans read by Tesseract (real, `vie`): our own reports printed by LibreOffice, "scanned"
(noise, skew, a red seal over the signature, grey paper), then parsed like any submission."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.dev.scan_fixtures import CONDITIONS, Condition, scan_pdf, scan_tiff
from parsers.api import parse_bytes
from parsers.legacy import LibreOfficeConverter, find_soffice
from parsers.model import OutlineSpec, ParseResult
from parsers.scan import (
    INSTALL_HINT,
    VALUE_THRESHOLD,
    OcrLimits,
    OcrOutput,
    PageImage,
    TesseractOcr,
    _ink,
    parse_tsv,
    ruling_lines,
    skew_angle,
    split_glued,
)
from tests.lo_warm import serving

ROOT = Path(__file__).resolve().parents[2]
DOCX = ROOT / "tests" / "fixtures" / "docx"
FONT = "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"


def _require_tesseract() -> None:
    if not shutil.which("tesseract"):
        pytest.fail(f"Tesseract is missing: {INSTALL_HINT}")
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "vie" not in langs:
        pytest.fail(f"Tesseract's Vietnamese model is missing: {INSTALL_HINT}")


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture(scope="module")
def printed() -> bytes:
    """The Hội Cựu chiến binh report (ruled tables, header block) printed to PDF."""
    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui")
    with serving():  # the worker's warm LibreOffice (tests/lo_warm.py)
        return LibreOfficeConverter().convert((DOCX / "hccb_table_layout.docx").read_bytes(), "docx", "pdf")


@pytest.fixture(scope="module")
def reference(printed: bytes, spec: OutlineSpec) -> ParseResult:
    return parse_bytes(printed, "hccb.pdf", spec)


def _figures(result: ParseResult) -> dict[tuple[str, str], float | None]:
    return {(k, r): getattr(v, r) for k, v in result.indicators.items() for r in ("plan", "result", "rate")}


# --- the pure parts ------------------------------------------------------------------------


def test_glued_words_are_split_back_and_real_words_kept() -> None:
    assert split_glued("Kếhoạch") == "Kế hoạch"
    assert split_glued("quảđến") == "quả đến"
    for word in ("nghiêng", "Nguyễn", "khuyến", "người", "TCĐLCL", "Internet", "hoạch", "2.350"):
        assert split_glued(word) == word


def test_tsv_words_carry_confidence_and_boxes_in_points() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t200\t100\t100\t40\t91.5\tKe\u0302\u0301\n"
        "5\t2\t1\t1\t1\t1\t300\t300\t60\t30\t42\t1.500\n"
    )
    words = parse_tsv(tsv, [200, 300])
    assert [w.text for w in words] == ["Kế", "1.500"]  # NFC
    assert words[0].confidence == pytest.approx(0.915) and words[0].box == pytest.approx((72, 36, 108, 50.4))
    assert words[1].page == 2 and words[1].box[0] == pytest.approx(72)  # page 2 at 300 dpi


def _text_page(angle: float = 0.0, dpi: int = 200) -> Image.Image:
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, dpi // 6)
    for k in range(25):
        draw.text((dpi, dpi + k * dpi // 3), "Kết quả thực hiện Đề án 996 trong phạm vi ngành", font=font, fill=0)
    return img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255) if angle else img


@pytest.mark.parametrize("angle", [-3.0, 0.0, 2.0])
def test_skew_is_measured(angle: float) -> None:
    assert skew_angle(_text_page(angle)) == pytest.approx(-angle, abs=0.3)


def test_table_rules_are_found_and_bold_text_is_not_a_rule() -> None:
    dpi = 200
    img = Image.new("L", (1600, 1200), 255)
    draw = ImageDraw.Draw(img)
    for y in (200, 300, 400):
        draw.line((200, y, 1400, y), fill=0, width=3)
    for x in (200, 600, 1400):
        draw.line((x, 200, x, 400), fill=0, width=3)
    bold = ImageFont.truetype("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf", 60)
    draw.text((200, 700), "ĐỘC LẬP - TỰ DO - HẠNH PHÚC", font=bold, fill=0)
    lines = ruling_lines(_ink(img), dpi)
    horizontal = sorted(round(ln["top"] * dpi / 72) for ln in lines if ln["top"] == ln["bottom"])
    vertical = sorted(round(ln["x0"] * dpi / 72) for ln in lines if ln["x0"] == ln["x1"])
    assert horizontal == pytest.approx([201, 301, 401], abs=2)
    assert vertical == pytest.approx([201, 601, 1401], abs=2)


# --- Tesseract for real ----------------------------------------------------------------------


def test_a_scanned_report_gives_its_sections_and_figures_with_confidences(
    printed: bytes, reference: ParseResult, spec: OutlineSpec
) -> None:
    _require_tesseract()
    worst = CONDITIONS[-1]  # 200 dpi, noise, skew, seal over the signature, grey paper, JPEG
    result = parse_bytes(scan_pdf(printed, worst, seed=7), "ban-quet.pdf", spec)
    assert result.error is None and result.scanned and result.format == "pdf"
    assert result.kind == "report" and result.agency.id == "hccb" and result.doc_number == "28/BC-CCB"
    assert result.ocr is not None and result.ocr.pages == 5 and all(abs(s - worst.skew) < 0.4 for s in result.ocr.skew)
    want, got = _figures(reference), _figures(result)
    right = sum(1 for k, v in want.items() if v is not None and got[k] == v)
    assert right >= 16, (want, got)  # of 18
    assert set(result.answered_sections) >= {"1.a", "1.b"}
    read = [v for i in result.indicators.values() for v in i.values.values() if v.source == "read"]
    assert read and all(v.ocr_confidence is not None and 0 < v.ocr_confidence <= 1 for v in read)
    assert all(v.ocr_box is not None for v in read if v.ocr_confidence != 0.5)
    assert all(s.ocr_confidence is not None for s in result.sections.values() if not s.empty)
    assert "ocr_read" in [p.code for p in result.problems]  # never accepted without a person
    assert result.to_json()["ocr"]["pages"] == 5


class _Doubtful(TesseractOcr):
    """Tesseract, but unsure of every figure (as on a bad fax)."""

    def read(self, pages: list[PageImage]) -> OcrOutput:
        out = super().read(pages)
        for w in out.words:
            if any(ch.isdigit() for ch in w.text):
                w.confidence = 0.41
        return out


def test_figures_below_the_threshold_are_problems_with_where(printed: bytes, spec: OutlineSpec) -> None:
    _require_tesseract()
    result = parse_bytes(scan_pdf(printed, Condition("sạch", dpi=200), seed=1), "fax.pdf", spec, ocr=_Doubtful())
    low = [p for p in result.problems if p.code == "ocr_low_confidence"]
    assert len(low) >= 15 and all("41%" in p.message and p.where.startswith("trang ") for p in low)
    value = result.indicators["1"].values["plan"]
    assert value.ocr_confidence == pytest.approx(0.41) and value.confidence <= 0.41 < VALUE_THRESHOLD


def test_a_multipage_tiff_is_read_and_the_page_cap_is_said(printed: bytes, spec: OutlineSpec) -> None:
    _require_tesseract()
    tiff = scan_tiff(printed, Condition("tiff", dpi=200), seed=3)
    result = parse_bytes(tiff, "scan.tif", spec, ocr=TesseractOcr(limits=OcrLimits(max_pages=2)))
    assert result.error is None and result.format == "image" and result.ocr.pages == 2
    assert result.ocr.pages_total == 5 and "ocr_pages_capped" in [p.code for p in result.problems]
    assert result.agency.id == "hccb"


def test_ocr_is_killed_at_its_time_limit(printed: bytes, spec: OutlineSpec) -> None:
    _require_tesseract()
    result = parse_bytes(
        scan_pdf(printed, Condition("sạch", dpi=300)), "dai.pdf", spec, ocr=TesseractOcr(limits=OcrLimits(timeout=1))
    )
    assert result.error is not None and result.error.code == "ocr_failed" and "đã dừng" in result.error.message
    assert result.scanned


def test_the_whole_process_group_is_killed(printed: bytes, spec: OutlineSpec, tmp_path: Path) -> None:
    import os
    import time

    pids = tmp_path / "pids"
    hung = tmp_path / "tesseract-treo"
    hung.write_text(f"#!/bin/sh\necho $$ >> {pids}\nsleep 120 &\necho $! >> {pids}\nwait\n")
    hung.chmod(0o755)
    result = parse_bytes(scan_pdf(printed, Condition("sạch", dpi=150)), "x.pdf", spec,
                         ocr=TesseractOcr(str(hung), limits=OcrLimits(timeout=2)))
    assert result.error is not None and result.error.code == "ocr_failed" and "đã dừng" in result.error.message
    for pid in (int(p) for p in pids.read_text().split()):
        for _ in range(50):  # the orphaned sleep is reaped by init a moment later
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"process {pid} outlived the OCR time limit")


def test_without_tesseract_the_error_says_how_to_install(printed: bytes, spec: OutlineSpec) -> None:
    result = parse_bytes(scan_pdf(printed, Condition("sạch", dpi=150)), "x.pdf", spec, ocr=TesseractOcr("/khong/co"))
    assert result.error is not None and result.error.code == "ocr_failed" and INSTALL_HINT in result.error.message


def test_a_pixel_bomb_image_is_refused(spec: OutlineSpec) -> None:
    buf = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(buf, "PNG")
    result = parse_bytes(buf.getvalue(), "to.png", spec)
    assert result.error is not None and result.error.code == "too_large"


def test_a_word_file_that_is_only_a_pasted_scan_is_read(printed: bytes, spec: OutlineSpec) -> None:
    from docx import Document
    from docx.shared import Cm

    from flows.dev.scan_fixtures import degrade, render_pages

    _require_tesseract()
    word = Document()
    for page in render_pages(printed, 200)[:2]:
        png = io.BytesIO()
        degrade(page, Condition("ảnh dán", dpi=200, skew=0.8), seed=2).convert("L").save(png, "PNG", dpi=(200, 200))
        word.add_picture(io.BytesIO(png.getvalue()), width=Cm(17))
    buf = io.BytesIO()
    word.save(buf)
    result = parse_bytes(buf.getvalue(), "ban-quet-dan-vao-word.docx", spec)
    assert result.error is None and result.format == "docx" and result.ocr is not None and result.ocr.pages == 2
    assert result.agency.id == "hccb" and result.doc_number == "28/BC-CCB" and "ocr_read" in [p.code for p in result.problems]


@pytest.mark.parametrize("grey", [255, 128, 0])
def test_a_page_of_one_grey_level_has_no_ink(grey: int) -> None:
    ink, threshold = _ink(Image.new("L", (400, 600), grey), with_threshold=True)
    assert not ink.any() and threshold == -1


def test_a_blank_scanned_page_is_a_scan_without_text_not_a_crash(spec: OutlineSpec) -> None:
    """A PDF whose only page is blank (a scanner's empty sheet, or a page that draws nothing)
    says that the scan holds no readable text; it was an unexpected ValueError (All-NaN)."""
    buf = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(buf, "PDF", resolution=150)
    result = parse_bytes(buf.getvalue(), "trang-trang.pdf", spec)
    assert result.error is not None and result.error.code == "scanned_pdf", result.error
