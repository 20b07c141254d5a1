"""The shared folder stores raw first: a processing step that raises leaves the file in the
database (failed, with its reason and a review item), and the rest of the scan goes on
(SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import report_docx  # noqa: E402


class Broken(RuntimeError):
    """A fault injected in a processing step (a bug, not the disk or the database)."""


def test_a_file_whose_processing_raises_is_kept_failed_with_a_review_item(drop_app, monkeypatch):
    from sqlalchemy import select

    from flows.intake import folder
    from storage.models import Blob, InboundFile, ReviewItem

    real = folder.decide_file

    def faulty(ctx, rel, name, files):
        if "sotp" in rel:
            raise Broken("lỗi tiêm vào bước quyết định")
        return real(ctx, rel, name, files)

    monkeypatch.setattr(folder, "decide_file", faulty)
    root = drop_app.settings.drop.dir
    (root / "sotp.docx").write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    (root / "soyt.docx").write_bytes(report_docx("SỞ Y TẾ"))
    for p in root.iterdir():
        st = p.stat()
        os.utime(p, (st.st_atime - 600, st.st_mtime - 600))
    folder.ingest_folder(drop_app)
    items = {i["path"]: i for i in folder.ingest_folder(drop_app).to_json()["items"]}
    assert items["soyt.docx"]["status"] == "processed"  # the rest of the scan goes on
    assert items["sotp.docx"]["status"] == "failed" and "lỗi tiêm vào" in items["sotp.docx"]["error"]
    assert (root / "failed" / "sotp.docx").exists()
    with drop_app.session() as s:
        rows = {r.path: r for r in s.scalars(select(InboundFile))}
        assert set(rows) == {"sotp.docx", "soyt.docx"}
        bad = rows["sotp.docx"]
        assert bad.status == "failed" and "lỗi tiêm vào" in (bad.error or "")
        assert bad.moved_to == "failed/sotp.docx"
        assert s.get(Blob, bad.sha256) is not None  # the bytes are kept
        review = s.scalars(select(ReviewItem).where(ReviewItem.inbound_file_id == bad.id)).one()
        assert review.status == "open" and review.kind == "unreadable" and "lỗi tiêm vào" in review.reason
        assert review.campaign_id == bad.campaign_id


def test_a_file_stored_raw_by_a_scan_that_stopped_is_settled_by_the_next(drop_app, monkeypatch):
    """A transient fault after the raw commit: the file goes back, its `received` row is
    settled by the next scan (one row, one submission)."""
    from sqlalchemy import func, select

    from flows.intake import folder
    from storage.models import InboundFile, Submission

    real = folder.decide_file

    def flaky(ctx, rel, name, files):
        raise OSError(5, "disk I/O error")

    monkeypatch.setattr(folder, "decide_file", flaky)
    root = drop_app.settings.drop.dir
    path = root / "sotp.docx"
    path.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))
    folder.ingest_folder(drop_app)
    out = folder.ingest_folder(drop_app).to_json()["items"]
    assert [i["status"] for i in out] == ["failed"] and out[0]["retry"] is True
    with drop_app.session() as s:
        assert [r.status for r in s.scalars(select(InboundFile))] == ["received"]
    monkeypatch.setattr(folder, "decide_file", real)
    for _ in range(2):
        folder.ingest_folder(drop_app)
    with drop_app.session() as s:
        assert [r.status for r in s.scalars(select(InboundFile))] == ["processed"]
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
    assert (root / "processed" / "sotp.docx").exists()
