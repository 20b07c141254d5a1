"""Trustworthy intake (issue 11) end to end: an unreadable dropped file is not a promise
(req. 8), an appendix sent later joins its report (req. 7), a draft is flagged (req. 7), and a
later nil report never silently replaces a report (req. 5). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "fixtures" / "mail"))
sys.path.insert(0, str(TESTS / "fixtures"))
ROOT = TESTS.parent


def _age(path: Path, seconds: int = 600) -> None:
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def _baocao(app, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI against the test's database and data directory."""
    s = app.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(BAOCAO_DATABASE_URL=s.effective_database_url, BAOCAO_DATA_DIR=str(s.data_dir), BAOCAO_DROP__DIR=str(s.drop.dir))
    return subprocess.run([str(Path(sys.executable).parent / "baocao"), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)


def test_an_unreadable_dropped_file_of_a_known_agency_is_not_a_promise(app, tmp_path, smtp):
    """A truncated Word file in the agency's subfolder and a zip bomb named after another
    agency, through `baocao ingest folder`: both go to failed/; the first agency (settled by
    its subfolder) is "Chưa nộp – tệp lỗi" in status, on the board and in the reminders; the
    second (one medium signal: its file name) is a review item with it preselected."""
    from make_format_fixtures import zip_bomb

    from flows.app import status_report
    from flows.outbound.reminders import remind
    from flows.web.workspace import board
    from storage.models import InboundFile, ReviewItem, Submission

    root = tmp_path / "chung"
    (root / "sotp").mkdir(parents=True)
    app.settings.drop.dir = root
    (root / "sotp" / "bao cao.docx").write_bytes((TESTS / "fixtures" / "formats" / "bi-cat.docx").read_bytes())
    (root / "Bao cao So Y te.zip").write_bytes(zip_bomb())
    (root / "ghi chu.docx").write_bytes((TESTS / "fixtures" / "formats" / "bi-cat.docx").read_bytes() + b"x")
    for p in root.rglob("*"):
        if p.is_file():
            _age(p)
    first = _baocao(app, "ingest", "folder", "--json")
    assert first.returncode == 0, first.stderr
    out = _baocao(app, "ingest", "folder", "--json")
    assert out.returncode == 1 and "bom nén" in out.stderr, out.stderr  # failed files: exit 1, one line each
    got = {i["path"]: i for i in json.loads(out.stdout)["items"]}
    assert got["sotp/bao cao.docx"]["status"] == "failed" and got["sotp/bao cao.docx"]["unreadable"] is True
    assert got["sotp/bao cao.docx"]["recipient"] == "sotp"
    assert got["Bao cao So Y te.zip"]["status"] == "failed" and got["Bao cao So Y te.zip"]["recipient"] is None
    assert "unreadable" not in got["ghi chu.docx"]  # nobody named: failed/ only, as before
    assert (root / "failed" / "sotp" / "bao cao.docx").exists() and (root / "failed" / "Bao cao So Y te.zip").exists()
    with app.session() as s:
        assert list(s.scalars(select(Submission))) == []
        items = {i.inbound_file_id: i for i in s.scalars(select(ReviewItem))}
        files = {f.path: f for f in s.scalars(select(InboundFile))}
        stp = items[files["sotp/bao cao.docx"].id]
        bomb = items[files["Bao cao So Y te.zip"].id]
        assert len(items) == 2 and stp.kind == bomb.kind == "unreadable"
        assert "bom nén" in bomb.reason and bomb.candidates[0]["code"] == "soyt"  # preselected, not recorded
    status = {r["id"]: r for r in status_report(app)["recipients"]}
    assert status["sotp"]["state"] == "not_responded" and status["sotp"]["state_label"] == "Chưa nộp – tệp lỗi"
    assert status["soyt"]["failed_file"] is False  # a guess is never recorded as fact
    human = _baocao(app, "status")
    assert "Chưa nộp – tệp lỗi" in human.stdout, human.stdout
    assert next(r for r in board(app)["rows"] if r.code == "sotp").failed_file
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    sent = remind(app, manual=True, only={"sotp"})
    assert [s["recipient"] for s in sent["sent"]] == ["sotp"], sent
    reminder = smtp.messages[0].message.get_content()
    assert "không mở được" in reminder and "gửi lại tệp Word" in reminder

    # The readable copy arrives: the agency has submitted.
    from reportdocs import report_docx

    again = root / "sotp" / "bao cao (gui lai).docx"
    again.write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    _age(again, 60)
    _baocao(app, "ingest", "folder")
    done = _baocao(app, "ingest", "folder", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"][0]["recipient"] == "sotp"
    status = {r["id"]: r for r in status_report(app)["recipients"]}
    assert status["sotp"]["state"] == "submitted" and status["sotp"]["failed_file"] is False
