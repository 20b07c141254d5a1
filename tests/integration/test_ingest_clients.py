"""Every way agencies send, through ingest against a real Dovecot and a real SMTP capture, on
SQLite and PostgreSQL: Outlook winmail.dat and .msg, Apple Mail/Thunderbird/Zimbra attached
messages, Gmail's pasted forward, S/MIME signed (detached and opaque), RAR/7z, link-only mail."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIENTS = FIXTURES / "clients"
sys.path.insert(0, str(FIXTURES))
sys.path.insert(0, str(CLIENTS))
sys.path.insert(0, str(FIXTURES / "mail"))
VN = dt.timezone(dt.timedelta(hours=7))

import make_client_fixtures as makers  # noqa: E402


def test_every_client_through_ingest(mail_app, dovecot, smtp):
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.intake.review import assign_item
    from storage.models import Document, InboundMail, ReviewItem, Submission

    folder = mail_app.settings.imap.folder
    key, cert = makers.make_certificate()
    raws = [(CLIENTS / f"{name}.eml").read_bytes() for name in sorted(makers.FIXTURES)]
    raws += [make(key, cert)[0] for make in makers.SIGNED.values()]
    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for i, raw in enumerate(raws):
        dovecot.append(raw, folder=folder, date=base + dt.timedelta(minutes=i))

    report = ingest_mail(mail_app).to_json()
    assert report["counts"]["total"] == len(raws) == 15 and report["counts"]["failed"] == 0, report["items"]
    outcome = {i["message_id"]: i for i in report["items"]}

    # Reports inside containers count for the agency that wrote them.
    states = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    for code in ("soyt", "sonnmt", "soct", "hhdn", "dhpvd", "mttq", "sotp", "tinhdoan", "hccb"):
        assert states[code]["state"] == "submitted", (code, states[code])
    assert states["vpubnd"]["state"] == "not_responded"  # it only passed Sở NN&MT's .msg on
    nnmt = outcome["<VPUBND-7781@EXCH01.quangngai.example>"]
    assert nnmt["units"][0]["recipient"] == "sonnmt" and "forward" in nnmt["units"][0]["attributed_by"]
    assert nnmt["forwarded"] == [
        {"sender": "sonnmt@quangngai.example", "name": "Sở Nông nghiệp và Môi trường", "date": "2025-06-09T07:30:00+00:00",
         "subject": "Báo cáo Đề án 996", "via": "msg"}
    ]
    assert outcome["<ccb-smime-0611@quangngai.example>"]["signed"] == "opaque"
    assert outcome["<td-smime-0611@quangngai.example>"]["signed"] == "detached"

    with mail_app.session() as s:
        docs = {d.filename: d for d in s.scalars(select(Document))}
        assert "smime.p7s" not in docs and "winmail.dat" not in docs and "smime.p7m" not in docs
        assert docs["Báo cáo Đề án 996 Sở Y tế.docx"].kind == "report"
        # RAR/7z: kept (raw bytes in the blob store), refused with a request for .zip.
        for name, data in (("Bao cao LMHTX.rar", makers.RAR), ("BC BQLKKT.7z", makers.SEVEN_Z)):
            assert docs[name].status == "rejected" and docs[name].error_code == "unsupported_format"
            assert ".zip" in docs[name].error_message
            assert mail_app.blobs.read(docs[name].sha256) == data
        row = s.scalars(select(InboundMail).where(InboundMail.message_id == "<soct-0610@quangngai.example>")).one_or_none()
        assert row is None  # the inner message is evidence, not a second ledger row
        apple = s.scalars(select(InboundMail).where(InboundMail.message_id == "<A1B2C3D4-0610@icloud.example>")).one()
        assert apple.details["outcome"]["forwarded"][0]["sender"] == "soct@quangngai.example"

    # Link-only mail: to review with the link shown, never a report.
    for msgid, url in (
        ("<tt-0612@quangngai.example>", "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing"),
        ("<ldld-0612@quangngai.example>", "https://1drv.ms/w/s!AkLdLdQnGi996abc?e=Xy12Z"),
        ("<qlvb-20250612-0001@qlvb.quangngai.example>", "https://qlvb.quangngai.example/vanban/chitiet?id=884213"),
    ):
        item = outcome[msgid]
        assert (item["status"], item["classification"], item["links"]) == ("review", "link_only", [url]), item
    assert states["thanhtra"]["state"] == states["ldld"]["state"] == "not_responded"
    with mail_app.session() as s:
        reasons = {r.id: r.reason for r in s.scalars(select(ReviewItem))}
        assert sum("đường liên kết" in r for r in reasons.values()) == 3
        drive = next(i for i, r in reasons.items() if "drive.google.com" in r)
        assert len(reasons) == 5  # three links, the RAR and the 7z
        assert not list(s.scalars(select(Submission).where(Submission.kind == "report", Submission.inbound_mail_id.in_(
            select(InboundMail.id).where(InboundMail.classification == "link_only")))))
    sent_to = sorted(m.message["To"] for m in smtp.messages)
    assert "thanhtra@quangngai.example" not in sent_to and "ldld@quangngai.example" not in sent_to
    rar_receipt = next(m.message for m in smtp.messages if m.message["To"] == "lmhtx@quangngai.example").get_content()
    assert "Bao cao LMHTX.rar" in rar_receipt and ".zip" in rar_receipt

    # A person settles the Drive link: the contact is recorded, not a report.
    assign_item(mail_app, drive, "thanhtra")
    after = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert after["thanhtra"]["state"] == "acknowledged"

    # A second poll changes nothing.
    again = ingest_mail(mail_app).to_json()
    assert again["counts"]["total"] == 0
