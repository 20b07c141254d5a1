"""Attribution signals and their disagreements; hostile names; bodies; classification edges."""

from __future__ import annotations

import unicodedata

from parsers.mail import MailMessage, html_to_text, parse_mail, safe_filename
from parsers.mail_classify import AgencyRef, MailHints, attribute, classify, fold, mentions
from parsers.mailids import make_message_id

AGENCIES = [
    AgencyRef(1, "sotp", "Sở Tư pháp", ("STP",), ("sotp@qn.example",)),
    AgencyRef(2, "soyt", "Sở Y tế", ("SYT",), ("soyt@qn.example",)),
    AgencyRef(3, "hhdn", "Hiệp hội Doanh nghiệp tỉnh Quảng Ngãi", ("Hiệp hội DN tỉnh",), ("hhdn@qn.example",)),
    AgencyRef(4, "hhdnkt", "Hiệp hội Doanh nghiệp tỉnh Kon Tum", ("Hiệp hội DN Kon Tum",), ("hhdnkt@kt.example",)),
    AgencyRef(5, "vpubnd", "Văn phòng Ủy ban nhân dân tỉnh", ("VP UBND tỉnh",), ("vp@qn.example",)),
]
HINTS = MailHints(
    our_addresses=frozenset({"tdc@skhcn.example"}),
    topic_words=("996",),
    nil_phrases=("không có nhiệm vụ", "không phát sinh nội dung"),
    ack_phrases=("đã nhận", "sẽ gửi sau"),
)


def test_registered_sender_alone_is_enough():
    got = attribute(AGENCIES, sender="SOTP@qn.example")
    assert got.recipient_id == 1 and got.attributed_by == "sender"


def test_sender_and_document_disagreeing_go_to_review():
    got = attribute(AGENCIES, sender="sotp@qn.example", document_agencies=[("soyt", 0.85)])
    assert got.recipient_id is None and {c["code"] for c in got.candidates} == {"sotp", "soyt"}
    assert "nhiều đơn vị" in (got.review_reason or "")


def test_weak_document_does_not_override_the_sender():
    got = attribute(AGENCIES, sender="sotp@qn.example", document_agencies=[("soyt", 0.3)])
    assert got.recipient_id == 1


def test_document_identity_with_unknown_sender():
    got = attribute(AGENCIES, sender="canhan@gmail.example", document_agencies=[("soyt", 0.85)])
    assert got.recipient_id == 2 and got.attributed_by == "document"


def test_text_alone_is_weak_evidence():
    got = attribute(AGENCIES, sender="canhan@gmail.example", text="Sở Y tế xin gửi báo cáo")
    assert got.recipient_id is None and got.candidates[0]["code"] == "soyt"
    assert "yếu" in (got.review_reason or "")


def test_forward_inner_sender_counts_and_unknown_org_counts_nowhere():
    assert attribute(AGENCIES, sender="staff@skhcn.example", forward_senders=["soyt@qn.example"]).recipient_id == 2
    nobody = attribute(AGENCIES, sender="x@congty.example", text="Công ty TNHH Đo lường ABC gửi báo cáo")
    assert nobody.recipient_id is None and nobody.candidates == []


def test_naming_is_accent_folded_and_does_not_confuse_similar_names():
    assert mentions(AGENCIES, "HIEP HOI DOANH NGHIEP TINH KON TUM kinh gui") == {4: 1.0}
    assert set(mentions(AGENCIES, "Hiệp hội Doanh nghiệp tỉnh Quảng Ngãi")) == {3}
    assert mentions(AGENCIES, "so tu phap") == {1: 1.0}
    assert fold("Đề Án 996") == "de an 996"


def _fold_by_every_character(text: str) -> str:
    """`fold` as it was written before its ASCII path: every character's combining class."""
    import re

    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"(?:[^\w&]|_)+", " ", text).split())


