"""The shared folder with two campaigns open (SQLite and PostgreSQL): a subfolder named after a
campaign puts its files there (an agency subfolder inside it attributes them); a file outside
every campaign's subfolder goes where its document clearly belongs (the outline it follows);
a file no campaign clearly claims opens a review item naming both — nothing recorded until a
person chooses, then it is recorded in the campaign chosen."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import two_campaign_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES / "mail"))

from reportdocs import report_docx  # noqa: E402

from tests.integration.test_routing_mail import inspection_docx  # noqa: E402

A, B = "de-an-996", "kiem-tra-do-luong-2025"


def plain_docx(*lines: str) -> bytes:
    """A short document that names no request and follows no outline."""
    from docx import Document

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture
def two(settings_factory, db_url, tmp_path):
    from flows.app import App, init

    config = two_campaign_config(tmp_path / "config")
    app = App(settings_factory(database_url=db_url, config_dir=config))
    drop = tmp_path / "chung"
    drop.mkdir()
    app.settings.drop.dir = drop
    init(app)
    yield app
    app.engine.dispose()


def put(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))  # a finished copy


def test_files_go_to_their_campaign_and_a_doubt_waits_for_a_person(two) -> None:
    from flows.intake.folder import ingest_folder
    from flows.intake.review import assign_item
    from storage.models import InboundFile, RecipientRow, ReviewItem, Submission

    root = two.settings.drop.dir
    put(root, f"{B}/sotp/bao cao.docx", inspection_docx("SỞ TƯ PHÁP", "21/BC-STP"))
    put(root, f"{A}/soyt/bc.docx", report_docx("SỞ Y TẾ", "30/BC-SYT"))
    put(root, "BC So Tu phap 996.docx", report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    put(root, "kiem tra SCT.docx", inspection_docx("SỞ CÔNG THƯƠNG", "40/BC-SCT"))
    # A nil report in words both requests accept, citing neither: which request does it answer?
    put(root, "gui so.docx", plain_docx("UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ", "BÁO CÁO",
                                        "Sở Y tế không phát sinh nội dung, không có nội dung báo cáo."))

    assert ingest_folder(two).to_json()["counts"]["total"] == 0  # first sight: not yet known complete
    run = ingest_folder(two).to_json()
    by_path = {i["path"]: i for i in run["items"]}
    assert set(by_path) == {f"{B}/sotp/bao cao.docx", f"{A}/soyt/bc.docx", "BC So Tu phap 996.docx",
                            "kiem tra SCT.docx", "gui so.docx"}, run["items"]

    def recorded() -> set[tuple[str, str, str]]:
        with two.session() as session:
            rows = session.execute(
                select(Submission.campaign_id, RecipientRow.code, Submission.channel)
                .join(RecipientRow, RecipientRow.id == Submission.recipient_id)
            ).all()
        return {tuple(r) for r in rows}

    assert recorded() == {(B, "sotp", "folder"), (A, "soyt", "folder"), (A, "sotp", "folder"), (B, "soct", "folder")}
    with two.session() as session:
        files = {f.path: f for f in session.scalars(select(InboundFile))}
        assert files[f"{B}/sotp/bao cao.docx"].campaign_id == B
        assert files["kiem tra SCT.docx"].campaign_id == B and files["BC So Tu phap 996.docx"].campaign_id == A
        doubt = files["gui so.docx"]
        assert doubt.status == "review" and doubt.campaign_id is None and doubt.recipient_id is None
        item = session.scalars(select(ReviewItem).where(ReviewItem.inbound_file_id == doubt.id)).one()
        assert item.campaign_id is None and item.plan["kind"] == "route"
        assert {c["campaign"] for c in item.candidates} == {A, B}
        assert "thuộc chiến dịch nào" in item.reason
        item_id = item.id
    assert by_path["gui so.docx"]["status"] == "review"
    # Moved like every other file (processed/, keeping the campaign's subfolder).
    assert (root / "processed" / B / "sotp" / "bao cao.docx").exists()
    # A person chooses B and the agency: recorded there, and only there.
    result = assign_item(two, item_id, "soyt", actor="canbo", campaign_id=B)
    assert result["campaign"] == B
    assert (B, "soyt", "folder") in recorded() and len(recorded()) == 5
    with two.session() as session:
        row = session.get(InboundFile, doubt.id)
        assert row.campaign_id == B and row.status == "processed"
        assert session.get(ReviewItem, item_id).resolved_by == "canbo"
    again = ingest_folder(two).to_json()
    assert again["counts"]["total"] == 0  # nothing is read twice
