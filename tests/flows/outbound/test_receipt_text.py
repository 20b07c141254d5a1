"""The receipt as an agency reads it, from what storage recorded: one line per figure row, a
blank line before the closing paragraph, and lateness judged by the agency's own deadline."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from flows.app import App
from flows.outbound.receipts import receipt_context
from reports.mailtext import render_mail
from storage.blobs import store_blob
from storage.campaigns import recipient_by_code
from storage.corrections import set_deadline
from storage.models import InboundMail, IndicatorValue, RecipientRow, Submission

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CLOSING = "Nếu thông tin trên chưa đúng"


def _recorded(app: App, session: Session, received: dt.datetime, rows: dict[str, tuple]) -> tuple:
    rec = recipient_by_code("de-an-996", "sotc", session=session)
    blob = store_blob(app.blobs, b"Subject: x\r\n\r\nx\r\n", session=session)
    mail = InboundMail(
        campaign_id="de-an-996",
        mailbox="INBOX",
        uidvalidity=1,
        uid=7,
        raw_sha256=blob.sha256,
        subject="Báo cáo Đề án 996",
        recipient_id=rec.id,
        classification="submission",
    )
    session.add(mail)
    session.flush()
    sub = Submission(
        campaign_id="de-an-996",
        recipient_id=rec.id,
        channel="email",
        kind="report",
        received_at=received,
        content_key="sotc-fig",
        inbound_mail_id=mail.id,
        missing_sections=[],
        missing_rows=[],
    )
    session.add(sub)
    session.flush()
    for row_id, (plan, result, rate, none) in rows.items():
        session.add(
            IndicatorValue(
                submission_id=sub.id,
                row_id=row_id,
                plan=plan,
                result=result,
                rate=rate,
                rate_computed=False,
                raw={},
                values={},
                explicit_none=none,
            )
        )
    session.flush()
    return mail, sub, rec


def _receipt(
    app: App, session: Session, mail: InboundMail, sub: Submission, rec: RecipientRow
) -> str:
    context = receipt_context(app.campaign("de-an-996"), mail, sub, rec, session=session)
    return render_mail(app.settings.templates_dir, "receipt", context)[1]


def test_receipt_prints_one_line_per_figure_row_and_a_blank_line_before_the_closing(
    app: App,
) -> None:
    rows = {
        "1": (41.0, 30.0, 73.2, False),
        "2": (10.0, 10.0, 100.0, False),
        "3": (None, None, None, True),
    }
    with app.session() as session:
        mail, sub, rec = _recorded(app, session, dt.datetime(2025, 8, 12, 10, tzinfo=TZ), rows)
        lines = _receipt(app, session, mail, sub, rec).splitlines()
    figures = [line for line in lines if "Dòng" in line]
    assert [f.split(" (")[0] for f in figures] == ["    + Dòng 1", "    + Dòng 2", "    + Dòng 3"]
    assert figures[0].endswith("kế hoạch 41, kết quả 30, tỷ lệ 73,2%")
    assert figures[2].endswith(": không phát sinh")
    closing = next(i for i, line in enumerate(lines) if line.startswith(CLOSING))
    # The figures are the last item: the closing paragraph follows after one blank line.
    assert lines[closing - 1] == "" and lines[closing - 2] == figures[-1]
    header = lines.index("- Số liệu bảng định lượng đã đọc được:")
    assert lines[header + 1 : header + 4] == figures


def test_receipt_judges_lateness_by_the_agencys_own_deadline(app: App) -> None:
    with app.session() as session:
        mail, sub, rec = _recorded(app, session, dt.datetime(2025, 8, 20, 10, tzinfo=TZ), {})
        assert "(sau hạn 15/08/2025)" in _receipt(app, session, mail, sub, rec)
        set_deadline(
            "de-an-996", rec.id, dt.date(2025, 8, 29), "xin gia hạn", "cb", session=session
        )
        text = _receipt(app, session, mail, sub, rec)
        assert "sau hạn" not in text
        sub.received_at = dt.datetime(2025, 8, 30, 8, tzinfo=TZ)
        session.flush()
        assert "- Thư nhận lúc: 08:00 ngày 30/08/2025 (sau hạn 29/08/2025)" in _receipt(
            app, session, mail, sub, rec
        )


def test_receipt_subject_drops_the_reply_prefixes_of_the_agencys_mail(app: App) -> None:
    """"Đã nhận báo cáo: Báo cáo …", not "Đã nhận báo cáo: RE: TL: Báo cáo …"."""
    with app.session() as session:
        mail, sub, rec = _recorded(app, session, dt.datetime(2025, 8, 12, 10, tzinfo=TZ), {})
        mail.subject = "RE: TL: Fwd: Báo cáo Đề án 996 - Sở Tài chính"
        context = receipt_context(app.campaign("de-an-996"), mail, sub, rec, session=session)
        subject = render_mail(app.settings.templates_dir, "receipt", context)[0]
    assert subject == "Đã nhận báo cáo: Báo cáo Đề án 996 - Sở Tài chính"


def _drafts(app: App, session: Session, mail: InboundMail, *, sent: bool = True) -> tuple:
    from flows.outbound.receipts import receipt_draft
    from parsers.mail import parse_mail

    parsed = parse_mail(b"From: ketoan@sotc.example\r\nSubject: x\r\nMessage-ID: <a@sotc.example>\r\n\r\nx\r\n")
    campaign = app.campaign("de-an-996")
    reserved = receipt_draft(app, campaign, mail, parsed, session=session, text=False)
    full = receipt_draft(app, campaign, mail, parsed, session=session) if sent else None
    assert reserved is not None
    return reserved, full


def test_the_receipt_reserved_on_arrival_has_the_subject_it_is_sent_with_without_its_text(app: App, monkeypatch) -> None:
    """The outbox row reserved in the message's unit of work stores the receipt's subject; the
    shipped subject line needs no query, so the text (figures, sections, deadline) is not
    built then — it is when the receipt is sent."""
    from flows.outbound import receipts

    with app.session() as session:
        mail, sub, rec = _recorded(app, session, dt.datetime(2025, 8, 20, 10, tzinfo=TZ), {"1": (10, 5, 50, False)})
        mail.subject = "TL: Báo cáo Đề án 996 – Sở Tài chính"
        reserved, sent = _drafts(app, session, mail)
        assert reserved.subject == sent.subject == "Đã nhận báo cáo: Báo cáo Đề án 996 – Sở Tài chính"
        assert reserved.text == "" and "Ghi nhận cho đơn vị" in sent.text

        def built(*args, **kwargs):
            raise AssertionError("the whole receipt was built to reserve it")

        monkeypatch.setattr(receipts, "receipt_context", built)
        again, _ = _drafts(app, session, mail, sent=False)
        assert again.subject == sent.subject


def test_a_staff_subject_line_needing_more_gets_the_same_subject_reserved_as_sent(app: App, tmp_path) -> None:
    """A subject line using the deadline, or set up by lines before it, is rendered with the
    whole context: never a different subject in the outbox than in the mail."""
    import shutil

    shutil.copytree(app.settings.config_dir, tmp_path / "c")
    receipt = tmp_path / "c" / "templates" / "receipt.txt.j2"
    body = receipt.read_text(encoding="utf-8").split("\n", 1)[1]
    app.settings.config_dir = tmp_path / "c"
    heads = {
        "Subject: Đã nhận{% if late %} (sau hạn {{ deadline | ngay }}){% endif %}: {{ original_subject }}\n":
            "Đã nhận (sau hạn 15/08/2025): Báo cáo Đề án 996",
        "{% set ten = recipient.name | upper %}\nSubject: {{ ten }} – đã nhận {{ what }}\n":
            "SỞ TÀI CHÍNH – đã nhận báo cáo",
        "{# ghi chú #}\n\nSubject: Đã nhận {{ what }} lúc {{ received_at }}\n":
            "Đã nhận báo cáo lúc 10:00 ngày 20/08/2025",
    }
    with app.session() as session:
        mail, sub, rec = _recorded(app, session, dt.datetime(2025, 8, 20, 10, tzinfo=TZ), {})
        for head, expected in heads.items():
            receipt.write_text(head + body, encoding="utf-8")
            reserved, sent = _drafts(app, session, mail)
            assert reserved.subject == sent.subject == expected