def test_fold_of_vietnamese_text_is_the_per_character_fold():
    """Vietnamese text takes a faster path (ASCII once its accents are off); what it gives is
    the per-character fold's, also next to marks outside Vietnamese, the combining grapheme
    joiner (kept: combining class 0), "&", "_", tabs, digits and letters of other scripts."""
    import random

    texts = [
        "Kính gửi Sở KHCN, gửi kèm BÁO CÁO Đề án 996 (số 12/BC-STP) — 1.250 / 12,5%",
        "Re: TL: V/v phối hợp báo cáo sơ kết\tĐề án 996_2025 R&D [ok]",
        "Ứng dụng ỳ ỷ ỹ ỵ ẫ ẵ ậ ặ ệ ộ ợ ự",
        "a\u034fb c\u0301d e\u0483f",  # the joiner, a Vietnamese mark, a Cyrillic combining mark
        "İstanbul ß ǅ ﬁ 𝔄 中文 العربية",
        "",
    ]
    rng = random.Random(14)
    alphabet = [chr(c) for c in range(0x20, 0x3A0)] + list("đĐăâêôơưạảấầẩẫậ\u034f\u0483")
    texts += ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(500)]
    for text in texts:
        assert fold(text) == _fold_by_every_character(text), text


def _mail(**kw) -> MailMessage:
    base = {"from_addr": "sotp@qn.example", "subject": "Báo cáo 996", "body_text": ""}
    base.update(kw)
    return MailMessage(**base)


def test_classification_edges():
    assert classify(_mail(message_id=make_message_id("reminder")), [], HINTS).kind == "own"
    assert classify(_mail(from_addr="tdc@skhcn.example"), [], HINTS).kind == "own"
    assert classify(_mail(auto_submitted="auto-replied"), ["report"], HINTS).kind == "auto_reply"
    assert classify(_mail(x_autoreply=True), [], HINTS).kind == "auto_reply"
    assert classify(_mail(precedence="auto_reply"), [], HINTS).kind == "auto_reply"
    assert classify(_mail(subject="Out of Office: Báo cáo"), [], HINTS).kind == "auto_reply"
    assert classify(_mail(auto_submitted="no"), ["report"], HINTS).kind == "submission"
    assert classify(_mail(), ["not_a_report", "nil_report"], HINTS).kind == "nil_report"
    assert classify(_mail(body_text="Đơn vị KHÔNG CÓ NHIỆM VỤ liên quan."), [], HINTS, known_sender=True).kind == "nil_report"
    assert classify(_mail(body_text="Đã nhận, sẽ gửi sau."), [], HINTS, known_sender=True).kind == "acknowledgement"
    # "đã nhận" from a stranger about something else is not a promise to report.
    stranger = _mail(from_addr="x@shop.example", subject="Đơn hàng", body_text="Chúng tôi đã nhận đơn hàng.")
    assert classify(stranger, [], HINTS).kind == "unrelated"
    # An agency's mail about the campaign whose file is no outline report: a person looks.
    assert classify(_mail(), ["not_a_report"], HINTS, known_sender=True).kind == "files_to_check"
    assert classify(_mail(list_id="<x.list>"), [], HINTS).kind == "unrelated"


def test_hostile_filenames_become_safe_nfc_base_names():
    assert safe_filename("../../x.docx") == "x.docx"
    assert safe_filename("C:\\Users\\a\\Desktop\\Báo cáo.docx") == "Báo cáo.docx"
    nfd = unicodedata.normalize("NFD", "Báo cáo Sở Y tế.docx")
    assert safe_filename(nfd) == unicodedata.normalize("NFC", nfd)
    assert safe_filename('a<b>:"c|?*.docx') == "a_b___c___.docx"
    assert safe_filename("", 3, "application/pdf") == "tep-dinh-kem-3.pdf"
    assert safe_filename("..").startswith("tep-dinh-kem")
    assert len(safe_filename("dài" * 200 + ".docx").encode()) <= 200


def test_html_body_to_text():
    text = html_to_text("<html><style>.x{}</style><body><p>Dòng&nbsp;một</p><div>Dòng <b>hai</b><br>ba</div><script>x()</script></body></html>")
    assert text.splitlines() == ["Dòng một", "", "Dòng hai", "ba"]
    assert "x()" not in text and ".x" not in text


