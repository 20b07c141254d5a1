"""What staff see when an address, a value or a role is wrong: Vietnamese pages and messages
in the app's layout, never the framework's English JSON or a Python error text."""

from __future__ import annotations

import html
import re

from tests.web.conftest import csrf_of
from tests.web.test_routes import _submitted

ENGLISH = ("Not Found", '"detail"', "Input should", "invalid literal", "Method Not Allowed", "Unprocessable")


def _flash(client, path: str) -> str:
    match = re.search(r'<div class="thong-bao[^"]*" role="status">(.*?)</div>', client.get(path).text, re.S)
    assert match, f"no message on {path}"
    return html.unescape(match.group(1))


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


def test_an_unknown_address_is_a_vietnamese_page_in_the_layout(client_for) -> None:
    client = client_for("xem")
    for path in ["/khong-co-trang-nay", "/c/de-an-996/khong-co", "/don-vi/vpubnd/khong-co", "/static/khong-co.css"]:
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["content-type"].startswith("text/html"), path
        assert "Không tìm thấy trang" in resp.text and "Đăng xuất" in resp.text, path  # the layout, logged in
        assert _english(resp.text) == [], path
    wrong_method = client.get("/dang-xuat")
    assert wrong_method.status_code == 405 and "Yêu cầu không hợp lệ" in wrong_method.text
    assert _english(wrong_method.text) == []


def test_without_login_an_unknown_address_looks_like_any_other(client_for) -> None:
    client = client_for(None)
    known, unknown = client.get("/thu-di"), client.get("/khong-co-trang-nay")
    assert known.status_code == unknown.status_code == 303
    assert unknown.headers["location"].startswith("/dang-nhap?tiep=")
    token = csrf_of(client.get("/dang-nhap").text)
    assert client.post("/khong-co", data={"csrf": token}).headers["location"].startswith("/dang-nhap")
    # a malformed value in an address says nothing either before login
    assert client.get("/tep/" + "a" * 64 + "/cat?trang=x").headers["location"].startswith("/dang-nhap")


def test_a_malformed_value_in_an_address_is_a_vietnamese_400(client_for) -> None:
    client = client_for("canbo")
    token = csrf_of(client.get("/xem-xet").text)
    for resp in [client.post("/xem-xet/abc/gan", data={"csrf": token, "don_vi": "vpubnd"}),
                 client.get("/tep/" + "a" * 64 + "/cat?trang=x&hop=0,0,1,1")]:
        assert resp.status_code == 400
        assert resp.headers["content-type"].startswith("text/html")
        assert "Yêu cầu không hợp lệ" in resp.text and "phải là một số nguyên" in resp.text
        assert "«x»" in resp.text or "«abc»" in resp.text
        assert _english(resp.text) == []


def test_a_form_value_that_is_no_number_gets_a_vietnamese_message(client_for, web_app) -> None:
    code, _, row_id = _submitted(web_app)
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    for path, data in [("sua", {"loai": "indicator", "muc": row_id, "cot": "plan", "gia_tri": "5", "ly_do": "x"}),
                       ("chap-nhan", {"ghi_chu": ""})]:
        resp = client.post(f"/don-vi/{code}/{path}", data={"csrf": token, "lan_nop": "abc", **data})
        assert resp.status_code == 303
        message = _flash(client, f"/don-vi/{code}")
        assert "Lần nộp không hợp lệ" in message and _english(message) == []


def test_refusal_names_the_role_the_action_needs(client_for) -> None:
    editor = client_for("canbo")
    resp = editor.post("/chien-dich/gui-cong-van", data={"csrf": csrf_of(editor.get("/chien-dich").text)})
    assert resp.status_code == 403
    assert "chỉ được xem" not in resp.text
    assert "cần quyền quản trị" in resp.text and "có quyền xử lý" in resp.text
    viewer = client_for("xem")
    resp = viewer.post("/don-vi/vpubnd/nhac-ngay", data={"csrf": csrf_of(viewer.get("/").text)})
    assert resp.status_code == 403 and "cần quyền xử lý hoặc quản trị" in resp.text and "có quyền xem" in resp.text


def test_a_page_that_breaks_says_so_in_vietnamese(web_app, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from flows.web import workspace
    from flows.web.server import build
    from tests.web.seed import PASSWORDS

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: secret detail")

    monkeypatch.setattr(workspace, "outgoing_page", broken)
    client = TestClient(build(web_app), follow_redirects=False, raise_server_exceptions=False)
    token = csrf_of(client.get("/dang-nhap").text)
    client.post("/dang-nhap", data={"ten": "xem", "mat_khau": PASSWORDS["xem"], "csrf": token})
    resp = client.get("/thu-di")
    assert resp.status_code == 500 and resp.headers["content-type"].startswith("text/html")
    assert "Có lỗi khi xử lý" in resp.text and "thử lại" in resp.text
    assert "boom" not in resp.text and "Internal Server Error" not in resp.text
    # The same security headers as every other page (it is drawn outside the middleware).
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN" and "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
