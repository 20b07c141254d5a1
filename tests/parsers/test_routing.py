"""Routing between open campaigns (pure): each signal, its weight, doubt, files by outline."""

from __future__ import annotations

from parsers.routing import (
    CampaignRef,
    ThreadRef,
    envelope_addresses,
    read_reply_token,
    reply_token_address,
    route_message,
)

A = CampaignRef(
    "de-an-996",
    number="1234/SKHCN-TĐC",
    subject="V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn từ năm 2018 – 2025",
    emails=frozenset({"sotp@qn.example", "soyt@qn.example"}),
    codes=frozenset({"sotp", "soyt"}),
)
B = CampaignRef(
    "kiem-tra-do-luong-2025",
    number="1301/SKHCN-TĐC",
    subject="V/v báo cáo kết quả kiểm tra nhà nước về đo lường năm 2025",
    emails=frozenset({"sotp@qn.example", "socongthuong@qn.example"}),
    codes=frozenset({"sotp", "soct"}),
)
BOTH = [A, B]


def test_one_open_campaign_takes_everything_without_evidence():
    route = route_message([A], subject="hello", outline={0: {"de-an-996": 0.0}})
    assert route.targets == ["de-an-996"] and route.files == {0: "de-an-996"} and not route.doubt


def test_threading_in_reply_to_our_request_routes():
    threads = {"<baocao.request.1@baocao.invalid>": ThreadRef("kiem-tra-do-luong-2025", "request", "sotp")}
    route = route_message(BOTH, subject="Re: gửi báo cáo", in_reply_to="<baocao.request.1@baocao.invalid>", threads=threads)
    assert route.campaign_id == "kiem-tra-do-luong-2025" and not route.doubt
    assert [e.signal for e in route.evidence] == ["in_reply_to"]


def test_references_alone_are_weaker_than_a_direct_reply():
    threads = {
        "<r1@baocao.invalid>": ThreadRef("de-an-996", "reminder"),
        "<r2@baocao.invalid>": ThreadRef("kiem-tra-do-luong-2025", "request"),
    }
    route = route_message(BOTH, in_reply_to="<r1@baocao.invalid>", references=["<r2@baocao.invalid>", "<r1@baocao.invalid>"], threads=threads)
    # 4 against 2: a lead of exactly MIN_LEAD is enough.
    assert route.scores == {"de-an-996": 4, "kiem-tra-do-luong-2025": 2}
    assert route.campaign_id == "de-an-996"


def test_request_number_in_subject_routes_and_a_placeholder_number_proves_nothing():
    route = route_message(BOTH, subject="Báo cáo theo Công văn số 1301 / SKHCN-TĐC")
    assert route.campaign_id == "kiem-tra-do-luong-2025"
    blank = CampaignRef("x", number="…/SKHCN-TĐC", subject="")
    assert route_message([blank, A], subject="Công văn …/SKHCN-TĐC").scores["x"] == 0


def test_number_in_body_and_subject_quoted_from_the_request():
    route = route_message(BOTH, subject="Re: V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn 2018-2025")
    assert route.campaign_id == "de-an-996" and route.evidence[0].signal == "subject"
    body = route_message(BOTH, subject="Báo cáo", body="Thực hiện Công văn số 1234/SKHCN-TĐC của Sở, chúng tôi gửi…")
    assert body.campaign_id == "de-an-996" and body.evidence[0].signal == "number_body"


def test_sender_of_only_one_campaign_routes_but_a_shared_sender_does_not():
    assert route_message(BOTH, senders=["SoYT@qn.example"]).campaign_id == "de-an-996"
    shared = route_message(BOTH, senders=["sotp@qn.example"])
    assert shared.doubt and shared.targets == [] and shared.candidates == ["de-an-996", "kiem-tra-do-luong-2025"]


def test_conflicting_evidence_is_doubt():
    threads = {"<m@baocao.invalid>": ThreadRef("de-an-996", "request")}
    route = route_message(BOTH, subject="Báo cáo theo công văn 1301/SKHCN-TĐC", in_reply_to="<m@baocao.invalid>", threads=threads)
    assert route.scores == {"de-an-996": 4, "kiem-tra-do-luong-2025": 3} and route.doubt