def test_size_cap_keeps_the_file_but_rejects_it():
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
        b"--z\r\nContent-Type: text/plain\r\n\r\nhi\r\n--z\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=big.docx\r\n\r\n" + b"x" * 5000 + b"\r\n--z--\r\n"
    )
    mail = parse_mail(raw, max_attachment_bytes=1000)
    att = mail.attachments[0]
    assert att.rejected and "quá lớn" in att.rejected and att.size >= 5000


def test_malformed_message_does_not_raise():
    mail = parse_mail(b"\x00\xff garbage without headers")
    assert mail.attachments == [] and mail.from_addr is None
    broken_date = parse_mail(b"From: a@b.example\r\nDate: not a date\r\n\r\nbody")
    assert broken_date.date is None and broken_date.body_text == "body"


def test_quoted_request_text_does_not_make_a_nil_report():
    body = (
        "Đã nhận, sẽ gửi sau.\n\nVào Thứ 2, 9/6/2025 lúc 08:00 Sở KH&CN <tdc@skhcn.example> đã viết:\n"
        "> Nếu đơn vị không có nhiệm vụ, xin ghi rõ không phát sinh nội dung.\n"
    )
    mail = _mail(body_text=body)
    assert mail.new_text == "Đã nhận, sẽ gửi sau."
    assert classify(mail, [], HINTS, known_sender=True).kind == "acknowledgement"
    outlook = _mail(body_text="Đã nhận.\n\nFrom: TĐC <tdc@skhcn.example>\nSent: Monday\nkhông có nhiệm vụ")
    assert classify(outlook, [], HINTS, known_sender=True).kind == "acknowledgement"


def test_auto_forwarded_report_is_still_a_submission():
    assert classify(_mail(auto_submitted="auto-forwarded"), ["report"], HINTS).kind == "submission"


def test_our_staff_forwarding_a_report_is_not_our_own_mail():
    fwd = _mail(from_addr="tdc@skhcn.example", inline_forward_from="soyt@qn.example")
    assert classify(fwd, ["report"], HINTS).kind == "submission"
    assert classify(_mail(from_addr="tdc@skhcn.example"), [], HINTS).kind == "own"


def test_domain_used_by_one_recipient_supports_but_does_not_decide():
    alone = attribute(AGENCIES, sender="chanhvanphong@kt.example")
    assert alone.recipient_id is None and alone.candidates[0]["code"] == "hhdnkt"
    both = attribute(AGENCIES, sender="chanhvanphong@kt.example", text="Hiệp hội Doanh nghiệp tỉnh Kon Tum")
    assert both.recipient_id == 4 and both.attributed_by == "domain+text"
    shared = attribute(AGENCIES, sender="someone@qn.example")  # the province's shared domain says nothing
    assert shared.candidates == []


def test_agency_reply_to_our_mail_without_report_is_a_contact():
    ours = make_message_id("reminder")
    reply = _mail(subject="Re: Nhắc báo cáo", body_text="Em gửi anh ạ.", in_reply_to=ours)
    assert classify(reply, [], HINTS, known_sender=True).kind == "acknowledgement"
    assert classify(reply, [], HINTS, known_sender=False).kind == "unrelated"  # a stranger: nothing
    other = _mail(subject="Về dự toán ngân sách", body_text="Đề nghị bổ sung hồ sơ.")
    assert classify(other, [], HINTS, known_sender=True).kind == "unrelated"  # other business


def test_plain_text_bounce_names_the_failed_address():
    bounce = _mail(
        from_addr="mailer-daemon@mx.example",
        subject="Mail delivery failed: returning message to sender",
        body_text="This message could not be delivered to:\n  ldld@qn.example\n  user unknown",
    )
    got = classify(bounce, [], HINTS)
    assert got.kind == "bounce" and got.bounced == ["ldld@qn.example"]


