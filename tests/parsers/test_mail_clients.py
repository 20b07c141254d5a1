"""Every way agencies' mail clients wrap a report (tests/fixtures/clients, S/MIME signed here
with a throwaway certificate): MIME unwrapping, classification, attribution, links."""

from __future__ import annotations

import datetime as dt
import json
import struct
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from parsers.mail import parse_mail
from parsers.mail_classify import STATE_KINDS, MailHints, classify, meant_as_report, text_for_naming
from parsers.mail_links import classify_links, report_links

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIENTS = FIXTURES / "clients"
sys.path.insert(0, str(FIXTURES))
sys.path.insert(0, str(CLIENTS))
sys.path.insert(0, str(FIXTURES / "mail"))

import make_client_fixtures as makers  # noqa: E402
from outlook_files import MsgFile, OutlookMessage, build_msg, build_tnef  # noqa: E402
from reportdocs import report_docx  # noqa: E402

NAMES = sorted(p.stem for p in CLIENTS.glob("*.eml"))
SIGNED = sorted(makers.SIGNED)


@pytest.fixture(scope="module")
def signer():
    return makers.make_certificate()


@pytest.fixture(scope="module")
def context():
    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from flows.app import outline_spec
    from parsers.mail_classify import AgencyRef

    campaign = load_campaigns(Path(__file__).resolve().parents[2] / "config" / "campaigns")[0]
    recipients = read_recipients(campaign.recipients_path)
    hints = MailHints(
        our_addresses=frozenset({"tdc@skhcn.quangngai.example"}),
        topic_words=tuple(campaign.mailbox.subject_hints),
        nil_phrases=tuple(campaign.mailbox.nil_phrases),
        ack_phrases=tuple(campaign.mailbox.ack_phrases),
        request_subject="V/v phối hợp báo cáo sơ kết Đề án 996",
    )
    agencies = [AgencyRef(i, r.code, r.name, tuple(r.aliases), tuple(r.emails)) for i, r in enumerate(recipients, start=1)]
    return outline_spec(campaign), hints, agencies


def fixture(name: str, signer) -> tuple[bytes, dict]:
    if name in makers.SIGNED:
        return makers.SIGNED[name](*signer)
    return (CLIENTS / f"{name}.eml").read_bytes(), json.loads((CLIENTS / f"{name}.json").read_text(encoding="utf-8"))


def test_fixture_files_are_complete_and_reproducible():
    built = makers.build()
    assert sorted(built) == NAMES and len(NAMES) >= 13
    for name, (raw, expected) in built.items():
        assert (CLIENTS / f"{name}.eml").read_bytes() == raw, f"{name}.eml is stale: run make_client_fixtures.py"
        assert (CLIENTS / f"{name}.json").read_bytes() == expected


def decide(raw: bytes, context):
    """What the intake decides (pure): mail, kinds, classification, links, units."""
    from parsers.api import parse_bytes
    from parsers.responses import candidates_of, plan_units

    spec, hints, agencies = context
    emails = {e for a in agencies for e in a.emails}
    mail = parse_mail(raw)
    results = [parse_bytes(att.data, att.filename, spec) for att in mail.attachments]
    cands = candidates_of(results)
    known = (mail.from_addr or "") in emails
    got = classify(mail, [c.result.kind for c in cands], hints, known_sender=known)
    got, links = classify_links(mail, got, hints, known_sender=known)
    units = []
    if got.kind in STATE_KINDS:
        units = plan_units(agencies, got.kind, cands, sender=mail.from_addr, forwards=mail.forward_senders,
                           text=text_for_naming(mail), fallback_key="k", source_key="mail:1")
    return mail, results, got, links, units


@pytest.mark.parametrize("name", NAMES + SIGNED)
def test_client_mail(name, signer, context):
    raw, expected = fixture(name, signer)
    _, _, agencies = context
    mail, results, got, links, units = decide(raw, context)
    assert [a.filename for a in mail.attachments] == expected["attachments"]
    for att, result in zip(mail.attachments, results, strict=True):
        assert (result.error is not None) == (att.filename in expected.get("rejected", [])), result.error
    assert got.kind == expected["classification"], got.reason
    assert [link.url for link in links] == expected.get("links", [])
    assert mail.signed == expected.get("signed")
    if "forward_senders" in expected:
        assert mail.forward_senders == expected["forward_senders"]
    evidence = [{"sender": e.sender, "date": e.date.isoformat() if e.date else None, "via": e.via} for e in mail.forward_evidence]
    assert evidence == expected.get("forward_evidence", [])
    code = {a.recipient_id: a.code for a in agencies}
    assert sorted(code[u.attribution.recipient_id] for u in units if u.attribution.recipient_id) == expected["recipients"]
    if expected.get("review") and got.kind == "unrelated":
        _, hints, _ = context
        emails = {e for a in agencies for e in a.emails}
        assert meant_as_report(mail, hints, known_sender=(mail.from_addr or "") in emails)  # → review, receipt