def test_the_outline_beats_the_thread_for_a_file_and_a_cover_letter_follows_it():
    threads = {"<m@baocao.invalid>": ThreadRef("de-an-996", "request")}
    outline = {0: {"de-an-996": 0.05, "kiem-tra-do-luong-2025": 0.8}, 1: {"de-an-996": 0.0, "kiem-tra-do-luong-2025": 0.0}}
    route = route_message(BOTH, in_reply_to="<m@baocao.invalid>", threads=threads, outline=outline)
    assert route.campaign_id == "de-an-996"  # the message says 996 …
    assert route.files == {0: "kiem-tra-do-luong-2025", 1: "de-an-996"}  # … the report is the other one's
    nothing_said = route_message(BOTH, outline=outline)
    assert nothing_said.files == {0: "kiem-tra-do-luong-2025", 1: "kiem-tra-do-luong-2025"} and not nothing_said.doubt


def test_one_message_answering_both_requests_splits_by_outline():
    outline = {0: {"de-an-996": 0.7, "kiem-tra-do-luong-2025": 0.1}, 1: {"de-an-996": 0.0, "kiem-tra-do-luong-2025": 0.9}}
    route = route_message(BOTH, senders=["sotp@qn.example"], outline=outline)
    assert route.targets == ["de-an-996", "kiem-tra-do-luong-2025"] and route.files_for("de-an-996") == [0]


def test_similar_outlines_leave_the_file_to_the_message_or_to_a_person():
    outline = {0: {"de-an-996": 0.5, "kiem-tra-do-luong-2025": 0.45}}
    assert route_message(BOTH, outline=outline).doubt
    assert route_message(BOTH, outline=outline, senders=["soct@x"], subject="1301/SKHCN-TĐC").files == {0: "kiem-tra-do-luong-2025"}


def test_reply_token_round_trip_is_exact_and_strongest():
    address = reply_token_address("tdc@skhcn.example", "kiem-tra-do-luong-2025", "sotp")
    assert address == "tdc+kiem-tra-do-luong-2025.sotp@skhcn.example"
    token = read_reply_token(["Other@x.example", address.upper()], "tdc@skhcn.example", BOTH)
    assert token is not None and (token.campaign_id, token.code) == ("kiem-tra-do-luong-2025", "sotp")
    assert read_reply_token(["tdc+de-an-996.nobody@skhcn.example"], "tdc@skhcn.example", BOTH) is None
    assert read_reply_token(["tdc+de-an-996.sotp@elsewhere.example"], "tdc@skhcn.example", BOTH) is None
    threads = {"<m@baocao.invalid>": ThreadRef("de-an-996", "request")}
    route = route_message(BOTH, in_reply_to="<m@baocao.invalid>", threads=threads, token=token)
    assert route.campaign_id == "kiem-tra-do-luong-2025" and route.token == token


def test_campaign_ids_with_dots_and_the_longest_match():
    dotted = CampaignRef("dl.2025", codes=frozenset({"sotp"}))
    token = read_reply_token(["tdc+dl.2025.sotp@s.example"], "tdc@s.example", [dotted, A])
    assert token is not None and token.campaign_id == "dl.2025"


def test_envelope_addresses_read_delivery_headers():
    raw = (
        b"Delivered-To: tdc+de-an-996.sotp@skhcn.example\r\nTo: =?utf-8?b?UGjDsm5nIFTEkEM=?= <tdc@skhcn.example>\r\n"
        b"Cc: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"
    )
    assert envelope_addresses(raw) == ["tdc@skhcn.example", "a@b.example", "tdc+de-an-996.sotp@skhcn.example"]


def test_outline_match_counts_the_outlines_own_words_not_its_numbering():
    from parsers.model import Indicator, OutlineSpec, ParseResult, RowSpec, SectionSpec
    from parsers.routing import distinctive_words, outline_match
    from parsers.textnorm import fold_words

    a = OutlineSpec(
        sections=(SectionSpec("1.a", "Về xây dựng kế hoạch thực hiện Đề án 996"), SectionSpec("1.b", "Kết quả tuyên truyền")),
        rows=(RowSpec("1", "", "Số cán bộ được bồi dưỡng"),),
        table_title="Định lượng kết quả",
    )
    b = OutlineSpec(
        sections=(SectionSpec("1.a", "Kết quả kiểm tra cột đo xăng dầu"), SectionSpec("1.b", "Kết quả kiểm tra hàng đóng gói sẵn")),
        rows=(RowSpec("1", "", "Cơ sở xăng dầu được kiểm tra"),),
        table_title="Số liệu kiểm tra",
    )
    words = distinctive_words({"a": a, "b": b})
    assert "ket" not in words["a"] | words["b"] and {"xang", "goi"} <= words["b"]
    text = "BÁO CÁO Kết quả kiểm tra. 1. a) Kiểm tra cột đo xăng dầu: 38 cơ sở. b) Hàng đóng gói sẵn: 12 cơ sở."
    doc = ParseResult(file="bc.docx", words=frozenset(fold_words(text).split()))
    assert outline_match(doc, b, words["b"]) > 0.5 > outline_match(doc, a, words["a"]) == 0.0
    sheet = ParseResult(file="bieu.xlsx", indicators={"1": Indicator(plan=20, result=25)})
    assert outline_match(sheet, a, words["a"]) == 1.0  # figures for every row: a spreadsheet has few words
    assert outline_match(ParseResult(file="z.zip", members=[doc]), b, words["b"]) == outline_match(doc, b, words["b"])