def test_same_report_twice_with_a_misread_identity_stays_one_submission():
    """Word + PDF of one report (same number) where the PDF's letterhead was misread."""
    from parsers.model import Agency, ParseResult
    from parsers.responses import Candidate, plan_units

    def cand(fmt: str, code: str, part: int) -> Candidate:
        result = ParseResult(file=f"bc.{fmt}", format=fmt, kind="report", agency=Agency(code, code, 0.9), doc_number="15/BC-STP", sha256=f"{part:064d}")
        return Candidate(result, part)

    units = plan_units(
        AGENCIES,
        "submission",
        [cand("pdf", "soyt", 2), cand("docx", "sotp", 1)],
        sender="sotp@qn.example",
        forwards=[],
        text="",
        fallback_key="k",
        source_key="mail:1",
    )
    assert len(units) == 1 and units[0].candidate.result.format == "docx"
    assert units[0].attribution.recipient_id == 1  # the misread copy does not contradict the sender


def _mail(**kw) -> MailMessage:
    base = {"from_addr": "sotp@qn.example", "subject": "Re: V/v báo cáo Đề án 996", "in_reply_to": "<x@other.example>"}
    return MailMessage(**{**base, **kw})


def test_bare_reply_of_a_registered_sender_on_the_thread_is_a_contact():
    mail = _mail(body_text="Dạ, bên em nhận được công văn rồi ạ. Bên em sẽ gửi sớm.")
    assert classify(mail, [], HINTS, known_sender=True).kind == "acknowledgement"
    other = _mail(subject="V/v góp ý dự thảo kế hoạch chuyển đổi số", body_text="Gửi ý kiến góp ý.")
    assert classify(other, [], HINTS, known_sender=True).kind == "unrelated"  # another business
    bare = _mail(body_text="Dạ, bên em nhận được công văn rồi ạ.")
    assert classify(bare, [], HINTS, known_sender=True).kind == "acknowledgement"
    assert classify(bare, [], HINTS, known_sender=False).kind == "unrelated"  # a stranger's "ok"


def test_nil_answer_in_the_agencys_own_words():
    mail = _mail(body_text="Đơn vị không được phân công thực hiện nhiệm vụ nào thuộc Đề án 996, vì vậy không báo cáo.")
    assert classify(mail, [], HINTS, known_sender=True).kind == "nil_report"
    busy = _mail(body_text="Nếu không có gì thay đổi, đơn vị sẽ gửi sau.")
    assert classify(busy, [], HINTS, known_sender=True).kind == "acknowledgement"


def test_plain_text_ndr_marks_only_the_failed_address_not_the_quoted_recipients():
    body = (
        "Không thể gửi thư tới những người nhận sau:\n\nsoyt@qn.example\nRemote Server returned '550 5.1.1'\n\n"
        "Original message headers:\n\nFrom: tdc@skhcn.example\nTo: sotp@qn.example, soyt@qn.example, vp@qn.example\n"
    )
    mail = MailMessage(
        from_addr="microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@qn.example", from_name="Microsoft Outlook",
        subject="Undeliverable: V/v báo cáo Đề án 996", body_text=body,
    )
    got = classify(mail, [], HINTS)
    assert got.kind == "bounce" and got.bounced == ["soyt@qn.example"]


