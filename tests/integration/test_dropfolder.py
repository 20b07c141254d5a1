"""The shared folder: only stable files, once each, moved not deleted (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import nil_docx, report_docx  # noqa: E402


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
    # Taken (moved into working/ first, then read), committed, not moved on yet.
    assert not path.exists() and (root / "working" / "Sở Tư pháp" / "bc.docx").exists()
    assert states(drop_app)["sotp"]["state"] == "submitted"
    for _ in range(3):
        ingest_folder(drop_app)
    assert not path.exists() and (root / "processed" / "Sở Tư pháp" / "bc.docx").exists()
    assert not (root / "working" / "Sở Tư pháp" / "bc.docx").exists()
    from sqlalchemy import func, select

    from storage.models import InboundFile, Submission

    with drop_app.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
        assert s.scalar(select(func.count()).select_from(InboundFile)) == 1
        assert s.scalars(select(InboundFile)).one().moved_to == "processed/Sở Tư pháp/bc.docx"


def _blob_shas(app) -> set[str]:
    from sqlalchemy import select

    from storage.models import Blob

    with app.session() as s:
        return set(s.scalars(select(Blob.sha256)))


def test_symlinks_are_never_followed_nor_stored(drop_app, tmp_path):
    import hashlib

    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    outside = tmp_path / "ngoai"
    outside.mkdir()
    secret = outside / "bao cao.docx"
    secret.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    (root / "passwd.docx").symlink_to("/etc/passwd")
    (root / "soyt.docx").symlink_to(secret)
    (root / "sotp").symlink_to(outside, target_is_directory=True)  # a folder linking out
    before = _blob_shas(drop_app)
    reports = [ingest_folder(drop_app).to_json() for _ in range(3)]
    skipped = {i["path"]: i["reason"] for i in reports[0]["items"] if i["status"] == "skipped"}
    assert set(skipped) == {"passwd.docx", "soyt.docx", "sotp"} and all("symlink" in r for r in skipped.values())
    assert reports[0]["counts"]["skipped"] == 3 and reports[0]["counts"]["total"] == 0
    assert reports[1]["items"] == [] and reports[2]["items"] == []  # reported once
    stored = _blob_shas(drop_app) - before
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() not in stored
    assert hashlib.sha256(secret.read_bytes()).hexdigest() not in stored
    assert states(drop_app)["sotp"]["state"] == states(drop_app)["soyt"]["state"] == "not_responded"
    assert Path("/etc/passwd").exists() and secret.exists() and (root / "passwd.docx").is_symlink()


def test_a_folder_swapped_for_a_symlink_after_the_scan_is_refused(drop_app, tmp_path, monkeypatch):
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    (root / "sotp").mkdir()
    path = root / "sotp" / "bc.docx"
    path.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    _age(path)
    ingest_folder(drop_app)  # seen once: stable at the next scan
    outside = tmp_path / "ngoai"
    outside.mkdir()
    (outside / "bc.docx").write_bytes(b"bi mat")
    (root / "sotp").rename(root / "sotp-cu")
    (root / "sotp").symlink_to(outside, target_is_directory=True)
    from flows.adapters import dropfolder

    real_walk = dropfolder.walk

    def stale_walk(base):  # the listing made before the swap
        files, skipped = real_walk(base)
        return [(root / "sotp" / "bc.docx", (root / "sotp-cu" / "bc.docx").lstat())] if base == root else files, skipped

    monkeypatch.setattr(dropfolder, "walk", stale_walk)
    out = ingest_folder(drop_app).to_json()
    got = {i["path"]: i for i in out["items"]}
    assert got["sotp/bc.docx"]["status"] == "skipped" and "symlink" in got["sotp/bc.docx"]["reason"]
    assert out["counts"]["total"] == 0
    assert (outside / "bc.docx").read_bytes() == b"bi mat" and not (root / "working" / "sotp").exists()


def test_a_file_swapped_while_it_is_taken_is_not_lost(drop_app, monkeypatch):
    import hashlib

    from flows.adapters import dropfolder
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    path = root / "bc.docx"
    first, second = report_docx("SỞ TƯ PHÁP", "15/BC-STP"), report_docx("SỞ Y TẾ", "9/BC-SYT")
    path.write_bytes(first)
    _age(path)
    ingest_folder(drop_app)
    real_rename = dropfolder.os.rename

    def swap_then_rename(src, dst, **kw):  # someone saves another file under the name right now
        tmp = root / "bc.docx.new"
        tmp.write_bytes(second)
        tmp.replace(path)
        monkeypatch.setattr(dropfolder.os, "rename", real_rename)
        return real_rename(src, dst, **kw)

    monkeypatch.setattr(dropfolder.os, "rename", swap_then_rename)
    swapped = ingest_folder(drop_app).to_json()
    assert [(i["path"], i["status"]) for i in swapped["items"]] == [("bc.docx", "skipped")]
    assert path.read_bytes() == second and not list((root / "working").rglob("*.docx"))
    for _ in range(3):
        ingest_folder(drop_app)
    done = root / "processed" / "bc.docx"
    assert done.read_bytes() == second and hashlib.sha256(second).hexdigest() in _blob_shas(drop_app)
    assert states(drop_app)["soyt"]["state"] == "submitted" and states(drop_app)["sotp"]["state"] == "not_responded"


def test_hidden_empty_and_fifo_reported_once_with_a_reason(drop_app):
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    (root / ".bao cao.docx").write_bytes(report_docx("SỞ TƯ PHÁP"))
    (root / "rong.docx").write_bytes(b"")
    os.mkfifo(root / "ong.docx")
    (root / ".DS_Store").write_bytes(b"x")  # litter: silent
    first = ingest_folder(drop_app).to_json()
    reasons = {i["path"]: i["reason"] for i in first["items"] if i["status"] == "skipped"}
    assert set(reasons) == {".bao cao.docx", "rong.docx", "ong.docx"}
    assert "dấu chấm" in reasons[".bao cao.docx"] and "0 byte" in reasons["rong.docx"] and "FIFO" in reasons["ong.docx"]
    assert ingest_folder(drop_app).to_json()["items"] == []  # once, and the FIFO never blocks a scan
    (root / "rong.docx").write_bytes(report_docx("SỞ Y TẾ"))  # the empty file gets its content
    _age(root / "rong.docx")
    ingest_folder(drop_app)
    assert [i["status"] for i in ingest_folder(drop_app).to_json()["items"]] == ["processed"]
    with drop_app.session() as s:
        from sqlalchemy import select

        from storage.models import Event

        assert len(list(s.scalars(select(Event).where(Event.kind == "drop_skipped")))) == 3


def test_too_large_refused_from_stat_before_reading(drop_app, monkeypatch):
    from flows.adapters import dropfolder
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    drop_app.settings.max_file_bytes = 1024 * 1024
    big = root / "to.docx"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB by stat, nothing written
    _age(big)
    ingest_folder(drop_app)
    reads: list[str] = []
    real_read = dropfolder._read_moved
    monkeypatch.setattr(dropfolder, "_read_moved", lambda *a, **k: reads.append("read") or real_read(*a, **k))
    before = _blob_shas(drop_app)
    out = ingest_folder(drop_app).to_json()
    assert [(i["path"], i["status"]) for i in out["items"]] == [("to.docx", "failed")]
    assert "quá lớn" in out["items"][0]["error"] and reads == [] and _blob_shas(drop_app) == before
    assert (root / "failed" / "to.docx").exists() and "quá lớn" in (root / "failed" / "to.docx.loi.txt").read_text(encoding="utf-8")


def test_a_slow_file_uses_its_budget_and_the_rest_goes_on(drop_app, monkeypatch):
    import threading

    from flows.intake import context

    real = context.parse_bytes

    def slow(data, filename, spec, **kw):
        if "cham" in filename:
            threading.Event().wait()  # spins for ever, as LibreOffice did on one spreadsheet
        return real(data, filename, spec, **kw)

    monkeypatch.setattr(context, "parse_bytes", slow)
    drop_app.settings.file_budget_seconds = 20  # generous for the good file on a busy machine
    root = drop_app.settings.drop.dir
    out = _bad_and_good_report(drop_app, "cham sotp.docx")
    assert out["soyt.docx"]["status"] == "processed"
    assert out["cham sotp.docx"]["status"] == "failed" and "20 giây" in out["cham sotp.docx"]["error"]
    assert (root / "failed" / "cham sotp.docx").exists()
    assert states(drop_app)["soyt"]["state"] == "submitted" and states(drop_app)["sotp"]["state"] == "not_responded"


def _bad_and_good_report(drop_app, bad_name: str) -> dict:
    """Sở Tư pháp's report under `bad_name` and Sở Y tế's beside it, both settled in the
    folder, ingested twice (the second run reports every item); items by path."""
    from flows.intake.folder import ingest_folder

    root = drop_app.settings.drop.dir
    (root / bad_name).write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    (root / "soyt.docx").write_bytes(report_docx("SỞ Y TẾ"))
    for p in root.iterdir():
        _age(p)
    ingest_folder(drop_app)
    return {i["path"]: i for i in ingest_folder(drop_app).to_json()["items"]}


def test_a_file_past_the_memory_cap_is_kept_for_review_and_the_rest_goes_on(drop_app, monkeypatch):
    from flows.intake import context

    real = context.parse_bytes

    def hog(data, filename, spec, **kw):
        if "lon" in filename:
            kept = [bytearray(64 << 20) for _ in range(64)]  # 4 GB: what a pathological file may cost
            assert not kept
        return real(data, filename, spec, **kw)

    monkeypatch.setattr(context, "parse_bytes", hog)
    drop_app.settings.parse_memory_mb = 128
    root = drop_app.settings.drop.dir
    out = _bad_and_good_report(drop_app, "lon sotp.docx")
    assert out["soyt.docx"]["status"] == "processed"
    assert out["lon sotp.docx"]["status"] == "failed" and "tệp quá lớn để đọc" in out["lon sotp.docx"]["error"]
    assert (root / "failed" / "lon sotp.docx").exists()
    assert states(drop_app)["soyt"]["state"] == "submitted"


def test_legacy_files_of_one_scan_go_through_one_warm_libreoffice(drop_app, monkeypatch):
    from flows.intake.folder import ingest_folder
    from parsers import lo_server
    from parsers.legacy import LibreOfficeConverter

    def refuse(*args):
        raise AssertionError("one-shot LibreOffice used")

    monkeypatch.setattr(LibreOfficeConverter, "_run", refuse)  # inherited by the budget's children
    starts = []
    real_start = lo_server.WarmLibreOffice.start

    def counting(self):
        starts.append(1)
        real_start(self)
        self.wait_ready()  # the first file must find it up: otherwise it converts one-shot

    monkeypatch.setattr(lo_server.WarmLibreOffice, "start", counting)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
    root = drop_app.settings.drop.dir
    for n in range(3):
        (root / f"bao cao {n}.doc").write_bytes((fixtures / "bao-cao.doc").read_bytes())
    for p in root.iterdir():
        _age(p)
    ingest_folder(drop_app)
    items = ingest_folder(drop_app).to_json()["items"]
    assert len(items) == 3 and all(i["status"] != "failed" for i in items), items
    assert starts == [1] and lo_server.current() is None


def test_parse_in_a_child_gives_the_same_result_and_reports_a_crash():
    from config.campaign import load_campaigns
    from flows.app import outline_spec
    from flows.intake.budget import run_in_child
    from parsers.api import parse_bytes

    root = Path(__file__).resolve().parents[2]
    spec = outline_spec(load_campaigns(root / "config" / "campaigns")[0])
    data = report_docx("SỞ TƯ PHÁP", "15/BC-STP")
    here = parse_bytes(data, "a.docx", spec)
    there = run_in_child(parse_bytes, 600, data, "a.docx", spec)
    assert there.to_json() == here.to_json()

    def boom(*args):
        raise ValueError("hỏng")

    crashed = run_in_child(boom, 600, data, "a.docx", spec)
    assert crashed.error is not None and crashed.error.code == "parser_crash" and "hỏng" in crashed.error.message


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


def test_an_agencys_file_that_is_no_outline_report_waits_for_a_person(drop_app):
    """A readable file in an agency's subfolder that is not in the outline's form (its report on
    the plan the request cites) is meant as its answer: a review item and "chờ kiểm tra", as a
    mail's files would be — not "unrelated" in failed/. A file naming no agency stays unrelated."""
    from reportdocs import plan_report_docx
    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from flows.intake.review import assign_item
    from storage.models import ReviewItem, Submission
    from tests.integration.test_trust import docx_of

    root = drop_app.settings.drop.dir
    (root / "sotc").mkdir()
    (root / "sotc" / "BC 996 STC.docx").write_bytes(plan_report_docx())
    (root / "Bao gia may in.docx").write_bytes(docx_of(["CÔNG TY TNHH ABC", "BẢNG BÁO GIÁ", "Máy in laser giảm 20%."]))
    for p in root.rglob("*.docx"):
        _age(p)
    ingest_folder(drop_app)  # first scan: seen
    out = {i["path"]: i for i in ingest_folder(drop_app).to_json()["items"]}
    held, stranger = out["sotc/BC 996 STC.docx"], out["Bao gia may in.docx"]
    assert (held["status"], held["classification"], held.get("to_check")) == ("review", "files_to_check", True), held
    assert (stranger["status"], stranger["classification"]) == ("failed", "unrelated"), stranger
    assert (root / "processed" / "sotc" / "BC 996 STC.docx").exists()
    assert (root / "failed" / "Bao gia may in.docx").exists()
    with drop_app.session() as s:
        assert list(s.scalars(select(Submission))) == []
        (item,) = s.scalars(select(ReviewItem)).all()
        assert item.kind == "doubtful_report" and item.inbound_file_id == held["inbound_file_id"]
        assert "sotc/BC 996 STC.docx" in item.reason and item.candidates[0]["code"] == "sotc"
        assert item.document_id is not None
    sotc = states(drop_app)["sotc"]
    assert sotc["state"] == "not_responded" and sotc["to_check"] is True
    assert sotc["state_label"] == "Đã gửi tệp – chờ kiểm tra"
    done = assign_item(drop_app, item.id, "sotc")
    assert done["created"] is True and done["recipient"] == "sotc"
    sotc = states(drop_app)["sotc"]
    assert sotc["state"] == "submitted" and sotc["to_check"] is False
    with drop_app.session() as s:
        assert s.scalars(select(Submission.channel)).one() == "folder"


