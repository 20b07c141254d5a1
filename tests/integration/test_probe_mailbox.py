"""End to end against the probe mailbox (tests/fixtures/make_probe_mailbox.py): a real Dovecot,
a real SMTP capture, SQLite and PostgreSQL. Expectations are what a careful person reads."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parents[1] / "fixtures" / "probe_mail"
ARRIVALS: dict[str, str] = json.loads((PROBE / "manifest.json").read_text(encoding="utf-8"))

SUBMITTED = {
    "sonv", "soyt", "sotp", "sotc", "soct", "sogddt", "hhdn", "sonnmt", "sovhttdl", "baoptth",
    "dhpvd", "hdnt", "ttkttdc", "bqlkkt", "bchqs", "congan", "mttq", "tinhdoan",
    "soxd", "hccb", "hhdnkt", "ldld", "hnd", "thanhtra",
}
NIL = {"sodttg", "vpubnd"}
ACKNOWLEDGED = {"hlhpn"}
# Auto-replies, a bounce, other business, a nil report only a person can attribute.
NOT_RESPONDED = {"lmhtx"}
# Messages that deserve a receipt: the submissions and nil reports recorded as new.
RECEIPT_TO = sorted([
    "sonv@quangngai.example", "sonv@quangngai.example", "soyt@quangngai.example", "nguyenvanan.qn@gmail.example",
    "vanthu.sotc@quangngai.example", "soct@quangngai.example", "sogddt@quangngai.example",
    "hhdn@quangngai.example", "sonnmt@quangngai.example", "sonnmt@quangngai.example",
    "sovhttdl@quangngai.example", "sodttg@quangngai.example", "vpubnd@quangngai.example",
    "tranthibinh1985@gmail.example", "hdnt@quangngai.example", "kiemdinh.ttkttdc@quangngai.example",
    "bqlkkt@quangngai.example", "bchqs@quangngai.example", "congan@quangngai.example",
    "mttq@quangngai.example", "tinhdoan@quangngai.example", "ldld@quangngai.example", "ldld@quangngai.example",
    "soxd@quangngai.example", "nguyenhoa.qn@outlook.example", "hhdnkt@kontum.example", "thanhtra@quangngai.example",
    "soxd@quangngai.example",
])
NEVER_TOLD = {
    "hlhpn@quangngai.example", "hnd@quangngai.example", "sotp@quangngai.example",
    "noreply.qlvb@quangngai.example", "phamcong_qn@yahoo.example",
    "bantin@tcvn.example", "it-support@quangngai-mail.example", "hccb@quangngai.example",
    "ketoan@congtyabc.example", "mailer-daemon@mail.kontum.example", "tdc.skhcn@quangngai.example",
}


@pytest.fixture
def probe_app(app, dovecot, smtp):
    """The app polling a fresh folder that holds the whole probe mailbox, in arrival order."""
    folder = f"P{uuid.uuid4().hex[:10]}"
    for name, when in sorted(ARRIVALS.items(), key=lambda kv: (kv[1], kv[0])):
        dovecot.append((PROBE / f"{name}.eml").read_bytes(), folder=folder, date=dt.datetime.fromisoformat(when))
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    return app


def test_probe_files_are_generated_and_many() -> None:
    assert len(ARRIVALS) >= 30 and all((PROBE / f"{n}.eml").is_file() for n in ARRIVALS)


def test_probe_mailbox_end_to_end(probe_app, smtp, dovecot) -> None:
    from flows.app import status_report
    from flows.intake.mail import ingest_mail

    # Scans read inside the poll (BAOCAO_OCR_QUEUE=false): this test checks what every probe
    # message comes to in one run; the queue's own path is tests/integration/test_ocr_queue.py.
    probe_app.settings.ocr_queue = False
    report = ingest_mail(probe_app).to_json()
    items = {i["message_id"]: i for i in report["items"]}
    assert report["counts"]["total"] == len(ARRIVALS) and report["counts"]["failed"] == 0, report["errors"]

    status = status_report(probe_app)
    rows = {r["id"]: r for r in status["recipients"]}
    states = {code: r["state"] for code, r in rows.items()}
    wrong = {
        code: states[code]
        for group, expected in ((SUBMITTED, "submitted"), (NIL, "nil_report"), (ACKNOWLEDGED, "acknowledged"), (NOT_RESPONDED, "not_responded"))
        for code in group
        if states[code] != expected
    }
    assert not wrong, (wrong, [(i["message_id"], i.get("classification"), i.get("status"), i.get("units")) for i in report["items"]])

    # Received time is the server's arrival time; late only after the end of 15/8 (Vietnam time):
    # 23:30 on the 15th is on time, 00:30 on the 16th is late.
    assert sorted(c for c in SUBMITTED | NIL | ACKNOWLEDGED if rows[c]["late"]) == ["congan", "mttq"]
    assert rows["tinhdoan"]["first_response_at"].startswith("2025-08-15T23:30:00+07:00")
    assert rows["sotp"]["first_response_at"].startswith("2025-08-12T10:00:00+07:00")
    assert rows["thanhtra"]["first_response_at"].startswith("2025-08-07T09:00:00+07:00")
    assert rows["sonnmt"]["first_response_at"].startswith("2025-08-12T08:00")
    assert rows["sonnmt"]["last_response_at"].startswith("2025-08-14T10:00")

    # Attribution the way a person reads it.
    assert items["<CAJx7p03-stp-gmail@mail.gmail.example>"]["units"][0]["recipient"] == "sotp"
    assert items["<p04.vanthu.stc@quangngai.example>"]["units"][0]["recipient"] == "sotc"
    assert sorted(u["recipient"] for u in items["<p12.svh@quangngai.example>"]["units"]) == ["baoptth", "sovhttdl"]
    assert len(items["<p02.AM0PR01MB1234@quangngai.example>"]["units"]) == 1  # Word + PDF: one submission
    assert len(items["<p31.bchqs@quangngai.example>"]["units"]) == 1  # cover letter + report: one
    # Outlook's FW: (no "Forwarded message" line) of a report typed without a letterhead.
    assert "forward" in items["<DM6PR11MB44p44@outlook.example>"]["units"][0]["attributed_by"]
    assert items["<p43.qlvb.8841@quangngai.example>"]["units"][0]["recipient"] == "soxd"  # the document system
    assert items["<p51.000801c8@thanhtra-pc>"]["subject"] == "Báo cáo Đề án 996 - Thanh tra tỉnh"  # windows-1258
    assert rows["thanhtra"]["first_response_at"] < rows["thanhtra"]["last_response_at"]  # the promise, then the report
    # The document system reused a Message-ID for soxd's corrected report: not a copy. A second
    # delivery through another relay (other bytes, same Message-ID and files) is one.
    reused = [i for i in report["items"] if i["message_id"] == "<p43.qlvb.8841@quangngai.example>"]
    assert [i["status"] for i in reused] == ["processed", "processed"], reused
    assert [i["status"] for i in report["items"] if i["message_id"] == "<p32.ca@quangngai.example>"] == ["processed", "duplicate"]
    # A Sở forwarding the mail a unit sent it: the unit's report, not a dispute.
    assert items["<p50.snv.fwd@quangngai.example>"]["units"][0]["recipient"] == "hnd"
    # An agency that already reported answers a reminder: a contact, its report still stands.
    assert items["<p45.stp@quangngai.example>"]["classification"] == "acknowledgement"
    twice = [i["status"] for i in report["items"] if i["message_id"] == "<p01.snv.20250808@quangngai.example>"]
    assert twice == ["processed", "duplicate"]  # the same message delivered twice
    assert items["<p11.snv.resend@quangngai.example>"]["status"] == "duplicate"  # the same file re-sent

    # Classification of what is not an answer.
    kinds = {mid: i.get("classification") for mid, i in items.items()}
    assert kinds["<p36.sxd@quangngai.example>"] == "acknowledgement"  # "em nhận được rồi ạ"
    assert kinds["<p41.ld@quangngai.example>"] == "nil_report"  # in words the campaign did not list
    assert kinds["<p52.hlhpn@quangngai.example>"] == "acknowledgement"
    # A registered agency's other business, in an acknowledgement's words, is not about the campaign.
    assert kinds["<p55.lmhtx@quangngai.example>"] == kinds["<p56.ttkt@quangngai.example>"] == "unrelated"
    assert rows["ttkttdc"]["first_response_at"].startswith("2025-08-12T15:00")
    # An invitation picture from a registered agency: other business, not an unreadable report.
    assert kinds["<p57.bch@quangngai.example>"] == "unrelated" and items["<p57.bch@quangngai.example>"]["status"] == "processed"  # "không có số liệu … xin gia hạn"
    assert items["<p42.stc.zip@quangngai.example>"]["status"] == "duplicate"  # same report, now zipped
    for mid in ("<p17.oof@quangngai.example>", "<p18.oof@quangngai.example>", "<p19.oof@quangngai.example>",
                "<p20.oof@quangngai.example>", "<p34.mdn@quangngai.example>"):
        assert kinds[mid] == "auto_reply", (mid, items[mid])
    assert kinds["<p21.ndr@quangngai.example>"] == kinds["<p22.dsn@mail.kontum.example>"] == "bounce"
    assert kinds["<p37.ndr@quangngai.example>"] == "bounce"  # plain-text NDR quoting every address
    for mid in ("<p23.news@tcvn.example>", "<p24.phish@quangngai-mail.example>", "<p25.ccb@quangngai.example>"):
        assert kinds[mid] == "unrelated", (mid, items[mid])
    assert kinds["<baocao.request.0a1b2c3d4e5f60718293a4b5c6d7e8f9@baocao.invalid>"] == "own"
    assert rows["soct"]["bouncing"] == ["qlcn.soct@quangngai.example"]
    # hhdnkt's address bounced on 01/08 (p22) and the agency wrote from it on 15/08 (p46): a
    # reply written after the bounce clears the mark (the address works again).
    assert rows["hhdnkt"]["bouncing"] == []
    # hlhpn's bounced on 01/08 (p37) and it wrote a promise from it on 08/08 (p48): cleared too.
    assert rows["hlhpn"]["bouncing"] == []
    # Only soct: not the addresses quoted in an NDR, not a delayed delivery (tinhdoan).
    assert sorted(c for c, r in rows.items() if r["bouncing"]) == ["soct"]

    # The review queue: the Yahoo nil report (signature only) and nothing recorded for it.
    review = status["review"]
    lmhtx = [r for r in review if any(c.get("code") == "lmhtx" for c in r.get("candidates", []))]
    assert len(lmhtx) == 1, review
    assert not [r for r in review if any(c.get("code") in SUBMITTED | NIL for c in r.get("candidates", [])[:1])], review
    assert len(review) == 2 and any(not r.get("candidates") for r in review), review  # + the company's report
    assert kinds["<p49.ccb@quangngai.example>"] == "unrelated" and items["<p49.ccb@quangngai.example>"]["rejected"] == []

    # Receipts: one per recorded submission or nil report, never to machines or strangers.
    told = sorted(str(m.message["To"]) for m in smtp.messages)
    assert not NEVER_TOLD & set(told), told
    assert told == RECEIPT_TO, told  # bchqs once (its report), not for the invitation
    assert all(m.message["Auto-Submitted"] == "auto-replied" for m in smtp.messages)
    receipt = {str(m.message["To"]): m.message.get_content() for m in smtp.messages}
    # Two agencies' reports in one message: the receipt speaks to the sender about its own.
    assert receipt["sovhttdl@quangngai.example"].startswith("Kính gửi: Sở Văn hóa, Thể thao và Du lịch")
    assert "BC996_SGDDT_ky so.pdf" in receipt["sogddt@quangngai.example"]
    assert not [to for to, text in receipt.items() if "image00" in text]  # signature logos are not files  # the scan could not be read
    assert "(sau hạn" in receipt["congan@quangngai.example"] and "(sau hạn" not in receipt["tinhdoan@quangngai.example"]

    # A second run changes nothing and sends nothing.
    before = (status_report(probe_app)["recipients"], status_report(probe_app)["review"], len(smtp.messages))
    again = ingest_mail(probe_app).to_json()
    assert again["counts"]["total"] == 0
    assert (status_report(probe_app)["recipients"], status_report(probe_app)["review"], len(smtp.messages)) == before

    # The mailbox restored onto a new server (new UIDVALIDITY, our keywords gone): a resync
    # that finds only duplicates.
    dovecot.recreate_folder(probe_app.settings.imap.folder)
    resync = ingest_mail(probe_app).to_json()
    assert resync["counts"]["total"] == len(ARRIVALS) and resync["counts"]["new"] == 0, resync["counts"]
    assert (status_report(probe_app)["recipients"], status_report(probe_app)["review"], len(smtp.messages)) == before


def test_probe_generator_is_reproducible() -> None:
    """The committed .eml files are what the generator writes (regenerate only on purpose)."""
    import sys

    sys.path.insert(0, str(PROBE.parent))
    from make_probe_mailbox import build

    built = build()
    assert sorted(built) == sorted(ARRIVALS)
    changed = [name for name, (raw, when) in built.items() if (PROBE / f"{name}.eml").read_bytes() != raw or ARRIVALS[name] != when]
    assert not changed, f"run tests/fixtures/make_probe_mailbox.py and commit: {changed}"
