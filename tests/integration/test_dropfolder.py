"""The shared folder: only stable files, once each, moved not deleted (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import nil_docx, report_docx  # noqa: E402


@pytest.fixture
def drop_app(app, tmp_path):
    root = tmp_path / "chung"
    root.mkdir()
    app.settings.drop.dir = root
    return app


def _age(path: Path, seconds: int = 600) -> None:
    """Give a file an older mtime (as a finished copy would have)."""
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def states(app) -> dict[str, dict]:
    from flows.app import status_report

    return {r["id"]: r for r in status_report(app)["recipients"]}


def test_stable_files_once_moved_never_deleted(drop_app):
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    (root / "sotp").mkdir()
    (root / "sotp" / "bao cao.docx").write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    (root / "BC Sở Y tế.docx").write_bytes(report_docx("SỞ Y TẾ"))
    (root / "hnd_khong_phat_sinh.docx").write_bytes(nil_docx("HỘI NÔNG DÂN TỈNH"))
    (root / "hong.xlsx").write_bytes(b"PK\x03\x04 broken")
    for litter in ("~$bao cao.docx", ".~lock.x.docx#", "Thumbs.db", "desktop.ini", ".DS_Store", "a.tmp"):
        (root / litter).write_bytes(b"x")
    (root / "__MACOSX").mkdir()
    (root / "__MACOSX" / "._bao cao.docx").write_bytes(b"x")
    for p in root.rglob("*"):
        if p.is_file():
            _age(p)

    import datetime as dt

    mtime = dt.datetime.fromtimestamp((root / "sotp" / "bao cao.docx").stat().st_mtime, dt.UTC)
    first = ingest_folder(drop_app).to_json()
    assert first["counts"]["total"] == 0  # first sight: nothing is known to be complete yet
    second = ingest_folder(drop_app).to_json()
    got = {i["path"]: i for i in second["items"]}
    assert set(got) == {"sotp/bao cao.docx", "BC Sở Y tế.docx", "hnd_khong_phat_sinh.docx", "hong.xlsx"}
    assert got["sotp/bao cao.docx"]["recipient"] == "sotp" and "folder" in got["sotp/bao cao.docx"]["attributed_by"]
    assert got["BC Sở Y tế.docx"]["recipient"] == "soyt"
    assert got["hong.xlsx"]["status"] == "failed"
    assert (root / "processed" / "sotp" / "bao cao.docx").exists()
    assert (root / "failed" / "hong.xlsx").exists()
    assert (root / "failed" / "hong.xlsx.loi.txt").read_text(encoding="utf-8").strip()
    assert (root / "~$bao cao.docx").exists() and (root / "Thumbs.db").exists()  # litter left alone
    s = states(drop_app)
    assert s["sotp"]["state"] == "submitted" and s["soyt"]["state"] == "submitted" and s["hnd"]["state"] == "nil_report"
    sotp_at = s["sotp"]["first_response_at"]
    assert abs(dt.datetime.fromisoformat(sotp_at) - mtime) < dt.timedelta(seconds=1)  # received = mtime

    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0  # nothing left, nothing changes
    # The same bytes dropped again (another name): a duplicate, changes nothing.
    again = root / "sotp" / "gui lai.docx"
    again.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    _age(again)
    ingest_folder(drop_app)
    third = ingest_folder(drop_app).to_json()
    assert [i["status"] for i in third["items"]] == ["duplicate"]
    assert (root / "processed" / "sotp" / "gui lai.docx").exists()
    assert states(drop_app)["sotp"]["first_response_at"] == sotp_at


def test_growing_file_taken_once_when_complete(drop_app):
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    data = report_docx("SỞ XÂY DỰNG", "3/BC-SXD")
    target = root / "soxd.docx"
    target.write_bytes(data[: len(data) // 3])  # a slow network copy, a third done
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0
    with target.open("ab") as fh:
        fh.write(data[len(data) // 3 : 2 * len(data) // 3])
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0  # grew: not stable
    with target.open("ab") as fh:
        fh.write(data[2 * len(data) // 3 :])
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0  # grew again
    done = ingest_folder(drop_app).to_json()  # unchanged since last scan: complete
    assert [i["status"] for i in done["items"]] == ["processed"] and done["items"][0]["recipient"] == "soxd"
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0
    assert states(drop_app)["soxd"]["state"] == "submitted"
    # A file open in LibreOffice (its lock file beside it) waits until it is closed.
    open_file = root / "sotp.docx"
    open_file.write_bytes(report_docx("SỞ TƯ PHÁP"))
    lock = root / ".~lock.sotp.docx#"
    lock.write_text("nguoi dung")
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0
    assert ingest_folder(drop_app).to_json()["counts"]["total"] == 0
    lock.unlink()
    assert [i["recipient"] for i in ingest_folder(drop_app).to_json()["items"]] == ["sotp"]
    from sqlalchemy import func, select

    from storage.models import InboundFile, Submission

    with drop_app.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 2
        assert s.scalar(select(func.count()).select_from(InboundFile)) == 2


def test_folder_disagreement_goes_to_review(drop_app):
    from flows.intake.folder import ingest_folder
    from flows.intake.review import assign_item

    root = drop_app.settings.drop.dir
    (root / "sotp").mkdir()
    path = root / "sotp" / "bc.docx"
    path.write_bytes(report_docx("SỞ Y TẾ", "9/BC-SYT"))  # Sở Y tế's report in Sở Tư pháp's folder
    _age(path)
    ingest_folder(drop_app)
    out = ingest_folder(drop_app).to_json()
    assert out["counts"]["review"] == 1
    s = states(drop_app)
    assert s["sotp"]["state"] == s["soyt"]["state"] == "not_responded"
    from flows.app import status_report

    item = status_report(drop_app)["review"][0]["item"]
    assign_item(drop_app, item, "soyt")
    assert states(drop_app)["soyt"]["state"] == "submitted"


def test_dismissed_item_records_nothing(drop_app):
    from flows.app import status_report
    from flows.intake.folder import ingest_folder
    from flows.intake.review import ReviewError, dismiss_item

    path = drop_app.settings.drop.dir / "bao cao.docx"
    path.write_bytes(report_docx("SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH KON TUM", "1/BC"))  # not a recipient
    _age(path)
    ingest_folder(drop_app)
    assert ingest_folder(drop_app).to_json()["counts"]["review"] == 1
    report = status_report(drop_app)
    assert report["counts"]["not_responded"] == report["counts"]["total"]  # counts nowhere
    item = report["review"][0]["item"]
    dismiss_item(drop_app, item, "không thuộc danh sách")
    assert status_report(drop_app)["review"] == []
    with pytest.raises(ReviewError):
        dismiss_item(drop_app, item)


class Killed(BaseException):
    """A simulated crash."""


def test_kill_between_commit_and_move(drop_app, monkeypatch):
    from flows.intake import folder
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    (root / "Sở Tư pháp").mkdir()
    path = root / "Sở Tư pháp" / "bc.docx"
    path.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    _age(path)
    ingest_folder(drop_app)
    real_move = folder.move_file

    def crash(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(folder, "move_file", crash)
    with pytest.raises(Killed):
        ingest_folder(drop_app)
    monkeypatch.setattr(folder, "move_file", real_move)
    assert path.exists() and states(drop_app)["sotp"]["state"] == "submitted"  # committed, not moved
    for _ in range(3):
        ingest_folder(drop_app)
    assert not path.exists() and (root / "processed" / "Sở Tư pháp" / "bc.docx").exists()
    from sqlalchemy import func, select

    from storage.models import InboundFile, Submission

    with drop_app.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
        assert s.scalar(select(func.count()).select_from(InboundFile)) == 1
        assert s.scalars(select(InboundFile)).one().moved_to == "processed/Sở Tư pháp/bc.docx"


def test_folder_and_file_names_without_diacritics_name_the_agency(drop_app):
    """No letterhead in the file: a folder "So Tu phap" (no diacritics) is one medium signal
    (review, Sở Tư pháp preselected); the folder and a document identity that agree settle it."""
    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from storage.models import ReviewItem

    root = drop_app.settings.drop.dir
    (root / "So Tu phap").mkdir()
    (root / "So Tu phap" / "BaoCao_2025.docx").write_bytes(report_docx("", "7/BC"))
    (root / "HoiNongDan").mkdir()
    (root / "HoiNongDan" / "bao cao.docx").write_bytes(report_docx("HỘI NÔNG DÂN TỈNH", "3/BC-HND"))
    for p in root.rglob("*"):
        if p.is_file():
            _age(p)
    ingest_folder(drop_app)
    got = {i["path"]: i for i in ingest_folder(drop_app).to_json()["items"]}
    assert got["So Tu phap/BaoCao_2025.docx"]["status"] == "review"
    assert got["HoiNongDan/bao cao.docx"]["recipient"] == "hnd"
    with drop_app.session() as s:
        item = s.scalars(select(ReviewItem)).one()
        assert item.candidates[0]["code"] == "sotp" and "name" in item.candidates[0]["signals"]
    assert states(drop_app)["sotp"]["state"] == "not_responded"  # a guess is never recorded as fact
