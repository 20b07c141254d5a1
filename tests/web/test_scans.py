"""A scanned report in the workspace: read by OCR, shown with each figure's confidence and a
crop of the page, and confirmed with one click (audited with the person's name)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.web.conftest import csrf_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scanned_report() -> bytes:
    from flows.dev.scan_fixtures import Condition, scan_pdf
    from parsers.legacy import LibreOfficeConverter, find_soffice

    if not find_soffice():
        pytest.fail("LibreOffice is missing: apt-get install -y libreoffice-writer-nogui")
    if not shutil.which("tesseract"):
        pytest.fail("Tesseract is missing: apt-get install -y tesseract-ocr tesseract-ocr-vie")
    from tests.lo_warm import serving

    with serving():  # the worker's warm LibreOffice
        printed = LibreOfficeConverter().convert((ROOT / "tests/fixtures/docx/hccb_table_layout.docx").read_bytes(), "docx", "pdf")
    return scan_pdf(printed, Condition("nhiễu", dpi=200, noise=20, skew=1.0), seed=5)


def test_a_scanned_report_is_confirmed_with_one_click(client_for, web_app, scanned_report: bytes) -> None:
    import re

    from sqlalchemy import select

    from flows.app import status_report
    from storage.models import Event, SubmissionAcceptance

    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    resp = client.post(f"/don-vi/{code}/ghi-nhan", data={"csrf": token, "kenh": "paper", "loai": "report", "luc": "", "ghi_chu": ""},
                       files={"tep": ("ban quet.pdf", scanned_report, "application/pdf")})
    assert resp.status_code == 303
    page = client.get(f"/don-vi/{code}").text
    assert "Bản quét: nội dung và số liệu đọc bằng nhận dạng chữ (OCR) từ 5 trang" in page
    assert "Cần cán bộ đối chiếu với bản quét và xác nhận số liệu." in page
    assert len(re.findall(r"OCR \d+%", page)) >= 15  # every figure read says how sure OCR was
    assert "Xác nhận số liệu</button>" in page
    sha = re.search(r'/tep/([0-9a-f]{64})\?ten=ban', page).group(1)
    crop = client.get(f"/tep/{sha}/cat?trang=5&hop=300,100,330,112&nghieng=1.0")
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/png" and crop.content[:4] == b"\x89PNG"
    assert client.get(f"/tep/{sha}/cat?trang=9&hop=1,2,3,4").status_code == 404
    sub_id = int(re.search(r'name="lan_nop" value="(\d+)"', page).group(1))
    resp = client.post(f"/don-vi/{code}/chap-nhan", data={"csrf": token, "lan_nop": sub_id, "ban_quet": "1", "ghi_chu": ""})
    assert resp.status_code == 303
    page = client.get(f"/don-vi/{code}").text
    assert "đã chấp nhận</b> bởi canbo" in page and "Xác nhận số liệu</button>" not in page
    with web_app.session() as session:
        accepted = session.scalars(select(SubmissionAcceptance).where(SubmissionAcceptance.submission_id == sub_id)).one()
        event = session.scalars(select(Event).where(Event.kind == "submission_accepted").order_by(Event.id.desc())).first()
    assert accepted.actor == "canbo" and event.actor == "canbo" and event.data["scan_confirmed"] is True
    assert event.message.startswith("Xác nhận số liệu (đọc từ bản quét)")