def test_delayed_dsn_names_no_failed_recipient():
    raw = (
        b"From: MAILER-DAEMON@mx.example\r\nSubject: Delayed Mail\r\nMessage-ID: <d@mx.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"warning only\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; soyt@qn.example\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n--b--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.report_type == "delivery-status" and mail.failed_recipients == []


def test_outlook_forward_without_marker_names_the_original_sender():
    html = (
        "<p>Em chuyển báo cáo của đơn vị.</p><div><p><b>From:</b> Sở Y tế &lt;soyt@qn.example&gt;<br>"
        "<b>Sent:</b> Thursday, August 14, 2025 4:40 PM<br><b>To:</b> Hoa<br><b>Subject:</b> BC 996</p></div><p>Gửi báo cáo.</p>"
    )
    raw = (
        "From: Hoa <hoa@outlook.example>\r\nSubject: FW: BC 996\r\nMessage-ID: <f@o.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html
    ).encode()
    assert parse_mail(raw).inline_forward_from == "soyt@qn.example"
    reply = raw.replace(b"Subject: FW: BC 996", b"Subject: RE: BC 996")
    assert parse_mail(reply).inline_forward_from is None  # a reply quotes, it does not forward


def test_signature_logo_shown_through_cid_is_not_a_file():
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["Subject"] = "sotp@qn.example", "RE: BC 996"
    msg.set_content('<p>Gửi báo cáo.</p><img src="cid:image001.png@01DC">', subtype="html")
    msg.add_related(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="<image001.png@01DC>", filename="image001.png", disposition="inline")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="anh chup bao cao.png")
    names = [a.filename for a in parse_mail(msg.as_bytes()).attachments]
    assert names == ["anh chup bao cao.png"]  # a photo sent as a file stays a file


def test_forward_author_beats_the_agency_that_passed_it_on():
    got = attribute(AGENCIES, sender="sotp@qn.example", forward_senders=["soyt@qn.example"], document_agencies=[("soyt", 0.85)])
    assert got.recipient_id == 2 and "forward" in (got.attributed_by or "")
    # Without a forward the same disagreement stays with a person.
    assert attribute(AGENCIES, sender="sotp@qn.example", document_agencies=[("soyt", 0.85)]).recipient_id is None


def test_a_promise_outweighs_a_nil_sounding_phrase():
    mail = _mail(body_text="Một số đơn vị cơ sở không có số liệu kịp thời nên xin gia hạn đến ngày 22/8.")
    assert classify(mail, [], HINTS, known_sender=True).kind == "acknowledgement"
    nil = _mail(body_text="Đơn vị không có nhiệm vụ thực hiện Đề án. Đã nhận công văn.")
    assert classify(nil, [], HINTS, known_sender=True).kind == "nil_report"


def test_everyday_acknowledgement_words_on_other_business_are_not_an_answer():
    hints = MailHints(topic_words=("996", "đo lường"), ack_phrases=("đã nhận", "sẽ gửi sau"),
                      request_subject="V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn 2018 – 2025")
    other = _mail(subject="RE: V/v kiểm định phương tiện đo lường nhóm 2", body_text="Dạ đã nhận, lịch sẽ gửi sau.")
    assert classify(other, [], hints, known_sender=True).kind == "unrelated"
    thread = _mail(subject="TL: V/v phối hợp báo cáo sơ kết Đề án", body_text="Đã nhận ạ.")  # subject cut short, no "996"
    assert classify(thread, [], hints, known_sender=True).kind == "acknowledgement"


def test_thread_tag_and_path_are_medium_signals_two_agreeing_settle():
    from parsers.naming import path_words, subject_tags

    assert subject_tags("[Sở Tư pháp] Báo cáo Đề án 996") == ["Sở Tư pháp"]
    assert path_words("So Tu phap/BaoCao_SoTuPhap_2025.docx") == "So Tu phap Bao Cao So Tu Phap 2025"
    # One medium signal alone: a person decides, the candidate preselected.
    for alone in (
        attribute(AGENCIES, sender="canhan@gmail.example", thread_recipient=1),
        attribute(AGENCIES, sender=None, tags=["Sở Tư pháp"]),
        attribute(AGENCIES, sender=None, path="So Tu phap/bao cao.docx"),
    ):
        assert alone.recipient_id is None and alone.candidates[0]["code"] == "sotp", alone
    # Two agreeing medium signals settle it.
    both = attribute(AGENCIES, sender="canhan@gmail.example", thread_recipient=1, tags=["STP"])
    assert both.recipient_id == 1 and both.attributed_by == "tag+thread"
    named = attribute(AGENCIES, sender=None, path="SoTuPhap/BC.docx", document_agencies=[("sotp", 0.5)])
    assert named.recipient_id == 1 and named.attributed_by == "document+name"
    # Without diacritics, without spaces, with a slip: still the agency; never a similar one.
    assert attribute(AGENCIES, sender=None, path="HIEP HOI DOANH NGHIEP TINH KON TUM/x.docx").candidates[0]["code"] == "hhdnkt"
    assert attribute(AGENCIES, sender=None, path="hiephoidoanhnghieptinhquangngai.xlsx").candidates[0]["code"] == "hhdn"
    # Medium signals that disagree: review, both candidates.
    split = attribute(AGENCIES, sender="canhan@gmail.example", thread_recipient=1, tags=["Sở Y tế"], path="SoYTe/a.docx")
    assert split.recipient_id is None and {c["code"] for c in split.candidates} == {"sotp", "soyt"}
    # A registered sender is strong: a rival tag does not overturn it into a guess.
    assert attribute(AGENCIES, sender="soyt@qn.example", thread_recipient=2).recipient_id == 2