REQUEST_A = {"<req-a@baocao.invalid>": ThreadRef("de-an-996", "request", "sotp")}
A_REPLY = "Re: V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn từ năm 2018 – 2025"


def test_a_reply_in_one_thread_citing_the_other_request_is_doubt():
    # Reply pressed on the 996 request; the agency's own words cite the other request.
    for body in (
        "Sở Tư pháp không phát sinh nội dung báo cáo theo Công văn số 1301/SKHCN-TĐC.",
        "Không phát sinh nội dung báo cáo theo CV 1301 / SKHCN - TĐC",  # without "số", spaced
        "Về việc báo cáo kết quả kiểm tra nhà nước về đo lường năm 2025: đơn vị không phát sinh.",  # subject only
    ):
        route = route_message(BOTH, subject=A_REPLY, body=body, senders=["sotp@qn.example"],
                              in_reply_to="<req-a@baocao.invalid>", threads=REQUEST_A)
        assert route.scores["de-an-996"] - route.scores["kiem-tra-do-luong-2025"] >= 2, body  # the thread wins on points…
        assert route.doubt and route.campaign_id is None and route.targets == [], body  # …but the text says otherwise
        assert route.candidates == ["de-an-996", "kiem-tra-do-luong-2025"], body
        assert route.contradicted == "de-an-996" and route.cited == ["kiem-tra-do-luong-2025"], body
        assert route.to_json()["cited"] == ["kiem-tra-do-luong-2025"]


def test_a_reply_citing_its_own_request_or_nothing_follows_the_thread():
    for body in ("Thực hiện Công văn số 1234/SKHCN-TĐC, Sở không phát sinh nội dung báo cáo.", "Không phát sinh nội dung báo cáo."):
        route = route_message(BOTH, subject=A_REPLY, body=body, in_reply_to="<req-a@baocao.invalid>", threads=REQUEST_A)
        assert route.campaign_id == "de-an-996" and not route.doubt and route.contradicted is None, body
    # Citing both requests: it answers the one it replies to (and names the other beside it).
    both = route_message(BOTH, subject=A_REPLY, body="Theo Công văn số 1234/SKHCN-TĐC và Công văn số 1301/SKHCN-TĐC",
                         in_reply_to="<req-a@baocao.invalid>", threads=REQUEST_A)
    assert both.campaign_id == "de-an-996" and not both.doubt


def test_a_subject_citing_the_other_request_under_a_thread_is_doubt_even_with_a_lead():
    # Thread (4) + sender of one campaign only (2) against the other's number in the subject (3).
    route = route_message(BOTH, subject="Báo cáo theo Công văn 1301/SKHCN-TĐC", senders=["soyt@qn.example"],
                          in_reply_to="<req-a@baocao.invalid>", threads=REQUEST_A)
    assert route.scores == {"de-an-996": 6, "kiem-tra-do-luong-2025": 3}
    assert route.doubt and route.cited == ["kiem-tra-do-luong-2025"]


def test_a_file_matching_an_outline_still_goes_by_it_when_the_text_contradicts_the_thread():
    route = route_message(BOTH, subject=A_REPLY, body="Gửi báo cáo theo Công văn số 1301/SKHCN-TĐC",
                          in_reply_to="<req-a@baocao.invalid>", threads=REQUEST_A,
                          outline={0: {"de-an-996": 0.05, "kiem-tra-do-luong-2025": 0.8}})
    assert not route.doubt and route.files == {0: "kiem-tra-do-luong-2025"}


def test_text_alone_never_contradicts_itself():
    # No thread, token or sender: the text's own citations are the evidence (a dropped file).
    route = route_message(BOTH, subject="Re: V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn từ năm 2018 – 2025",
                          body="kết quả kiểm tra nhà nước về đo lường năm 2025")
    assert route.campaign_id == "de-an-996" and route.contradicted is None
