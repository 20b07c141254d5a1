"""Headers of our outgoing mail decode back to exactly the stored text, with every decoder we
have: Python's parser (policy.default and compat32 + decode_header) and imap-tools."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.header import decode_header, make_header
from email.policy import compat32
from email.policy import default as default_policy

import pytest
from imap_tools import MailMessage

from config.campaign import load_campaign
from config.settings import SmtpSettings
from config.settings import SmtpSettings as _Smtp
from flows.outbound.delivery import Draft, build_message
from flows.outbound.mailheaders import OUTBOUND, encode_display_name, fold_unstructured
from tests.conftest import CONFIG_DIR

CAMPAIGN = load_campaign(CONFIG_DIR / "campaigns" / "de-an-996.yaml")
REQUEST = f"{CAMPAIGN.request.number} {' '.join(CAMPAIGN.request.subject.split())}"
SUBJECTS = [
    f"Nhắc gửi báo cáo: {REQUEST}",
    f"Bổ sung báo cáo: {REQUEST}",
    f"Đã nhận báo cáo: Re: {REQUEST}",
    "Đã nhận báo cáo: " + " ".join(s.heading for s in CAMPAIGN.outline.sections[:4]),
    # A word longer than a line (a link) must be cut inside; its neighbours keep their spaces.
    "Báo cáo tại https://drive.example.vn/" + "thư-mục-chung/" * 8 + " của Sở Tài chính",
    "Thử  hai  dấu cách và tab\tở giữa =?utf-8?q?không_phải?= encoded-word",
    "ASCII only subject that is long enough to be folded " * 4,
    "Đ",
]
NAMES = [
    "Sở Khoa học và Công nghệ Quảng Ngãi",
    "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi — Phòng Tiêu chuẩn Đo lường Chất lượng (TĐC)",
    'Nguyễn Văn "A", Phòng TĐC',
    "TDC, Quang Ngai",
]


def raw_mail(subject: str, name: str) -> bytes:
    smtp = SmtpSettings(host="127.0.0.1", sender="tdc@skhcn.quangngai.example", sender_name=name)
    draft = Draft("de-an-996", 1, "reminder", "overdue-1", ["vanthu@sotc.quangngai.example"], subject, "Kính gửi")
    return build_message(draft, "<t@baocao>", smtp, dt.datetime(2025, 8, 18, 2, 0, tzinfo=dt.UTC)).as_bytes(
        policy=OUTBOUND
    )


def unfolded_compat32(raw: bytes, name: str) -> str:
    """compat32 keeps the folding; unfold it (RFC 5322 §2.2.3) as a reader does."""
    return re.sub(r"\r?\n(?=[ \t])", "", email.message_from_bytes(raw, policy=compat32)[name])


def decoded_compat32(raw: bytes, name: str) -> str:
    return str(make_header(decode_header(unfolded_compat32(raw, name))))


def sender_compat32(raw: bytes) -> tuple[str, str]:
    """The classic way: split the address first, then decode the display name."""
    phrase, addr = email.utils.parseaddr(unfolded_compat32(raw, "From"))
    return str(make_header(decode_header(phrase))), addr


def one_form_for_all(name: str) -> bool:
    """No two encoded-words side by side: every decoder reads the same name."""
    pieces = encode_display_name(name)
    return not any(a.startswith("=?") and b.startswith("=?") for a, b in zip(pieces, pieces[1:], strict=False))


def from_words(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = re.search(r"^From:.*?(?=\r\n\S)", head, re.S | re.M).group(0).split("\r\n")
    assert all(len(line) <= 76 for line in lines), lines
    return re.findall(r"=\?utf-8\?b\?[^?]*\?=", "\r\n".join(lines))


@pytest.mark.parametrize(
    "name", [_Smtp().sender_name, "Sở Khoa học và Công nghệ Quảng Ngãi", "Sở Tài chính", "Phòng TĐC - Sở KH&CN tỉnh Quảng Ngãi"]
)
def test_sender_name_in_short_encoded_words_that_every_decoder_reads_alike(name: str) -> None:
    """The From name: no encoded-word over 75 characters (RFC 2047 §2), several when needed,
    and policy.default and decode_header give back the name with its spaces."""
    raw = raw_mail("Thử", name)
    words = from_words(raw)
    assert words and all(len(w) <= 75 for w in words), words
    assert email.message_from_bytes(raw, policy=default_policy)["From"].addresses[0].display_name == name
    assert sender_compat32(raw) == (name, "tdc@skhcn.quangngai.example")
    assert str(make_header(decode_header(unfolded_compat32(raw, "From")))).startswith(name + " <")


def test_the_default_sender_name_needs_more_than_one_encoded_word() -> None:
    """The project's default sender name is longer than one encoded-word may be."""
    assert len(from_words(raw_mail("Thử", _Smtp().sender_name))) > 1