def test_signature_part_is_not_an_attachment(signer):
    raw, _ = makers.smime_detached(*signer)
    assert b"smime.p7s" in raw and b"multipart/signed" in raw
    mail = parse_mail(raw)
    assert not [a for a in mail.attachments if a.filename.endswith(".p7s") or "pkcs7" in a.content_type]
    assert "Tỉnh đoàn gửi báo cáo" in mail.body_text


def test_opaque_signed_is_read_without_trusting_the_signer(signer):
    """The certificate is self-signed and unknown: the content is read all the same (the
    signature is evidence for a person, never a condition to read the report)."""
    raw, _ = makers.smime_opaque(*signer)
    assert b"smime.p7m" in raw and b"application/pkcs7-mime; smime-type=signed-data" in raw
    mail = parse_mail(raw)
    assert mail.signed == "opaque" and mail.from_addr == "hccb@quangngai.example"
    assert mail.subject == "Báo cáo Đề án 996" and "Hội CCB tỉnh gửi báo cáo" in mail.body_text
    assert mail.attachments[0].data[:2] == b"PK"


def test_encrypted_smime_is_kept_and_refused(signer):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    _, cert = signer
    enveloped = pkcs7.PKCS7EnvelopeBuilder().set_data(b"Content-Type: text/plain\r\n\r\nbi mat\r\n").add_recipient(cert).encrypt(
        serialization.Encoding.SMIME, []
    )
    raw = b"From: soyt@quangngai.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: BC\r\n" + enveloped
    mail = parse_mail(raw)
    [att] = mail.attachments
    assert att.rejected_code == "container_unreadable" and "mã hoá" in (att.rejected or "")
    assert att.data  # the raw bytes are kept


def _forward_chain(levels: int) -> bytes:
    inner = EmailMessage(policy=SMTP)
    inner["From"], inner["Subject"], inner["Date"] = "sotp@quangngai.example", "BC", "Tue, 10 Jun 2025 08:00:00 +0700"
    inner.set_content("Gửi báo cáo.")
    inner.add_attachment(report_docx("SỞ TƯ PHÁP", "15/BC-STP"), maintype="application", subtype="octet-stream", filename="BC.docx")
    for level in range(levels):
        outer = EmailMessage(policy=SMTP)
        outer["From"], outer["Subject"] = f"nguoi{level}@gmail.example", "Fwd: BC"
        outer["Date"] = "Tue, 10 Jun 2025 09:00:00 +0700"
        outer.set_content("Chuyển tiếp.")
        outer.add_attachment(inner, disposition="attachment", filename=f"chuyen tiep {level}.eml")
        inner = outer
    return inner.as_bytes()


def test_nested_forwards_are_bounded():
    ok = parse_mail(_forward_chain(3))
    assert [a.filename for a in ok.attachments] == ["BC.docx"]
    assert ok.forward_senders == ["sotp@quangngai.example"]
    deep = parse_mail(_forward_chain(6))
    [att] = deep.attachments
    assert att.rejected_code == "forward_too_deep" and "lồng nhau quá" in (att.rejected or "")
    assert att.filename.endswith(".eml")


def test_eml_sent_as_octet_stream_is_recognised_from_its_bytes():
    inner = _forward_chain(0)
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["Subject"] = "canbo@gmail.example", "Fwd"
    msg.set_content("Chuyển.")
    msg.add_attachment(inner, maintype="application", subtype="octet-stream", filename="thu goc.eml")
    msg.add_attachment(b"not a message at all, just notes", maintype="application", subtype="octet-stream", filename="ghi chu.eml")
    mail = parse_mail(msg.as_bytes())
    assert [a.filename for a in mail.attachments] == ["BC.docx", "ghi chu.eml"]
    assert mail.forward_evidence[0].sender == "sotp@quangngai.example" and mail.forward_evidence[0].via == "eml"


def _with_attachment(data: bytes, name: str, subtype: str = "octet-stream") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["Subject"] = "soyt@quangngai.example", "Báo cáo Đề án 996"
    msg.set_content("Gửi báo cáo.")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return msg.as_bytes()


def test_damaged_msg_and_tnef_are_kept_and_refused():
    whole = build_msg(makers._inner_nnmt())
    fake_msg = whole[:2048] + b"\x00" * 1024  # a download cut short: the directory is there, the streams are not
    fake_tnef = b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\xff\xff\xff\x7f"
    for data, name, word in ((fake_msg, "thu.msg", ".msg"), (fake_tnef, "winmail.dat", "winmail.dat")):
        [att] = parse_mail(_with_attachment(data, name)).attachments
        assert att.rejected_code == "container_unreadable" and word in (att.rejected or ""), att.rejected
        assert att.data == data