def test_a_known_agencys_outline_content_not_read_as_a_report_waits_for_a_person(drop_app):
    """A sheet dropped in the common folder that names its agency (SỞ CÔNG THƯƠNG) and lays out
    the outline's table rows with figures, in a shape the parser cannot read as a report: not
    failed/ "không nhận ra báo cáo" with the agency left "not responded" (and reminded), but a
    review item for that agency, nothing counted meanwhile."""
    import io

    import openpyxl
    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from storage.models import ReviewItem, Submission

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["UBND TỈNH QUẢNG NGÃI"], ["SỞ CÔNG THƯƠNG"], ["Số liệu Đề án 996"], [],
                ["Nội dung", "Đầu tư chuẩn đo lường, phương tiện đo", "Cán bộ được bồi dưỡng, tập huấn về đo lường",
                 "Phương tiện đo được kiểm định, hiệu chuẩn cho doanh nghiệp"],
                ["Đã làm được", 4, 15, 2750]):
        ws.append(row)
    data = io.BytesIO()
    wb.save(data)
    root = drop_app.settings.drop.dir
    (root / "so_lieu.xlsx").write_bytes(data.getvalue())
    _age(root / "so_lieu.xlsx")
    ingest_folder(drop_app)
    (held,) = ingest_folder(drop_app).to_json()["items"]
    assert (held["status"], held["classification"], held.get("recipient")) == ("review", "files_to_check", "soct"), held
    with drop_app.session() as s:
        assert list(s.scalars(select(Submission))) == []
        (item,) = s.scalars(select(ReviewItem)).all()
        assert item.candidates[0]["code"] == "soct"
    soct = states(drop_app)["soct"]
    assert soct["state"] == "not_responded" and soct["to_check"] is True


