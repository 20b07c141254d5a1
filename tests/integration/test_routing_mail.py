"""Two campaigns open at once on one real Dovecot mailbox (and a real SMTP capture), on SQLite
and PostgreSQL: interleaved replies, a reply quoting the wrong request, an agency answering both
in one message, a message in doubt settled by a person, a reply token, one poll state."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES / "mail"))
VN = dt.timezone(dt.timedelta(hours=7))
A, B = "de-an-996", "kiem-tra-do-luong-2025"
OURS = "tdc@skhcn.quangngai.example"


def inspection_docx(agency_upper: str, number: str) -> bytes:
    """A report following the second campaign's outline (kiểm tra nhà nước về đo lường)."""
    from docx import Document

    doc = Document()
    doc.add_paragraph("UBND TỈNH QUẢNG NGÃI")
    doc.add_paragraph(agency_upper)
    doc.add_paragraph(f"Số: {number}")
    doc.add_paragraph("Quảng Ngãi, ngày 5 tháng 8 năm 2025")
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Kết quả kiểm tra nhà nước về đo lường năm 2025")
    sections = [
        ("1. Kết quả kiểm tra", None),
        ("a) Kết quả kiểm tra phương tiện đo nhóm 2 tại các cơ sở kinh doanh xăng dầu", "Đã kiểm tra 38 cửa hàng xăng dầu."),
        ("b) Kết quả kiểm tra định lượng hàng đóng gói sẵn lưu thông trên thị trường", "Đã kiểm tra 12 cơ sở đóng gói."),
        ("c) Kết quả kiểm tra cân thương mại tại các chợ", "Đã kiểm tra cân đối chứng tại 7 chợ."),
        ("2. Đánh giá và kiến nghị", None),
        ("a) Những tồn tại, vi phạm phát hiện qua kiểm tra và việc xử lý", "Xử lý 2 vi phạm."),
        ("b) Kiến nghị, đề xuất về công tác kiểm tra năm 2026", "Đề nghị tăng cường kiểm tra."),
    ]
    for heading, text in sections:
        doc.add_paragraph(heading).runs[0].bold = True
        if text:
            doc.add_paragraph(text)
    doc.add_paragraph("Số liệu kiểm tra nhà nước về đo lường năm 2025").runs[0].bold = True
    grid = doc.add_table(rows=1, cols=5)
    for cell, text in zip(grid.rows[0].cells, ["TT", "Nội dung", "Số cơ sở theo kế hoạch", "Số cơ sở đã kiểm tra", "Tỷ lệ"], strict=True):
        cell.text = text
    for rid, label, plan, result in [
        ("1", "Cơ sở kinh doanh xăng dầu được kiểm tra", "40", "38"),
        ("2", "Cơ sở sản xuất hàng đóng gói sẵn được kiểm tra", "12", "12"),
        ("3", "Chợ có cân đối chứng được kiểm tra", "9", "7"),
    ]:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text, cells[2].text, cells[3].text = rid, label, plan, result
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The project's config plus a second campaign whose recipients overlap Đề án 996's."""
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in ("kiem-tra-do-luong-2025.yaml", "kiem-tra-do-luong-2025.csv"):
        shutil.copy(FIXTURES / "campaigns" / name, target / "campaigns" / name)
    return target


@pytest.fixture
def two_campaigns(settings_factory, db_url, config_dir, dovecot, smtp):
    from flows.app import App, init

    folder = f"R{uuid.uuid4().hex[:10]}"
    app = App(settings_factory(database_url=db_url, config_dir=config_dir))
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings(sender=OURS)
    app.settings.smtp.reply_tokens = True
    init(app)
    smtp.messages.clear()
    yield app, folder
    app.engine.dispose()


def reply(sender: str, subject: str, body: str, mid: str, *, to: str = OURS, answers: EmailMessage | None = None,
          files: tuple[tuple[str, bytes], ...] = (), delivered_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, subject, mid
    msg["Date"] = "Tue, 05 Aug 2025 09:00:00 +0700"
    if delivered_to:
        msg["Delivered-To"] = delivered_to
    if answers is not None:
        msg["In-Reply-To"] = answers["Message-ID"]
        msg["References"] = answers["Message-ID"]
        body += "\n\n> " + "\n> ".join(answers.get_body(("plain",)).get_content().splitlines()[:5])
    msg.set_content(body)
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def test_two_campaigns_one_mailbox(two_campaigns, dovecot, smtp):
    from reportdocs import report_docx

    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.intake.review import assign_item
    from flows.outbound.requests import send_request
    from storage.models import (
        InboundMail,
        MailboxState,
        OutboundMail,
        RecipientRow,
        ReviewItem,
        SourceHealth,
        Submission,
    )

    app, folder = two_campaigns
    send_request(app, A)
    send_request(app, B)
    sent = {(m.message["X-Baocao-Campaign"], m.message["To"]): m.message for m in smtp.messages}
    request_a_soyt = sent[(A, "soyt@quangngai.example")]
    request_b_sotp = sent[(B, "sotp@quangngai.example")]
    # Reply tokens on: every request carries its own reply address.
    assert request_b_sotp["Reply-To"] == f"tdc+{B}.sotp@skhcn.quangngai.example"
    assert sent[(A, "sotp@quangngai.example")]["Reply-To"] == f"tdc+{A}.sotp@skhcn.quangngai.example"
    smtp.messages.clear()

    report_a = lambda who, no: ("Bao cao 996.docx", report_docx(who, no))  # noqa: E731
    report_b = lambda who, no: ("Bao cao kiem tra.docx", inspection_docx(who, no))  # noqa: E731
    mails = [
        # Sở Tư pháp answers each request in its own thread.
        reply("sotp@quangngai.example", "Re: " + str(sent[(A, "sotp@quangngai.example")]["Subject"]), "Kính gửi Sở, gửi báo cáo.",
              "<a-sotp@qn.example>", answers=sent[(A, "sotp@quangngai.example")], files=(report_a("SỞ TƯ PHÁP", "15/BC-STP"),)),
        reply("sotp@quangngai.example", "Re: " + str(request_b_sotp["Subject"]), "Gửi báo cáo kiểm tra.",
              "<b-sotp@qn.example>", answers=request_b_sotp, files=(report_b("SỞ TƯ PHÁP", "16/BC-STP"),)),
        # Sở Y tế replies to the 996 request, but the file is its inspection report.
        reply("soyt@quangngai.example", "Re: " + str(request_a_soyt["Subject"]), "Sở Y tế gửi báo cáo.",
              "<wrong-soyt@qn.example>", answers=request_a_soyt, files=(report_b("SỞ Y TẾ", "30/BC-SYT"),)),
        # Sở Công Thương answers both requests in one fresh message.
        reply("soct@quangngai.example", "Gửi các báo cáo theo yêu cầu", "Sở Công Thương gửi hai báo cáo.", "<both-soct@qn.example>",
              files=(report_a("SỞ CÔNG THƯƠNG", "40/BC-SCT"), report_b("SỞ CÔNG THƯƠNG", "41/BC-SCT"))),
        # Quản lý thị trường (a recipient of the second campaign only) promises its report.
        reply("qltt@quangngai.example", f"TL: {app.campaign(B).request.subject}", "Đơn vị đã nhận công văn, sẽ gửi sau.", "<ack-qltt@qn.example>"),
        # Sở Y tế (a recipient of both) answers "both letters" with one promise: doubt.
        reply("soyt@quangngai.example", f"Về công văn {app.campaign(A).request.subject} và công văn số 1301/SKHCN-TĐC",
              "Chúng tôi đã nhận, sẽ gửi báo cáo sau.", "<doubt-soyt@qn.example>"),
        # From a personal address, to the reply token of QLTT in the second campaign: exact.
        reply("nguyen.van.a@gmail.example", "bc", "Em gửi báo cáo ạ.", "<token-qltt@gmail.example>",
              to=f"tdc+{B}.qltt@skhcn.quangngai.example", delivered_to=f"tdc+{B}.qltt@skhcn.quangngai.example",
              files=(report_b("ĐƠN VỊ BÁO CÁO", "5/BC"),)),
    ]
    base = dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN)
    for i, raw in enumerate(mails):
        dovecot.append(raw, folder=folder, date=base + dt.timedelta(minutes=10 * i))

    report = ingest_mail(app).to_json()
    assert report["counts"]["total"] == len(mails) and report["counts"]["failed"] == 0, report["items"]
    items = {i["message_id"]: i for i in report["items"]}
    assert items["<wrong-soyt@qn.example>"]["campaigns"] == [B], str(items["<wrong-soyt@qn.example>"])
    assert items["<wrong-soyt@qn.example>"]["status"] == "processed", str(items["<wrong-soyt@qn.example>"])
    assert sorted(items["<both-soct@qn.example>"]["campaigns"]) == [A, B]
    doubt = items["<doubt-soyt@qn.example>"]
    assert doubt["status"] == "review" and sorted(doubt["campaigns"]) == [A, B], str(doubt)
    assert items["<token-qltt@gmail.example>"]["units"][0]["attributed_by"] == "reply_token"

    with app.session() as s:
        code = {r.id: (r.campaign_id, r.code) for r in s.scalars(select(RecipientRow))}
        subs = sorted((*code[x.recipient_id], x.kind) for x in s.scalars(select(Submission)))
        mailbox_states = list(s.scalars(select(MailboxState)))
        wrong = s.scalars(select(InboundMail).where(InboundMail.message_id == "<wrong-soyt@qn.example>")).one()
        evidence = {e["signal"] for e in wrong.details["routing"]["evidence"]}
    assert subs == sorted([
        (A, "sotp", "report"), (A, "soct", "report"),
        (B, "sotp", "report"), (B, "soyt", "report"), (B, "soct", "report"),
        (B, "qltt", "acknowledgement"), (B, "qltt", "report"),
    ])
    assert {"in_reply_to", "outline"} <= evidence  # the thread said 996, the file said otherwise
    assert len(mailbox_states) == 1 and mailbox_states[0].last_uid == len(mails)  # one poll state, no campaign

    # One receipt for the message that answered both, each campaign's request named with what
    # was recorded for it (its own file), under one ledger row.
    [to_soct] = [m.message for m in smtp.messages if m.message["To"] == "soct@quangngai.example"]
    assert to_soct["In-Reply-To"] == "<both-soct@qn.example>"
    assert to_soct["Subject"] == "Đã nhận 2 báo cáo: Gửi các báo cáo theo yêu cầu"
    text = to_soct.get_content()
    part_a, _, part_b = text.partition("\n2. ")
    assert f"theo Công văn số {app.campaign(A).request.number}" in part_a and app.campaign(A).request.subject in part_a
    assert f"theo Công văn số {app.campaign(B).request.number}" in part_b and app.campaign(B).request.subject in part_b
    assert "Bao cao 996.docx" in part_a and "Bao cao kiem tra.docx" not in part_a
    assert "Bao cao kiem tra.docx" in part_b and "Bao cao 996.docx" not in part_b
    assert part_a.count("- Ghi nhận cho đơn vị: Sở Công Thương") == part_b.count("- Ghi nhận cho đơn vị: Sở Công Thương") == 1
    with app.session() as s:
        both_id = s.scalars(select(InboundMail.id).where(InboundMail.message_id == "<both-soct@qn.example>")).one()
        rows = list(s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt", OutboundMail.in_reply_to_mail_id == both_id)))
        assert [(r.slot, r.status) for r in rows] == [(f"mail:{both_id}", "sent")]
        owner = rows[0].campaign_id
    # A second receipt for the message cannot be reserved, under either campaign.
    from sqlalchemy.exc import IntegrityError

    with app.session() as s:
        other = B if owner == A else A
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.campaign_id == other, RecipientRow.code == "soct")).one()
        s.add(OutboundMail(campaign_id=other, recipient_id=rid, kind="receipt", slot=f"mail:{both_id}", to_addrs=[],
                           subject="x", message_id="<second@baocao.invalid>", status="pending", attempts=0))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
    for c in (A, B):  # every later run finds nothing owed
        from flows.outbound.receipts import deliver_pending_receipts, send_receipts

        assert deliver_pending_receipts(app, app.campaign(c)) is None
        again = send_receipts(app, app.campaign(c), [both_id])
        assert again is None or not again["sent"], again
    assert len([m for m in smtp.messages if m.message["To"] == "soct@quangngai.example"]) == 1

    # The message in doubt waits in every campaign's review queue, naming both.
    review_a = status_report(app, A)["review"]
    assert [r["candidates"] for r in review_a if r["source"].startswith("route:")] == [
        [{"campaign": A, "title": app.campaign(A).title, "score": 3}, {"campaign": B, "title": app.campaign(B).title, "score": 3}]
    ]
    item = next(r["item"] for r in review_a if r["source"].startswith("route:"))
    # (B's queue also holds the figure problems of its reports: only one route item, the same)
    assert [r["item"] for r in status_report(app, B)["review"] if r["source"].startswith("route:")] == [item]
    with pytest.raises(Exception, match="chọn chiến dịch"):
        assign_item(app, item, None)
    settled = assign_item(app, item, None, campaign_id=A)
    assert settled["campaign"] == A and settled["units"][0]["recipient"] == "soyt"
    states_a = {r["id"]: r["state"] for r in status_report(app, A)["recipients"]}
    states_b = {r["id"]: r["state"] for r in status_report(app, B)["recipients"]}
    assert states_a["soyt"] == "acknowledged" and states_b["soyt"] == "submitted"
    assert states_a["sotp"] == states_a["soct"] == "submitted" and states_a.get("qltt") is None
    assert states_b["qltt"] == "submitted" and status_report(app, A)["review"] == []
    with app.session() as s:
        assert s.get(ReviewItem, item).campaign_id == A

    # A second poll finds nothing; the mailbox is healthy with nothing waiting.
    assert ingest_mail(app).to_json()["counts"]["total"] == 0
    with app.session() as s:
        health = s.scalars(select(SourceHealth)).one()
        assert (health.kind, health.waiting, health.last_error) == ("mail", 0, None) and health.last_success_at is not None
        assert health.name == f"{app.settings.imap.user}@{app.settings.imap.host}/{folder}"


def test_reply_tokens_are_off_by_default(two_campaigns, dovecot, smtp):
    from flows.intake.mail import ingest_mail
    from flows.outbound.requests import send_request

    app, folder = two_campaigns
    app.settings.smtp.reply_tokens = False
    send_request(app, B)
    assert smtp.messages and all(m.message["Reply-To"] is None for m in smtp.messages)
    token = f"tdc+{B}.qltt@skhcn.quangngai.example"
    raw = reply("nguyen.van.a@gmail.example", "bc", "Em gửi báo cáo ạ.", "<token-off@gmail.example>", to=token,
                delivered_to=token, files=(("bc.docx", inspection_docx("ĐƠN VỊ BÁO CÁO", "5/BC")),))
    dovecot.append(raw, folder=folder, date=dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN))
    [item] = ingest_mail(app, receipts=False).to_json()["items"]
    # Routed by the outline all the same, but nobody vouches for the sender: a person looks.
    assert item["campaigns"] == [B] and item["status"] == "review"
    assert all(u.get("attributed_by") != "reply_token" for u in item["units"])


def test_first_poll_window_starts_at_the_earliest_open_request(two_campaigns, dovecot):
    from flows.intake.inbox import fetch_since, inbox_context
    from flows.intake.mail import ingest_mail

    app, folder = two_campaigns
    app.settings.imap.first_poll_margin_days = 10
    ctx = inbox_context(app)
    assert [c.campaign.id for c in ctx.every] == [A, B]
    assert fetch_since(ctx, 10) == dt.date(2025, 7, 10)  # B's request (20/7) is earlier than A's (1/8)
    for mid, day in (("<old@x.example>", 5), ("<new@x.example>", 15)):
        raw = reply("qltt@quangngai.example", f"TL: {app.campaign(B).request.subject}", "Đã nhận, sẽ gửi sau.", mid)
        dovecot.append(raw, folder=folder, date=dt.datetime(2025, 7, day, 9, 0, tzinfo=VN))
    assert [i["message_id"] for i in ingest_mail(app, receipts=False).to_json()["items"]] == ["<new@x.example>"]
    # A closed campaign takes no mail and no longer widens the window.
    app.campaigns[1] = app.campaign(B).model_copy(update={"active": False})
    closed = inbox_context(app)
    assert [c.campaign.id for c in closed.every] == [A] and fetch_since(closed, 10) == dt.date(2025, 7, 22)


def test_cli_lists_and_settles_a_message_in_doubt(settings_factory, db_url, config_dir, tmp_path):
    import json
    import os
    import subprocess

    from flows.app import App, init
    from flows.intake.inbox import inbox_context
    from flows.intake.mail import handle_mail

    app = App(settings_factory(database_url=db_url, config_dir=config_dir))
    init(app)
    raw = reply("soyt@quangngai.example", f"Về công văn {app.campaign(A).request.subject} và công văn số 1301/SKHCN-TĐC",
                "Chúng tôi đã nhận, sẽ gửi báo cáo sau.", "<doubt-cli@qn.example>")
    with app.session() as session:  # as the poll hands a message over
        out = handle_mail(inbox_context(app), "cli/INBOX", 1, 1, raw, dt.datetime(2025, 8, 5, 2, 0, tzinfo=dt.UTC), session=session)
    assert out["status"] == "review"
    app.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(BAOCAO_DATABASE_URL=db_url, BAOCAO_DATA_DIR=str(app.settings.data_dir), BAOCAO_CONFIG_DIR=str(config_dir),
               BAOCAO_ACTOR="Trần Văn An")
    baocao = str(Path(sys.executable).parent / "baocao")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([baocao, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    listed = run("review", "--campaign", B, "--json")
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)
    assert [c["campaign"] for c in item["candidates"]] == [A, B]
    refused = run("assign", str(item["item"]))
    assert refused.returncode == 2 and "chọn chiến dịch" in refused.stderr
    settled = run("assign", str(item["item"]), "--campaign", B, "--json")
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["units"][0]["recipient"] == "soyt"
    states = json.loads(run("status", "--campaign", B, "--json").stdout)
    assert {r["id"]: r["state"] for r in states["recipients"]}["soyt"] == "acknowledged" and states["review"] == []


def test_a_reply_citing_the_other_request_waits_for_a_person(two_campaigns, dovecot, smtp):
    """Reply pressed on one request, the other request cited in the agency's own words: in
    doubt (a review item naming both campaigns), nothing recorded under the thread's campaign;
    a reply citing its own request (or nothing) is recorded where its thread points."""
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.intake.review import assign_item
    from flows.outbound.reminders import remind
    from flows.outbound.requests import send_request
    from storage.models import InboundMail, RecipientRow, ReviewItem, Submission

    app, folder = two_campaigns
    send_request(app, A)
    send_request(app, B)
    sent = {(m.message["X-Baocao-Campaign"], m.message["To"]): m.message for m in smtp.messages}
    smtp.messages.clear()

    def answer(campaign: str, who: str, body: str, mid: str, *, token: bool = False) -> bytes:
        request = sent[(campaign, f"{who}@quangngai.example")]
        to = str(request["Reply-To"]) if token else OURS  # with or without the reply token
        return reply(f"{who}@quangngai.example", "Re: " + str(request["Subject"]), body, mid, answers=request, to=to)

    b_number = app.campaign(B).request.number
    b_subject = app.campaign(B).request.subject.removeprefix("V/v ")
    mails = {
        # The auditor's case: the 996 request answered, the other's number and subject cited.
        "<nil-other@qn.example>": answer(A, "sotp", f"Sở Tư pháp không phát sinh nội dung báo cáo theo Công văn số {b_number} {b_subject}.",
                                         "<nil-other@qn.example>"),
        # The number without "số", spaced otherwise, through the 996 reply token.
        "<nil-other-token@qn.example>": answer(A, "sonv", "Không phát sinh nội dung báo cáo theo CV 1301 / SKHCN - TĐC ạ.",
                                               "<nil-other-token@qn.example>", token=True),
        # The subject only (no number), the other way round: B's request, 996 cited.
        "<nil-996-in-b@qn.example>": answer(B, "soyt", f"Kính gửi Sở, về việc {app.campaign(A).request.subject.removeprefix('V/v ')}: "
                                            "đơn vị không phát sinh nội dung báo cáo.", "<nil-996-in-b@qn.example>"),
        # Citing its own request: recorded where the thread points, both ways.
        "<nil-own-b@qn.example>": answer(B, "sotp", f"Không phát sinh nội dung báo cáo theo Công văn số {b_number}.", "<nil-own-b@qn.example>"),
        "<nil-own-a@qn.example>": answer(A, "soyt", "Sở Y tế không phát sinh nội dung báo cáo sơ kết Đề án 996.", "<nil-own-a@qn.example>"),
    }
    base = dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN)
    for i, raw in enumerate(mails.values()):
        dovecot.append(raw, folder=folder, date=base + dt.timedelta(minutes=10 * i))

    report = ingest_mail(app).to_json()
    assert report["counts"]["total"] == len(mails) and report["counts"]["failed"] == 0, report["items"]
    items = {i["message_id"]: i for i in report["items"]}
    for mid in ("<nil-other@qn.example>", "<nil-other-token@qn.example>", "<nil-996-in-b@qn.example>"):
        assert items[mid]["status"] == "review" and sorted(items[mid]["campaigns"]) == [A, B], str(items[mid])
    for mid, campaign in (("<nil-own-b@qn.example>", B), ("<nil-own-a@qn.example>", A)):
        assert items[mid]["status"] == "processed" and items[mid]["campaigns"] == [campaign], str(items[mid])

    with app.session() as s:
        code = {r.id: (r.campaign_id, r.code) for r in s.scalars(select(RecipientRow))}
        subs = sorted((*code[x.recipient_id], x.kind) for x in s.scalars(select(Submission)))
        routed = s.scalars(select(InboundMail).where(InboundMail.message_id == "<nil-other@qn.example>")).one()
        assert routed.details["routing"]["contradicted"] == A and routed.details["routing"]["cited"] == [B]
        item_of = {
            m.message_id: s.scalars(select(ReviewItem.id).where(ReviewItem.source_key == f"route:{m.id}")).one()
            for m in s.scalars(select(InboundMail)) if m.message_id in items and items[m.message_id]["status"] == "review"
        }
    # Nothing recorded silently under the thread's campaign: only the two citing their own.
    assert subs == [(A, "soyt", "nil_report"), (B, "sotp", "nil_report")]
    # Each waits in both queues, naming both campaigns, the reason saying what contradicts what.
    for campaign in (A, B):
        queue = [r for r in status_report(app, campaign)["review"] if r["source"].startswith("route:")]
        assert sorted(r["item"] for r in queue) == sorted(item_of.values())
        assert all({c["campaign"] for c in r["candidates"]} == {A, B} for r in queue)
    reasons = {r["item"]: r["reason"] for r in status_report(app, A)["review"]}
    assert "1301/SKHCN-TĐC" in reasons[item_of["<nil-other@qn.example>"]] and f"chuỗi thư của chiến dịch {A}" in reasons[item_of["<nil-other@qn.example>"]]
    assert f"chuỗi thư của chiến dịch {B}" in reasons[item_of["<nil-996-in-b@qn.example>"]]
    # No receipt for what nobody has recorded yet.
    assert not any(m.message["In-Reply-To"] in item_of for m in smtp.messages)
    states_b = {r["id"]: r["state"] for r in status_report(app, B)["recipients"]}
    assert states_b["sotp"] == "nil_report"  # its own 1301 reply (the 996-thread one waits)

    # While a person has not chosen, the 996 reminder is held for the agencies whose reply waits.
    slot_day = dt.datetime(2025, 8, 8, 9, 0, tzinfo=VN)
    held = {s["recipient"] for s in remind(app, A, slot_day, dry_run=True)["skipped"] if s.get("held")}
    assert held == {"sotp", "sonv"}

    # A person settles the auditor's case: it is the 1301 request's answer.
    settled = assign_item(app, item_of["<nil-other@qn.example>"], None, campaign_id=B)
    assert settled["campaign"] == B and settled["units"][0]["recipient"] == "sotp"
    states_a = {r["id"]: r["state"] for r in status_report(app, A)["recipients"]}
    assert states_a["sotp"] == "not_responded"
    # Told once what was recorded, under the request it answered.
    [told] = [m.message for m in smtp.messages if m.message["In-Reply-To"] == "<nil-other@qn.example>"]
    assert told["X-Baocao-Campaign"] == B and f"Công văn số {b_number}" in told.get_content()
    # …so the 996 request is still owed by Sở Tư pháp: reminded again.
    after = remind(app, A, slot_day, dry_run=True)
    assert "sotp" in {e["recipient"] for e in after["would_send"]}
    assert {s["recipient"] for s in after["skipped"] if s.get("held")} == {"sonv"}
