"""Values people type in the workspace's forms: refused with a Vietnamese message when the
report could not use them, mapped to the outline's own ids when they name the same thing."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.web.conftest import csrf_of
from tests.web.test_routes import _submitted
from tests.web.test_vietnamese_errors import _flash


def _corrections(web_app) -> list[tuple[str, str, object]]:
    from storage.models import Correction

    with web_app.session() as session:
        return [(c.target, c.item_id, c.new_value.get("value")) for c in session.query(Correction).order_by(Correction.id)]


def _correct(client, code: str, sub_id: int, **data: str) -> str:
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    resp = client.post(f"/don-vi/{code}/sua", data={"csrf": token, "lan_nop": sub_id, "ly_do": "kiểm tra", **data})
    assert resp.status_code == 303
    return _flash(client, f"/don-vi/{code}")


@pytest.mark.parametrize(("muc", "value", "expected"), [
    ("99", "5", "đề cương không có dòng «99»"),
    (None, "-5", "không được là số âm"),
    (None, "٣", "chỉ dùng chữ số 0–9"),
    (None, "１２", "chỉ dùng chữ số 0–9"),
    (None, "12%", "chỉ dùng chữ số 0–9"),  # a percent sign only in the rate column
])
def test_a_figure_the_report_could_not_use_is_refused(client_for, web_app, muc, value, expected) -> None:
    code, sub_id, row_id = _submitted(web_app)
    client = client_for("canbo")
    message = _correct(client, code, sub_id, loai="indicator", muc=muc or row_id, cot="plan", gia_tri=value)
    assert expected in message[:1].lower() + message[1:] and message[:1].isupper() and "Đã ghi nhận" not in message
    assert _corrections(web_app) == []


def test_a_rate_may_be_typed_with_its_percent_sign(client_for, web_app) -> None:
    code, sub_id, row_id = _submitted(web_app)
    message = _correct(client_for("canbo"), code, sub_id, loai="indicator", muc=row_id, cot="rate", gia_tri="72,5%")
    assert "Đã ghi nhận" in message
    assert _corrections(web_app) == [("indicator", row_id, 72.5)]
    from storage.models import Event

    with web_app.session() as session:
        logged = session.query(Event).filter_by(kind="value_corrected").one().message
    assert "cột tỷ lệ (%)" in logged and "→ 72,5%;" in logged  # as the report prints a rate


@pytest.mark.parametrize("typed", ["2.2.đ", "2.2.Đ", unicodedata.normalize("NFD", "2.2.đ"), "2.2.dd"])
def test_a_section_named_as_the_outline_prints_it_is_the_outlines_section(client_for, web_app, typed) -> None:
    code, sub_id, _ = _submitted(web_app)
    client = client_for("canbo")
    message = _correct(client, code, sub_id, loai="section", muc=typed, cot="text", gia_tri="Nội dung đã sửa của mục đ")
    assert "Đã ghi nhận" in message
    assert _corrections(web_app) == [("section", "2.2.dd", "Nội dung đã sửa của mục đ")]
    page = client.get(f"/don-vi/{code}").text
    block = page[page.index('data-muc="2.2.dd"'):][:600]
    assert "Nội dung đã sửa của mục đ" in block  # the page (and the report) key it by the outline's id


def test_a_section_the_outline_lacks_is_refused(client_for, web_app) -> None:
    code, sub_id, _ = _submitted(web_app)
    message = _correct(client_for("canbo"), code, sub_id, loai="section", muc="9.9", cot="text", gia_tri="x")
    assert "Đề cương không có mục «9.9»" in message
    assert _corrections(web_app) == []


def _contacts(web_app, code: str) -> list[str]:
    from storage.campaigns import recipient_by_code

    with web_app.session() as session:
        return sorted(c.email for c in recipient_by_code(web_app.campaign().id, code, session=session).contacts if c.active)


def test_an_address_with_accents_before_the_at_sign_is_refused(client_for, web_app) -> None:
    client = client_for("canbo")
    before = _contacts(web_app, "vpubnd")
    token = csrf_of(client.get("/don-vi/vpubnd").text)
    client.post("/don-vi/vpubnd/email", data={"csrf": token, "cu": "", "moi": "Nguyễn@sở.vn"})
    message = _flash(client, "/don-vi/vpubnd")
    assert "phần trước dấu @" in message and "không dấu" in message
    assert _contacts(web_app, "vpubnd") == before


def test_an_address_on_a_vietnamese_domain_is_kept_in_its_ascii_form(client_for, web_app) -> None:
    client = client_for("canbo")
    token = csrf_of(client.get("/don-vi/vpubnd").text)
    client.post("/don-vi/vpubnd/email", data={"csrf": token, "cu": "", "moi": "vanthu@sở.vn"})
    assert "Đã cập nhật" in _flash(client, "/don-vi/vpubnd")
    ascii_form = "vanthu@" + "sở.vn".encode("idna").decode()
    assert ascii_form in _contacts(web_app, "vpubnd") and ascii_form.isascii()


def test_a_login_name_typed_decomposed_is_the_same_name(web_app, monkeypatch) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from flows.cli.main import cli
    from flows.web.server import build
    from storage.users import user_by_name
    from tests.conftest import CONFIG_DIR

    monkeypatch.setenv("BAOCAO_DATA_DIR", str(web_app.settings.data_dir))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(CONFIG_DIR))
    decomposed = unicodedata.normalize("NFD", "nguyễn")
    added = CliRunner().invoke(cli, ["user", "add", decomposed, "--role", "editor", "--password-stdin", "--nguoi", "An"],
                                input="mat-khau-nguyen\n")
    assert added.exit_code == 0, added.output
    with web_app.session() as session:
        assert user_by_name("nguyễn", session=session) is not None  # stored composed (NFC)
    for typed in [decomposed, "nguyễn", "NGUYỄN"]:
        client = TestClient(build(web_app), follow_redirects=False)
        token = csrf_of(client.get("/dang-nhap").text)
        resp = client.post("/dang-nhap", data={"ten": typed, "mat_khau": "mat-khau-nguyen", "csrf": token})
        assert resp.status_code == 303, typed
        assert client.get("/").status_code == 200, typed


def test_an_uploaded_file_keeps_its_real_name(client_for, web_app) -> None:
    from flows.app import status_report
    from storage.models import Document

    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    name = 'Công văn giấy "x".txt'
    resp = client.post(f"/don-vi/{code}/ghi-nhan", data={"csrf": token, "kenh": "paper", "loai": "acknowledgement", "luc": ""},
                       files={"tep": (name, "hẹn gửi sau".encode(), "text/plain")})
    assert resp.status_code == 303
    with web_app.session() as session:
        doc = session.query(Document).filter(Document.filename.like("Công văn giấy%")).one()
        assert doc.filename == name
        sha = doc.sha256
    page = client.get(f"/don-vi/{code}").text
    assert ">Công văn giấy &#34;x&#34;.txt</a>" in page and "%22x%22.txt<" not in page
    download = client.get(f"/tep/{sha}")
    disposition = download.headers["content-disposition"]
    # the saved file gets a name safe on every file system; the header is RFC 6266
    assert "filename*=UTF-8''C%C3%B4ng%20v%C4%83n%20gi%E1%BA%A5y%20_x_.txt" in disposition
    assert re.fullmatch(r'attachment; filename="[ -~]+"; filename\*=\S+', disposition)


def test_the_web_uses_the_reports_words_and_number_format(client_for, web_app) -> None:
    from flows.report import build_report
    from reports.consolidate import vn_rate
    from storage.models import IndicatorValue

    columns = web_app.campaign().outline.table.columns
    code, sub_id, _ = _submitted(web_app)
    with web_app.session() as session:
        rated = session.query(IndicatorValue).filter(IndicatorValue.submission_id == sub_id,
                                                     IndicatorValue.rate.is_not(None)).first()
        row_id, own_rate = rated.row_id, rated.rate
    client = client_for("xem")
    agency = client.get(f"/don-vi/{code}").text
    report = client.get("/bao-cao").text
    for page in (agency, report):
        assert "Thực hiện" not in page and "Tỷ lệ (%)" not in page
        assert columns.plan in page and columns.result in page and columns.rate in page
    cell = re.search(rf'<tr data-dong="{re.escape(row_id)}">.*?data-cot="rate"[^>]*>\s*([^<]+)', agency, re.S).group(1)
    assert cell.strip().startswith(vn_rate(own_rate))  # e.g. 72,0% as in the report, not 72
    totals = build_report(web_app)["totals"]
    shown = next(r for r, t in totals.items() if t.get("rate") is not None)
    line = re.search(rf'<tr data-dong="{re.escape(shown)}">(.*?)</tr>', report, re.S).group(1)
    assert vn_rate(totals[shown]["rate"]) in line


def test_text_typed_decomposed_is_stored_composed(client_for, web_app) -> None:
    """Free text from every form (corrected text, reasons, notes) is stored NFC: typed on a Mac
    or pasted from a PDF it is the same words as typed elsewhere (searchable, comparable)."""
    from storage.models import Correction, DeadlineOverride, Event, ReviewItem
    from storage.status import open_review_items

    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    code, sub_id, _ = _submitted(web_app)
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    client.post(f"/don-vi/{code}/sua", data={"csrf": token, "lan_nop": sub_id, "ly_do": nfd("đơn vị gọi điện sửa"),
                                           "loai": "section", "muc": "2.2.dd", "cot": "text", "gia_tri": nfd("Nội dung đã sửa")})
    client.post(f"/don-vi/{code}/gia-han", data={"csrf": token, "han": "30/12/2099", "ly_do": nfd("đơn vị xin thêm thời gian")})
    client.post(f"/don-vi/{code}/chap-nhan", data={"csrf": token, "lan_nop": sub_id, "ghi_chu": nfd("đã đối chiếu")})
    with web_app.session() as session:
        item = open_review_items(None, session=session)[0].id
    review_token = csrf_of(client.get("/xem-xet").text)
    client.post(f"/xem-xet/{item}/bo-qua", data={"csrf": review_token, "ly_do": nfd("thư quảng cáo")})
    with web_app.session() as session:
        fix = session.query(Correction).one()
        stored = [fix.new_value["value"], fix.reason, session.query(DeadlineOverride).one().reason,
                  session.get(ReviewItem, item).status]
        logged = [e.message for e in session.query(Event).filter(Event.actor == "canbo")]
    assert stored == ["Nội dung đã sửa", "đơn vị gọi điện sửa", "đơn vị xin thêm thời gian", "dismissed"]
    assert len(logged) == 4 and all(m == unicodedata.normalize("NFC", m) for m in logged)
    assert any(m.endswith(": đã đối chiếu") for m in logged) and any(m.endswith(": thư quảng cáo") for m in logged)
