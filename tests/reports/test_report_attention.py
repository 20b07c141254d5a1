"""The Word report says what the figures rest on (drafts, staff corrections, mail whose sender
is not known yet) — leaders read the Word file, not the Excel «Vấn đề» sheet — and its layout
keeps the closing line with «Nơi nhận» and the signature (rendered by LibreOffice)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pdfplumber
from docx import Document as WordDocument

from config.campaign import load_campaigns
from flows.dev.report_preview import sample_agencies
from reports.consolidate import ProblemNote, ReviewNote, consolidate
from reports.word import TEMPLATE, render_word

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, tzinfo=dt.UTC)
DRAFT = "Văn bản chưa có số và ngày ban hành (có thể là bản dự thảo); đề nghị đơn vị gửi bản chính thức"


def _docx(tmp_path: Path) -> Path:
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    agencies = sample_agencies(campaign, [(f"dv{i}", f"Sở thử nghiệm số {i}") for i in range(4)], states=("submitted",))
    agencies[1] = dataclasses.replace(agencies[1], problems=(ProblemNote("draft", DRAFT),))
    agencies[2] = dataclasses.replace(agencies[2], corrections=("dòng 5, kết quả: 2.335 → 2.400 (cán bộ lan sửa; lý do: đơn vị gọi điện)",))
    review = [ReviewNote(7, "mail:19", "Không nhận ra đơn vị gửi", kind="attribution")]
    model = consolidate(campaign, agencies, review, as_of=AS_OF, sources={"mail:19": "thư từ a@b.vn «Báo cáo», nhận 12/08/2025 22:10"})
    out = tmp_path / "bao-cao.docx"
    out.write_bytes(render_word(model, TEMPLATE.read_bytes()))
    return out


def test_the_word_report_lists_what_a_reader_must_know(tmp_path: Path) -> None:
    text = "\n".join(p.text for p in WordDocument(str(_docx(tmp_path))).paragraphs)
    part = text[text.index("Những điểm cần lưu ý"):]
    assert f"Sở thử nghiệm số 1: {DRAFT}" in part
    assert "Sở thử nghiệm số 2: số liệu do cán bộ sửa: dòng 5, kết quả: 2.335 → 2.400 (cán bộ lan sửa" in part
    assert "Chưa rõ cơ quan, đơn vị gửi (đang chờ cán bộ xem xét), thư từ a@b.vn «Báo cáo», nhận 12/08/2025 22:10" in part
    # The annex marks them too, not only "(trễ hạn)".
    assert "2. Sở thử nghiệm số 1 (xem «Những điểm cần lưu ý»)" in text
    assert "3. Sở thử nghiệm số 2 (có số liệu cán bộ đã sửa) (xem «Những điểm cần lưu ý»)" in text


def test_the_closing_line_stays_with_the_signature_and_the_title_keeps_the_place_whole(tmp_path: Path) -> None:
    doc = WordDocument(str(_docx(tmp_path)))
    closing = next(p for p in doc.paragraphs if p.text.endswith("biết./."))
    assert closing.paragraph_format.keep_with_next
    title = next(p for p in doc.paragraphs if "Quảng" in p.text and p.alignment == 1)
    assert "Quảng\u00a0Ngãi" in title.text
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "bao-cao.docx")], check=True, capture_output=True, timeout=300)
    with pdfplumber.open(tmp_path / "bao-cao.pdf") as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    signed = next(i for i, t in enumerate(pages) if "Nơi nhận" in t)
    assert "biết./." in pages[signed]
