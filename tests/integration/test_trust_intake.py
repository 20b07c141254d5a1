"""Trustworthy intake (issue 11) end to end: an unreadable dropped file is not a promise
(req. 8), an appendix sent later joins its report (req. 7), a draft is flagged (req. 7), and a
later nil report never silently replaces a report (req. 5). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tests.integration.test_trust import message

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


# --- through a real Dovecot ---------------------------------------------------------------

VN = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2025, 8, 2, 9, 0, tzinfo=VN)


def appendix_xlsx(agency_upper: str, number: str, date: str, plan: int = 300) -> bytes:
    """A spreadsheet appendix: "PHỤ LỤC (Kèm theo Báo cáo số … ngày …)" and the whole table."""
    import openpyxl
    from reportdocs import ROWS, fixed_zip

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Phu luc"
    ws.append([agency_upper])
    ws.append(["PHỤ LỤC"])
    ws.append([f"(Kèm theo Báo cáo số {number} ngày {date} của {agency_upper.title()})"])
    ws.append(["Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025"])
    ws.append(["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"])
    for rid, label in ROWS:
        ws.append([int(rid), label, plan + int(rid), plan, None])
    buf = io.BytesIO()
    wb.save(buf)
    return fixed_zip(buf.getvalue())


def _current(app, code: str):
    from storage.models import RecipientRow
    from storage.submissions import current_answer

    with app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == code)).one()
        return current_answer(app.campaign().id, rid, session=s)


def _rows(app, submission_id: int) -> dict[str, tuple]:
    from storage.models import IndicatorValue

    with app.session() as s:
        return {r.row_id: (r.plan, r.result) for r in s.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == submission_id))}


def test_an_appendix_sent_later_joins_its_report_in_either_order(mail_app, dovecot, smtp):
    from reportdocs import report_docx

    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from storage.models import ReviewItem, Submission

    folder = mail_app.settings.imap.folder
    put = lambda raw, days: dovecot.append(raw, folder=folder, date=T0 + dt.timedelta(days=days))  # noqa: E731
    # Report first (rows 1 and 4 of its table filled), its appendix with the whole table later.
    put(message("sotp@quangngai.example", "Báo cáo Đề án 996", "<stp-1@quangngai.example>", "Gửi báo cáo.",
                [("BC.docx", report_docx("SỞ TƯ PHÁP", "15/BC-STP"))]), 0)
    ingest_mail(mail_app)
    report = _current(mail_app, "sotp")
    assert report.doc_number == "15/BC-STP" and report.missing_rows == ["2", "3", "5", "6", "7"]
    appendix = appendix_xlsx("SỞ TƯ PHÁP", "15/BC-STP", "10/6/2025")
    put(message("sotp@quangngai.example", "Gửi bổ sung phụ lục", "<stp-2@quangngai.example>", "Gửi phụ lục.",
                [("Phu luc.xlsx", appendix)]), 1)
    # The agency's appendix also names a report it never sent, and the report of Sở Y tế
    # comes after its appendix.
    put(message("sotp@quangngai.example", "Phụ lục", "<stp-3@quangngai.example>", "Gửi phụ lục.",
                [("PL 99.xlsx", appendix_xlsx("SỞ TƯ PHÁP", "99/BC-STP", "1/7/2025", plan=900))]), 2)
    put(message("soyt@quangngai.example", "Phụ lục báo cáo Đề án 996", "<syt-1@quangngai.example>", "Gửi trước phụ lục.",
                [("Bieu.xlsx", appendix_xlsx("SỞ Y TẾ", "20/BC-SYT", "10/6/2025", plan=500))]), 1)
    out = {i["message_id"]: i for i in ingest_mail(mail_app).to_json()["items"]}
    joined = out["<stp-2@quangngai.example>"]
    assert joined["status"] == "processed" and joined["units"][0]["joined"] == report.id, joined
    now = _current(mail_app, "sotp")
    assert now.id != report.id and now.doc_number == "15/BC-STP" and now.missing_rows == []
    rows = _rows(mail_app, now.id)
    assert rows["1"] == (1250, 1000) and rows["4"] == (20, 25)  # the report's own figures stay
    assert rows["2"] == (302, 300) and rows["7"] == (307, 300)  # the appendix fills the rest
    with mail_app.session() as s:
        assert s.get(Submission, report.id).status == "superseded"
        assert s.scalar(select(ReviewItem).where(ReviewItem.kind == "replace")) is None  # not a replacement
        never = s.scalars(select(ReviewItem).where(ReviewItem.inbound_mail_id == out["<stp-3@quangngai.example>"]["inbound_mail_id"])).one()
        assert never.kind == "appendix" and never.status == "open" and "99/BC-STP" in never.reason
        assert "đơn vị chưa gửi báo cáo này (báo cáo hiện có: số 15/BC-STP)" in never.reason
        assert never.candidates[0]["code"] == "sotp"
        waiting = s.scalars(select(ReviewItem).where(ReviewItem.inbound_mail_id == out["<syt-1@quangngai.example>"]["inbound_mail_id"])).one()
        assert waiting.kind == "appendix" and waiting.status == "open"
    assert _current(mail_app, "sotp").id == now.id  # the stray appendix changed nothing
    assert _current(mail_app, "soyt") is None
    status = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert status["soyt"]["state"] == "not_responded" and status["soyt"]["pending_review"] == 1
    receipt = next(m.message for m in smtp.messages if m.message["Message-ID"] and "stp-2" in str(m.message["In-Reply-To"])).get_content()
    assert "Phụ lục kèm theo Báo cáo số 15/BC-STP" in receipt and "còn thiếu số liệu" not in receipt

    # The same appendix again: nothing changes. Sở Y tế's report arrives: its appendix joins it.
    put(message("sotp@quangngai.example", "Gửi lại phụ lục", "<stp-4@quangngai.example>", "Gửi lại.",
                [("Phu luc (1).xlsx", appendix)]), 3)
    put(message("soyt@quangngai.example", "Báo cáo Đề án 996", "<syt-2@quangngai.example>", "Gửi báo cáo.",
                [("BC SYT.docx", report_docx("SỞ Y TẾ", "20/BC-SYT"))]), 3)
    out = {i["message_id"]: i for i in ingest_mail(mail_app).to_json()["items"]}
    assert out["<stp-4@quangngai.example>"]["units"][0]["status"] == "duplicate"
    assert _current(mail_app, "sotp").id == now.id
    syt = _current(mail_app, "soyt")
    assert syt is not None and syt.doc_number == "20/BC-SYT" and syt.missing_rows == []
    assert _rows(mail_app, syt.id)["2"] == (502, 500) and _rows(mail_app, syt.id)["1"] == (1250, 1000)
    with mail_app.session() as s:
        item = s.get(ReviewItem, waiting.id)
        assert item.status == "resolved" and item.resolved_by == "system" and "đã ghép" in item.plan["closed"]
    assert {r["id"]: r for r in status_report(mail_app)["recipients"]}["soyt"]["state"] == "submitted"


def draft_docx() -> bytes:
    """The agency's report before the văn thư filled in its number and date."""
    import docx
    from reportdocs import report_docx

    doc = docx.Document(io.BytesIO(report_docx("SỞ TƯ PHÁP", "15/BC-STP")))
    for para in doc.paragraphs[:4]:
        if para.text.startswith("Số:"):
            para.runs[0].text = "Số:        /BC-STP"
        elif para.text.startswith("Quảng Ngãi"):
            para.runs[0].text = "Quảng Ngãi, ngày      tháng      năm 2025"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_draft_as_the_only_document_is_flagged_in_status_board_and_receipt(mail_app, dovecot, smtp):
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.runs.dashboard import status_rows
    from flows.web.workspace import board

    dovecot.append(message("sotp@quangngai.example", "Báo cáo Đề án 996", "<stp-draft@quangngai.example>", "Gửi dự thảo báo cáo.",
                           [("Du thao BC.docx", draft_docx())]), folder=mail_app.settings.imap.folder, date=T0)
    item = ingest_mail(mail_app).to_json()["items"][0]
    assert item["status"] == "processed", item
    sub = _current(mail_app, "sotp")
    assert sub is not None and sub.draft is True and sub.doc_number is None and sub.doc_date is None
    assert any(p["code"] == "draft" for p in sub.problems)
    status = status_report(mail_app)
    sotp = {r["id"]: r for r in status["recipients"]}["sotp"]
    assert sotp["state"] == "submitted" and sotp["draft"] is True
    assert {r["id"]: r for r in status["recipients"]}["soyt"]["draft"] is False
    assert next(r for r in board(mail_app)["rows"] if r.code == "sotp").draft
    assert next(r for r in status_rows(status) if r["Mã"] == "sotp")["Tình trạng"].endswith("· bản dự thảo")
    receipt = next(m.message for m in smtp.messages if m.message["To"] == "sotp@quangngai.example").get_content()
    assert "được ghi nhận là bản dự thảo" in receipt and "gửi bản chính thức" in receipt
    assert receipt.count("dự thảo") == 1  # said once, not again among the problems