def test_a_decomposed_name_is_recorded_composed(drop_app):
    """A file named on a Mac (NFD: 'ư' as 'u' + horn) is read from disk under its own name but
    recorded, reported and logged NFC, as every other Vietnamese text."""
    import unicodedata

    from sqlalchemy import select

    from flows.intake.folder import ingest_folder
    from storage.models import InboundFile

    root = drop_app.settings.drop.dir
    folder, name = unicodedata.normalize("NFD", "Sở Tư pháp"), unicodedata.normalize("NFD", "báo cáo năm.docx")
    (root / folder).mkdir()
    (root / folder / name).write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    (root / folder / unicodedata.normalize("NFD", ".ẩn.docx")).write_bytes(b"x")  # skipped: reported NFC too
    for p in root.rglob("*"):
        _age(p)
    first = ingest_folder(drop_app).to_json()
    assert [i["path"] for i in first["items"] if i["status"] == "skipped"] == ["Sở Tư pháp/.ẩn.docx"]
    report = ingest_folder(drop_app).to_json()
    composed = "Sở Tư pháp/báo cáo năm.docx"
    assert composed != unicodedata.normalize("NFD", composed)
    assert [i["path"] for i in report["items"] if i["status"] != "skipped"] == [composed]
    with drop_app.session() as session:
        assert list(session.scalars(select(InboundFile.path))) == [composed]
    assert not (root / folder / name).exists()  # taken off the drop, under its own (NFD) name