def test_msg_inside_msg_credits_the_innermost_sender():
    nnmt = makers._inner_nnmt()
    middle = OutlookMessage("Văn thư", "vanthu@gmail.example", "x@y.example", "FW: BC", dt.datetime(2025, 6, 10, 8, tzinfo=dt.UTC),
                            "<m@y.example>", "chuyển", [MsgFile("BC.msg", message=nnmt)])
    mail = parse_mail(_with_attachment(build_msg(middle), "FW BC.msg", "vnd.ms-outlook"))
    assert [a.filename for a in mail.attachments] == ["BC So NNMT.docx"]
    assert mail.forward_senders == ["sonnmt@quangngai.example"]
    assert [e.via for e in mail.forward_evidence] == ["msg", "msg"]


def test_tnef_long_unicode_names_win_over_the_8bit_title():
    data = build_tnef("BC", "noi dung", [("Báo cáo Đề án 996 – bản chính.docx", b"PK\x03\x04x"), ("Phụ lục.xlsx", b"PK\x03\x04y")])
    mail = parse_mail(_with_attachment(data, "winmail.dat", "ms-tnef"))
    assert [a.filename for a in mail.attachments] == ["Báo cáo Đề án 996 – bản chính.docx", "Phụ lục.xlsx"]
    assert struct.unpack("<I", data[:4])[0] == 0x223E9F78


@pytest.mark.parametrize(
    ("archive", "name"), [(makers.RAR, "BC.rar"), (makers.SEVEN_Z, "BC.7z")]
)
def test_rar_and_7z_are_refused_with_a_request_for_another_format(archive, name, context):
    from parsers.api import parse_bytes

    spec, _, _ = context
    result = parse_bytes(archive, name, spec)
    assert result.error is not None and result.error.code == "unsupported_format"
    assert ".zip" in result.error.message and "đề nghị đơn vị" in result.error.message


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Date: Tue, Jun 10, 2025 at 8:00 AM", "2025-06-10T01:00:00+00:00"),
        ("Date: Th 3, 10 thg 6, 2025 vào lúc 14:05", "2025-06-10T07:05:00+00:00"),
        ("Sent: Tuesday, June 10, 2025 8:00 PM", "2025-06-10T13:00:00+00:00"),
        ("Đã gửi: Thứ Ba, 10 tháng 6, 2025 2:00 CH", "2025-06-10T07:00:00+00:00"),
        ("Date: Tue, 10 Jun 2025 08:00:00 +0700", "2025-06-10T01:00:00+00:00"),
        ("Date: 10 June 2025 at 08:00:00 GMT+7", "2025-06-10T01:00:00+00:00"),
        ("Ngày: 10 tháng 6, 2025 lúc 08:00", "2025-06-10T01:00:00+00:00"),
        ("Đã gửi: Thứ Ba, ngày 10 tháng 6 năm 2025 8:00 SA", "2025-06-10T01:00:00+00:00"),
    ],
)
def test_pasted_forward_dates(line, iso):
    raw = (
        "From: canbo@gmail.example\r\nSubject: Fwd: BC\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"---------- Forwarded message ---------\r\nFrom: So Y te <soyt@quangngai.example>\r\n{line}\r\nSubject: BC\r\n"
    ).encode()
    mail = parse_mail(raw)
    [evidence] = mail.forward_evidence
    assert evidence.sender == "soyt@quangngai.example" and evidence.date is not None
    assert evidence.date.isoformat() == iso


def test_links_from_strangers_or_our_own_words_are_not_reports(context):
    _, hints, _ = context
    raw = (CLIENTS / "c13_newsletter_links.eml").read_bytes()
    mail = parse_mail(raw)
    assert report_links(mail)  # it is a download link …
    got, links = classify_links(mail, classify(mail, [], hints), hints, known_sender=False)
    assert got.kind == "unrelated" and links == []  # … from nobody the campaign knows


def test_a_link_in_the_quoted_message_is_not_the_reply(context):
    _, hints, _ = context
    raw = (
        "From: thanhtra@quangngai.example\r\nSubject: Re: V/v phối hợp báo cáo sơ kết Đề án 996\r\n"
        f"In-Reply-To: {makers.REQUEST_ID}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dạ, Thanh tra tỉnh sẽ gửi báo cáo sau ạ.\r\n\r\n"
        "Vào 10/06/2025, Văn phòng đã viết:\r\n> Mẫu biểu tải tệp tại https://drive.google.com/file/d/1Mau/view\r\n"
    ).encode()
    mail = parse_mail(raw)
    assert mail.links == ["https://drive.google.com/file/d/1Mau/view"]
    got, links = classify_links(mail, classify(mail, [], hints, known_sender=True), hints, known_sender=True)
    assert links == [] and got.kind == "acknowledgement"


@pytest.mark.parametrize("name", ["bao-cao.doc", "bieu.xls", "bieu-tcvn3.xls", "bao-cao.docx", "bao-cao.pdf", "bao-cao.rtf"])
def test_office_files_are_never_taken_for_containers(name):
    from parsers.mail_containers import sniff_container

    path = FIXTURES / "formats" / name
    data = path.read_bytes()
    assert sniff_container(data, name, "application/octet-stream") is None
    [att] = parse_mail(_with_attachment(data, name)).attachments
    assert att.data == data and att.rejected is None