def test_an_appendix_dropped_before_its_report_joins_it(app, tmp_path):
    from reportdocs import report_docx

    from flows.intake.folder import ingest_folder
    from storage.models import ReviewItem

    root = tmp_path / "chung"
    (root / "sotp").mkdir(parents=True)
    app.settings.drop.dir = root
    (root / "sotp" / "phu luc.xlsx").write_bytes(appendix_xlsx("SỞ TƯ PHÁP", "15/BC-STP", "10/6/2025"))
    _age(root / "sotp" / "phu luc.xlsx")
    ingest_folder(app)
    (item,) = ingest_folder(app).to_json()["items"]
    assert item["status"] == "review" and item["appendix"] is True, item
    assert _current(app, "sotp") is None
    (root / "sotp" / "bao cao.docx").write_bytes(report_docx("SỞ TƯ PHÁP", "15/BC-STP"))
    _age(root / "sotp" / "bao cao.docx", 60)
    ingest_folder(app)
    (item,) = ingest_folder(app).to_json()["items"]
    assert item["status"] == "processed" and item["recipient"] == "sotp", item
    sub = _current(app, "sotp")
    assert sub.doc_number == "15/BC-STP" and sub.missing_rows == [] and len(sub.parts) == 2
    assert _rows(app, sub.id)["3"] == (303, 300)
    with app.session() as s:
        assert s.scalars(select(ReviewItem.status)).one() == "resolved"


def test_an_appendix_of_another_report_beside_a_report_is_not_dropped(mail_app, dovecot):
    from reportdocs import report_docx

    from flows.intake.mail import ingest_mail
    from storage.models import ReviewItem

    dovecot.append(message("sotp@quangngai.example", "Báo cáo Đề án 996", "<stp-two@quangngai.example>", "Gửi báo cáo và phụ lục.",
                           [("BC.docx", report_docx("SỞ TƯ PHÁP", "22/BC-STP")),
                            ("PL cu.xlsx", appendix_xlsx("SỞ TƯ PHÁP", "15/BC-STP", "10/6/2025"))]),
                   folder=mail_app.settings.imap.folder, date=T0)
    item = ingest_mail(mail_app).to_json()["items"][0]
    assert [u["status"] for u in item["units"]] == ["processed", "review"], item
    sub = _current(mail_app, "sotp")
    assert sub.doc_number == "22/BC-STP" and sub.missing_rows == ["2", "3", "5", "6", "7"]  # not filled from another report's appendix
    with mail_app.session() as s:
        held = s.scalars(select(ReviewItem)).one()
        assert held.kind == "appendix" and "15/BC-STP" in held.reason and "báo cáo hiện có: số 22/BC-STP" in held.reason