@pytest.mark.parametrize("name", NAMES + ["Văn thư Sở Tài chính tỉnh Quảng Ngãi"])
def test_no_encoded_word_of_a_name_is_over_75(name: str) -> None:
    assert all(len(w) <= 75 for w in from_words(raw_mail("Thử", name)))


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("name", NAMES)
def test_every_decoder_reads_back_the_text(subject: str, name: str) -> None:
    subject = " ".join(subject.split()) if "\t" not in subject else subject
    raw = raw_mail(subject, name)
    modern = email.message_from_bytes(raw, policy=default_policy)
    assert modern["Subject"] == subject
    if one_form_for_all(name):
        assert modern["From"].addresses[0].display_name == name
    else:  # Python 3.11 keeps the space between two encoded-words (see encode_display_name)
        assert " ".join(modern["From"].addresses[0].display_name.split()) == name
    assert modern["From"].addresses[0].addr_spec == "tdc@skhcn.quangngai.example"
    assert decoded_compat32(raw, "Subject") == subject
    assert sender_compat32(raw) == (name, "tdc@skhcn.quangngai.example")
    parsed = MailMessage.from_bytes(raw)
    assert parsed.subject == subject
    assert (parsed.from_values.name, parsed.from_values.email) == (name, "tdc@skhcn.quangngai.example")
    assert not modern.defects and not modern["Subject"].defects


@pytest.mark.parametrize("subject", SUBJECTS)
def test_lines_and_words_stay_within_rfc_limits(subject: str) -> None:
    head = raw_mail(subject, NAMES[0]).split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject_lines = re.search(r"^Subject:.*?(?=\r\n\S)", head, re.S | re.M).group(0).split("\r\n")
    assert all(len(line) <= 78 for line in subject_lines), subject_lines
    for word in re.findall(r"=\?utf-8\?b\?[^?]*\?=", "\r\n".join(subject_lines)):
        assert len(word) <= 75
    assert all(len(line) <= 998 for line in head.split("\r\n"))


def test_spaces_sit_inside_encoded_words() -> None:
    """What went wrong before: a folded encoded-word boundary where the text had a space."""
    folded = fold_unstructured("Subject", SUBJECTS[0])
    words = re.findall(r"=\?utf-8\?b\?([^?]*)\?=", folded)
    import base64

    pieces = [base64.b64decode(w).decode("utf-8") for w in words]
    assert "".join(pieces) == SUBJECTS[0] and len(pieces) > 2
    # every piece but the last ends with the space that followed its last word
    assert all(p.endswith(" ") for p in pieces[:-1])


def test_python_default_folding_loses_the_space() -> None:
    """The bug this module exists for (Python 3.11): if this starts passing, the standard
    policy has been fixed and our own folding could be retired."""
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["Subject"] = SUBJECTS[0]
    raw = msg.as_bytes(policy=SMTP)
    assert email.message_from_bytes(raw, policy=default_policy)["Subject"] != SUBJECTS[0]


def test_several_recipients_and_plain_names() -> None:
    from email.headerregistry import Address
    from email.message import EmailMessage

    msg = EmailMessage(policy=OUTBOUND)
    people = [Address("Văn thư Sở Tài chính tỉnh Quảng Ngãi", addr_spec=f"vanthu{i}@sotc.quangngai.example")
              for i in range(4)]
    msg["To"] = [*people, Address(addr_spec="plain@x.vn"), Address("Phong TDC, So KHCN", addr_spec="tdc@x.vn")]
    msg["Subject"] = "Thử"
    msg.set_content("x")
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 998 for line in head.split("\r\n"))
    back = email.message_from_bytes(raw, policy=default_policy)
    # No plain word in "Văn thư Sở Tài chính tỉnh Quảng Ngãi": two encoded-words, read by
    # Python 3.11 with the space between them doubled (see encode_display_name).
    got = [(" ".join(a.display_name.split()), a.addr_spec) for a in back["To"].addresses]
    assert got == [(p.display_name, p.addr_spec) for p in people] + [("", "plain@x.vn"), ("Phong TDC, So KHCN", "tdc@x.vn")]
    assert [(t.name, t.email) for t in MailMessage.from_bytes(raw).to_values][-1] == ("Phong TDC, So KHCN", "tdc@x.vn")
