"""Ingest against a real Dovecot (module-scoped) and a real SMTP capture, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.dev.dovecot import DovecotServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def folder() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def mail_app(app, dovecot, smtp, folder):
    """The initialised app, its mailbox a fresh folder of the shared Dovecot."""
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    return app


def eml(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def put(dovecot: DovecotServer, folder: str, name: str | bytes, when: dt.datetime) -> None:
    dovecot.append(eml(name) if isinstance(name, str) else name, folder=folder, date=when)


def snapshot(app) -> dict:
    """The state that matters, independent of ids and timestamps of processing."""
    from storage.models import (
        ContactRow,
        Document,
        InboundMail,
        RecipientRow,
        ReviewItem,
        Submission,
    )

    with app.session() as s:
        code = {r.id: r.code for r in s.scalars(select(RecipientRow))}
        subs = list(s.scalars(select(Submission).order_by(Submission.id)))
        keys = {x.id: x.content_key for x in subs}
        return {
            "mail": sorted((m.uid, m.status, m.classification, m.message_id) for m in s.scalars(select(InboundMail))),
            "subs": sorted(
                (code[x.recipient_id], x.kind, x.status, x.content_key, keys.get(x.superseded_by_id), x.received_at.isoformat())
                for x in subs
            ),
            "docs": sorted((d.filename, d.status, d.sha256) for d in s.scalars(select(Document))),
            "review": sorted((r.reason, r.status) for r in s.scalars(select(ReviewItem))),
            "bouncing": sorted(c.email for c in s.scalars(select(ContactRow).where(ContactRow.bouncing.is_(True)))),
        }


def by_code(status: dict) -> dict[str, dict]:
    return {r["id"]: r for r in status["recipients"]}


FIRST_BATCH = [f.stem for f in sorted(FIXTURES.glob("*.eml")) if not f.stem.startswith(("20_", "21_"))]


def test_full_mailbox_cycle(mail_app, dovecot, smtp, folder):
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.intake.review import assign_item, dismiss_item

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for i, name in enumerate(FIRST_BATCH):
        put(dovecot, folder, name, base + dt.timedelta(hours=i))
    report = ingest_mail(mail_app).to_json()
    assert report["counts"]["total"] == len(FIRST_BATCH) and report["counts"]["failed"] == 0, report["items"]
    assert report["counts"]["review"] == 3
    outcome = {i["message_id"]: i for i in report["items"]}
    assert outcome["<stc-001@quangngai.example>"]["units"][0]["recipient"] == "sotc"
    assert len(outcome["<stc-001@quangngai.example>"]["units"]) == 1  # Word + PDF: one submission
    assert sorted(u["recipient"] for u in outcome["<td-001@quangngai.example>"]["units"]) == ["hccb", "tinhdoan"]
    # The forwarded message's author and the document both name the agency (the Gmail sender does not).
    assert outcome["<fwd-001@gmail.example>"]["units"][0]["attributed_by"] == "document+forward"
    assert outcome["<bchqs-001@quangngai.example>"]["rejected"][0]["file"] == "so lieu.xlsx"

    status = status_report(mail_app)
    states = {k: v["state"] for k, v in by_code(status).items()}
    for code in ("sotp", "soyt", "sotc", "soct", "hlhpn", "sonnmt", "tinhdoan", "hccb", "bchqs", "sogddt", "sodttg"):
        assert states[code] == "submitted", code
    assert states["sonv"] == states["hnd"] == "nil_report"
    assert states["soxd"] == "acknowledged"
    assert states["ldld"] == "not_responded" and by_code(status)["ldld"]["bouncing"] == ["ldld@quangngai.example"]
    assert states["thanhtra"] == "not_responded"
    assert status["counts"]["submitted"] == 11 and len(status["review"]) == 3
    assert states["congan"] == "not_responded"  # unreadable: nothing recorded as fact
    assert by_code(status)["sogddt"]["incomplete"][:1] == ["2.1.a"]  # sections missing, but no table row
    assert not [x for x in by_code(status)["sogddt"]["incomplete"] if x.isdigit()]  # Excel filled the table
    sotp = by_code(status)["sotp"]
    assert sotp["first_response_at"].startswith("2025-07-10T09:00:00+07:00")  # INTERNALDATE, not Date:
    assert sotp["late"] is False

    # Receipts: one per submission/nil message, never to auto-replies, bounces, lists, our own mail.
    receipts = [m.message for m in smtp.messages]
    assert len(receipts) == 13, [m["To"] for m in receipts]
    zipped = next(m for m in receipts if m["To"] == "sodttg@quangngai.example").get_content()
    assert "BC.zip › Phu luc.xlsx" in zipped
    unreadable = next(m for m in receipts if m["To"] == "congan@quangngai.example").get_content()
    assert "không đọc được" in unreadable and "BC.docx" in unreadable and "Ghi nhận cho đơn vị" not in unreadable
    to_sotp = next(m for m in receipts if m["To"] == "sotp@quangngai.example")
    assert to_sotp["In-Reply-To"] == "<stp-001@quangngai.example>" and to_sotp["Auto-Submitted"] == "auto-replied"
    text = to_sotp.get_content()
    assert "Sở Tư pháp" in text and "1.250" in text and "Mục 2.1.a" in text
    sgd = next(m for m in receipts if m["To"] == "sogddt@quangngai.example").get_content()
    assert "Dòng 7" in sgd and "kế hoạch 307, kết quả 300" in sgd  # the Excel table beside the Word text
    assert "Không tìm thấy bảng định lượng" not in sgd
    bad = next(m for m in receipts if m["To"] == "bchqs@quangngai.example").get_content()
    assert "so lieu.xlsx" in bad
    assert not any(m["To"] in ("soyt@quangngai.example",) and "Tự động" in m["Subject"] for m in receipts)

    # Nothing is marked \Seen; every handled message carries our keyword.
    conn = dovecot.client()
    conn.select(folder)
    flags = conn.uid("FETCH", "1:*", "(FLAGS)")[1]
    conn.logout()
    assert all(b"\\Seen" not in f and b"BaocaoProcessed" in f for f in flags)

    # A second run changes nothing and sends nothing.
    before = snapshot(mail_app)
    again = ingest_mail(mail_app).to_json()
    assert again["counts"]["total"] == 0 and snapshot(mail_app) == before and len(smtp.messages) == 13
    from storage.models import Event

    with mail_app.session() as s:
        runs = list(s.scalars(select(Event).where(Event.kind == "ingest_mail")))
        assert len(runs) == 1 and runs[0].data["total"] == len(FIRST_BATCH)  # quiet polls leave no trace

    # Later: a corrected version supersedes, the same bytes re-sent and the same message
    # delivered twice are duplicates, and a late first answer is late.
    later = dt.datetime(2025, 7, 20, 9, 0, tzinfo=VN)
    put(dovecot, folder, "20_sotp_version2", later)
    put(dovecot, folder, "21_sotp_resend_same_bytes", later + dt.timedelta(hours=1))
    put(dovecot, folder, "01_report_rfc2231", later + dt.timedelta(hours=2))
    from email.message import EmailMessage

    from reportdocs import report_docx

    late = EmailMessage()
    late["From"], late["To"], late["Subject"] = "thanhtra@quangngai.example", "tdc@x.example", "Báo cáo Đề án 996"
    late["Message-ID"] = "<tt-001@quangngai.example>"
    late.set_content("Gửi báo cáo.")
    late.add_attachment(report_docx("THANH TRA TỈNH", "8/BC-TTr"), maintype="application", subtype="octet-stream", filename="BC.docx")
    put(dovecot, folder, late.as_bytes(), dt.datetime(2025, 8, 20, 9, 0, tzinfo=VN))
    third = ingest_mail(mail_app).to_json()
    statuses = [i["status"] for i in third["items"]]
    assert statuses == ["processed", "duplicate", "duplicate", "processed"], third["items"]
    status = by_code(status_report(mail_app))
    assert status["thanhtra"]["late"] is True and status["sotp"]["late"] is False
    with mail_app.session() as s:
        from storage.models import RecipientRow, Submission

        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == "sotp")).one()
        subs = list(s.scalars(select(Submission).where(Submission.recipient_id == rid).order_by(Submission.received_at)))
        assert [x.status for x in subs] == ["superseded", "valid"]
        assert subs[0].superseded_by_id == subs[1].id
        assert {iv.row_id: iv.plan for iv in subs[1].indicators}["1"] == 1500

    # Review: the disagreeing message goes to Sở Y tế, the weak promise to Hội Nông dân.
    review = status_report(mail_app)["review"]
    items = {r["reason"]: r["item"] for r in review}
    disagree = next(i for r, i in items.items() if "nhiều đơn vị" in r)
    weak = next(i for r, i in items.items() if "yếu" in r)
    unread = next(i for r, i in items.items() if "không đọc được" in r)
    dismiss_item(mail_app, unread, "đã gọi điện đề nghị gửi lại")
    assign_item(mail_app, disagree, "soyt")
    assign_item(mail_app, weak, "hnd")
    after = status_report(mail_app)
    assert after["review"] == []
    told = smtp.messages[-1].message  # the settled report's sender gets its receipt now
    assert told["In-Reply-To"] == "<stp-wrong@quangngai.example>" and "Sở Y tế" in told.get_content()
    assert by_code(after)["hnd"]["state"] == "nil_report"  # the promise does not undo the nil report
    with mail_app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == "soyt")).one()
        subs = list(s.scalars(select(Submission).where(Submission.recipient_id == rid).order_by(Submission.received_at)))
        assert [x.status for x in subs] == ["superseded", "valid"]  # the reviewed report is newer
    with pytest.raises(Exception, match="đã được xử lý"):
        assign_item(mail_app, disagree, "soyt")


def test_incremental_polling_and_uidvalidity_resync(mail_app, dovecot, folder):
    from flows.intake.mail import ingest_mail
    from storage.models import MailboxState

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    put(dovecot, folder, "01_report_rfc2231", base)
    put(dovecot, folder, "07_ack_html_only", base)
    assert ingest_mail(mail_app).to_json()["counts"]["new"] == 2
    put(dovecot, folder, "06_nil_docx", base)
    third = ingest_mail(mail_app).to_json()
    assert [i["uid"] for i in third["items"]] == [3]
    with mail_app.session() as s:
        state = s.scalars(select(MailboxState)).one()
        assert state.last_uid == 3
        old_validity = state.uidvalidity
    before = snapshot(mail_app)

    dovecot.recreate_folder(folder)  # server restored: new UIDVALIDITY, keywords lost
    resync = ingest_mail(mail_app).to_json()
    assert resync["counts"]["total"] == 3 and resync["counts"]["duplicate"] == 3
    assert any("UIDVALIDITY" in e for e in resync["errors"])
    after = snapshot(mail_app)
    assert after["subs"] == before["subs"] and after["docs"] == before["docs"]
    with mail_app.session() as s:
        states = list(s.scalars(select(MailboxState).order_by(MailboxState.id)))
        # Poll state is keyed by (folder, UIDVALIDITY): the old one stays, a new one starts.
        assert [x.uidvalidity for x in states][0] == old_validity and states[1].uidvalidity != old_validity
        assert [x.last_uid for x in states] == [3, 3]
    assert ingest_mail(mail_app).to_json()["counts"]["total"] == 0


class Killed(BaseException):
    """A simulated crash (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("point", ["after_store", "before_ack"])
def test_kill_and_rerun(mail_app, dovecot, folder, point, monkeypatch):
    from flows.intake import context
    from flows.intake import mail as ingest

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for name in ("01_report_rfc2231", "04_letter_plus_report", "18_two_agencies"):
        put(dovecot, folder, name, base)

    def crash() -> None:
        raise Killed(point)

    monkeypatch.setitem(context.HOOKS, point, crash)
    with pytest.raises(Killed):
        ingest.ingest_mail(mail_app, receipts=False)
    monkeypatch.delitem(context.HOOKS, point)
    crashed = snapshot(mail_app)
    if point == "after_store":
        assert crashed["mail"] == [] and crashed["subs"] == []  # rolled back, nothing half-done
    else:
        assert len(crashed["subs"]) == 4  # committed, not yet acknowledged
    ingest.ingest_mail(mail_app, receipts=False)
    rerun = snapshot(mail_app)
    assert len(rerun["mail"]) == 3 and len(rerun["subs"]) == 4
    assert all(s[2] == "valid" for s in rerun["subs"])
    if point == "before_ack":
        assert rerun == crashed
    conn = dovecot.client()
    conn.select(folder)
    flags = conn.uid("FETCH", "1:*", "(FLAGS)")[1]
    conn.logout()
    assert len(flags) == 3 and all(b"BaocaoProcessed" in f for f in flags)
    ingest.ingest_mail(mail_app, receipts=False)
    assert snapshot(mail_app) == rerun


def test_one_failure_does_not_stop_the_batch(mail_app, dovecot, folder, monkeypatch):
    from flows.intake import mail as ingest

    real = ingest.classify

    def flaky(mail, *args, **kwargs):
        if "Tư pháp" in mail.subject:
            raise RuntimeError("hỏng giả lập")
        return real(mail, *args, **kwargs)

    monkeypatch.setattr(ingest, "classify", flaky)
    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    put(dovecot, folder, "01_report_rfc2231", base)
    put(dovecot, folder, "06_nil_docx", base)
    report = ingest.ingest_mail(mail_app, receipts=False).to_json()
    assert [i["status"] for i in report["items"]] == ["failed", "processed"]
    assert "hỏng giả lập" in report["items"][0]["error"]
    snap = snapshot(mail_app)
    assert [m[1] for m in snap["mail"]] == ["failed", "processed"]


def test_move_acknowledgement_keeps_other_messages(mail_app, dovecot, folder):
    from flows.intake.mail import ingest_mail

    mail_app.settings.imap = dovecot.settings(folder=folder, ack="move", ack_folder=f"Baocao/{folder}")
    dovecot.append(b"From: x@y.example\r\nSubject: cu\r\nMessage-ID: <old@y>\r\n\r\nthu cu da xoa\r\n", folder=folder, flags=("\\Deleted",))
    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    conn = dovecot.client()
    conn.select(folder)
    conn.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
    conn.uid("STORE", "2", "-FLAGS", "(\\Deleted)")
    conn.logout()
    report = ingest_mail(mail_app, receipts=False).to_json()
    assert report["counts"]["total"] == 2
    conn = dovecot.client()
    typ, _ = conn.select(f"Baocao.{folder}")
    moved = conn.uid("SEARCH", None, "ALL")[1][0].split()
    conn.select(folder)
    left = conn.uid("SEARCH", None, "ALL")[1][0].split()
    conn.logout()
    assert typ == "OK" and len(moved) == 2 and left == []  # moved (MOVE), never expunged or deleted


def test_cli_ingest_review_assign_status(mail_app, dovecot, folder, tmp_path):
    import json
    import os
    import subprocess

    put(dovecot, folder, "16_disagree_review", dt.datetime(2025, 7, 16, 9, 0, tzinfo=VN))
    put(dovecot, folder, "05_nil_body_cp1258", dt.datetime(2025, 7, 16, 10, 0, tzinfo=VN))
    s = mail_app.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(
        BAOCAO_DATABASE_URL=s.effective_database_url,
        BAOCAO_DATA_DIR=str(s.data_dir),
        BAOCAO_IMAP__HOST=dovecot.host,
        BAOCAO_IMAP__PORT=str(dovecot.port),
        BAOCAO_IMAP__USER=dovecot.user,
        BAOCAO_IMAP__PASSWORD=dovecot.password,
        BAOCAO_IMAP__SECURITY="none",
        BAOCAO_IMAP__FOLDER=folder,
        BAOCAO_ACTOR="Trần Văn An",
    )
    baocao = str(Path(sys.executable).parent / "baocao")
    root = Path(__file__).resolve().parents[2]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([baocao, *args], capture_output=True, text=True, env=env, cwd=root, timeout=1800)

    out = run("ingest", "mail", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["counts"]["review"] == 1 and data["counts"]["new"] == 1
    assert dovecot.password not in out.stdout + out.stderr
    review = json.loads(run("review", "--json").stdout)
    assert len(review) == 1 and {c["code"] for c in review[0]["candidates"]} == {"sotp", "soyt"}
    human = run("review")
    assert "Mục chờ xem xét" in human.stdout
    wrong = run("assign", str(review[0]["item"]), "khongco")
    assert wrong.returncode == 2 and "không có đơn vị" in wrong.stderr
    ok = run("assign", str(review[0]["item"]), "soyt")
    assert ok.returncode == 0 and "Sở Y tế" in ok.stdout
    status = json.loads(run("status", "--json").stdout)
    assert by_code(status)["soyt"]["state"] == "submitted" and by_code(status)["sonv"]["state"] == "nil_report"
    assert status["review"] == []
    again = json.loads(run("ingest", "mail", "--json").stdout)
    assert again["counts"]["total"] == 0
    env["BAOCAO_IMAP__PORT"] = "1"
    down = run("ingest", "mail")
    assert down.returncode == 2 and "hộp thư" in down.stderr and dovecot.password not in down.stderr


def test_receipts_off_per_campaign_and_never_twice(mail_app, dovecot, smtp, folder):
    from config.campaign import Receipts
    from flows.intake.mail import ingest_mail
    from flows.outbound.receipts import send_receipts
    from storage.models import InboundMail

    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    put(dovecot, folder, "08_auto_reply", dt.datetime(2025, 7, 10, 10, 0, tzinfo=VN))
    campaign = mail_app.campaign()
    mail_app.__dict__["campaigns"] = [campaign.model_copy(update={"receipts": Receipts(enabled=False)})]
    report = ingest_mail(mail_app).to_json()
    assert report["counts"]["new"] == 1 and report["receipts"] is None and smtp.messages == []
    mail_app.__dict__["campaigns"] = [campaign]
    with mail_app.session() as s:
        ids = [m.id for m in s.scalars(select(InboundMail).order_by(InboundMail.uid))]
    first = send_receipts(mail_app, campaign, ids)  # the auto-reply gets none
    assert [x["to"] for x in first["sent"]] == [["hnd@quangngai.example"]]
    again = send_receipts(mail_app, campaign, ids)
    assert again["sent"] == [] and len(smtp.messages) == 1  # at most one per message


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_modes(security):
    from flows.adapters.imap import ImapSource, MailboxError

    with DovecotServer(tls=True) as server:
        server.append(eml("06_nil_docx"))
        port = server.ssl_port if security == "ssl" else server.port
        with ImapSource(server.settings(security=security, port=port, verify_tls=False)) as source:
            uids = source.new_uids(0)
            assert [m.uid for m in source.fetch(uids)] == [1]
        with pytest.raises(MailboxError, match="không kết nối được"):  # self-signed: refused when verifying
            ImapSource(server.settings(security=security, port=port, verify_tls=True)).open()
        with pytest.raises(MailboxError, match="bị từ chối"):
            ImapSource(server.settings(security=security, port=port, verify_tls=False, password="sai")).open()


def test_first_poll_skips_mail_long_before_the_request(mail_app, dovecot, folder):
    from flows.intake.mail import ingest_mail
    from storage.models import MailboxState

    put(dovecot, folder, "06_nil_docx", dt.datetime(2024, 3, 1, 9, 0, tzinfo=VN))  # an earlier round
    put(dovecot, folder, "01_report_rfc2231", dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN))
    report = ingest_mail(mail_app, receipts=False).to_json()
    assert [i["uid"] for i in report["items"]] == [2]
    with mail_app.session() as s:
        assert s.scalars(select(MailboxState)).one().last_uid == 2
    put(dovecot, folder, "07_ack_html_only", dt.datetime(2024, 3, 2, 9, 0, tzinfo=VN))  # late delivery, old date
    assert [i["uid"] for i in ingest_mail(mail_app, receipts=False).to_json()["items"]] == [3]  # later polls take all


def test_failed_receipt_is_retried_at_the_next_run(mail_app, dovecot, smtp, folder):
    from flows.dev.net import refused_port
    from flows.intake.mail import ingest_mail

    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    down = smtp.settings()
    with refused_port() as port:  # nobody listens there
        mail_app.settings.smtp = down.model_copy(update={"port": port})
        first = ingest_mail(mail_app).to_json()
    assert first["counts"]["new"] == 1 and first["receipts"]["failed"] and smtp.messages == []
    mail_app.settings.smtp = smtp.settings()
    second = ingest_mail(mail_app).to_json()
    assert second["counts"]["total"] == 0 and len(smtp.messages) == 1
    assert smtp.messages[0].message["To"] == "hnd@quangngai.example"
    assert ingest_mail(mail_app).to_json()["receipts"] is None and len(smtp.messages) == 1


def test_refused_acknowledgement_is_not_fatal(mail_app, dovecot, folder, monkeypatch):
    from imap_tools.errors import MailboxFlagError

    from flows.adapters.imap import ImapSource
    from flows.intake.mail import ingest_mail

    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))

    def refuse(self, uids):
        raise MailboxFlagError(command_result=("NO", [b"read-only"]), expected="OK")

    monkeypatch.setattr(ImapSource, "mark_done", refuse)
    first = ingest_mail(mail_app, receipts=False).to_json()
    assert first["counts"]["new"] == 1 and any("sẽ thử lại" in e for e in first["errors"])
    monkeypatch.undo()
    second = ingest_mail(mail_app, receipts=False).to_json()
    assert second["counts"]["total"] == 0 and second["errors"] == []
    conn = dovecot.client()
    conn.select(folder)
    assert b"BaocaoProcessed" in conn.uid("FETCH", "1", "(FLAGS)")[1][0]
    conn.logout()


def test_attachment_over_the_size_cap_is_kept_and_rejected(mail_app, dovecot, folder):
    """BAOCAO_MAX_FILE_BYTES reaches the parsers: the file is stored, refused, and says why."""
    from flows.intake.mail import ingest_mail
    from storage.models import Document

    mail_app.settings.max_file_bytes = 1000  # every real .docx is larger
    put(dovecot, folder, "01_report_rfc2231", dt.datetime(2025, 8, 10, 9, 0, tzinfo=VN))
    ingest_mail(mail_app, receipts=False)
    with mail_app.session() as s:
        docs = list(s.scalars(select(Document)))
    word = [d for d in docs if d.filename.endswith(".docx")]
    assert word and all(d.error_code == "too_large" and d.status == "rejected" for d in word)
    assert all(mail_app.blobs.read(d.sha256) for d in docs)  # kept for review