def test_files_that_are_no_report_in_a_mail_meant_as_the_answer_go_to_a_person():
    """The agency's own report in another form (on the plan the request cites, Kế hoạch
    101/KH-UBND) is neither unrelated nor recorded: a person decides."""
    hints = MailHints(topic_words=("996", "đo lường"), request_subject="V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn 2018 – 2025")
    own = _mail(subject="Báo cáo Đề án 996 (Kế hoạch 101/KH-UBND) - Sở Tài chính", in_reply_to=None)
    got = classify(own, ["not_a_report"], hints, known_sender=True)
    assert got.kind == "files_to_check" and "cán bộ cần xem" in got.reason
    # A stranger's mail about the campaign (a unit's staff on a personal address): the same.
    assert classify(own, ["not_a_report"], hints, known_sender=False).kind == "files_to_check"
    # A reply to our request, whatever its subject says.
    reply = _mail(subject="Gửi tài liệu", in_reply_to=make_message_id("request"), body_text="Em gửi ạ.")
    assert classify(reply, ["not_a_report"], hints, known_sender=False).kind == "files_to_check"
    # A registered agency saying it sends a report ("gửi báo cáo"), without the campaign's words.
    says = _mail(subject="Gửi báo cáo", in_reply_to=None, body_text="Sở Tài chính gửi báo cáo (đính kèm).")
    assert classify(says, ["not_a_report"], hints, known_sender=True).kind == "files_to_check"


def test_files_from_strangers_or_other_business_stay_unrelated():
    hints = MailHints(topic_words=("996", "đo lường"), request_subject="V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn 2018 – 2025")
    stranger = _mail(from_addr="news@shop.example", subject="Khuyến mãi tháng 8", in_reply_to=None, body_text="Xem tệp đính kèm.")
    assert classify(stranger, ["not_a_report"], hints, known_sender=False).kind == "unrelated"
    # A registered agency on other business (no campaign words, no report, not our thread).
    other = _mail(subject="V/v góp ý dự thảo kế hoạch chuyển đổi số", in_reply_to=None, body_text="Gửi ý kiến góp ý.")
    assert classify(other, ["not_a_report"], hints, known_sender=True).kind == "unrelated"
    # A file that says it is something else (a plan "…/KH-…", an invitation): the agency's other
    # business on the programme, not its report — unless another file may be the report.
    plan = _mail(subject="Kế hoạch phổ biến pháp luật về đo lường", in_reply_to=None, body_text="Gửi Kế hoạch thực hiện Đề án 996.")
    assert classify(plan, ["not_a_report"], hints, known_sender=True, doc_types=["ke_hoach"]).kind == "unrelated"
    both = classify(plan, ["not_a_report", "not_a_report"], hints, known_sender=True, doc_types=["ke_hoach", "bao_cao"])
    assert both.kind == "files_to_check"
    # A mailing list naming the campaign is still bulk mail.
    listed = _mail(subject="Bản tin: Đề án 996", in_reply_to=None, list_id="<tin.example>")
    assert classify(listed, ["not_a_report"], hints, known_sender=True).kind == "unrelated"
