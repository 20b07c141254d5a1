"""The independent review of 7/12 in a real Chromium: a corrected figure's rate on the agency
page is the report's (recomputed), the figures table keeps its indicator column readable, the
file picker speaks Vietnamese, and at phone width (390 px) no page scrolls sideways, the menu
stays inside the dark header, the agency page's columns stack and "Đăng xuất" can be clicked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_workspace import browser, live, shot, shots  # noqa: F401 — fixtures and helper shared
from tests.web.seed import PASSWORDS

pytestmark = pytest.mark.xdist_group("browser")

PHONE_PAGES = ["/", "/don-vi/sotc", "/xem-xet", "/bao-cao", "/thu-di", "/chien-dich", "/don-vi/vpubnd"]


def _login(browser: Any, url: str, width: int, height: int) -> tuple[Any, Any]:  # noqa: F811 — the fixture's value
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(300_000)
    tab.goto("/dang-nhap")
    tab.fill("#ten", "canbo")
    tab.fill("#mat_khau", PASSWORDS["canbo"])
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r"/$"))
    return context, tab


@pytest.fixture
def desk(browser: Any, live: tuple[str, Any]) -> Iterator[Any]:  # noqa: F811
    context, tab = _login(browser, live[0], 1366, 768)
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Any, live: tuple[str, Any]) -> Iterator[Any]:  # noqa: F811
    context, tab = _login(browser, live[0], 390, 844)
    yield tab
    context.close()


def test_a_corrected_result_shows_the_reports_recomputed_rate(desk: Any, live: tuple[str, Any], shots: Path) -> None:  # noqa: F811
    from flows.report import load_model
    from reports.consolidate import rate_of, vn_rate

    app = live[1]
    desk.goto("/don-vi/sotc")
    row = desk.locator("section[id^=lan-nop-]").first.locator("tr[data-dong='1']")  # the submission in use
    plan = float(row.locator("td[data-cot=plan]").get_attribute("data-gia-tri"))
    before = row.locator("td[data-cot=rate]").get_attribute("data-gia-tri")
    row.locator("summary").click()
    row.locator("select[name=cot]").select_option("result")
    row.locator("input[name=gia_tri]").fill("1.250")
    row.locator("input[name=ly_do]").fill("Theo công văn sửa đổi số 250/STC")
    row.locator("button[type=submit]").click()
    desk.wait_for_load_state()
    rate = row.locator("td[data-cot=rate]")
    expected = rate_of(plan, 1250)
    assert expected is not None and float(rate.get_attribute("data-gia-tri")) == expected
    assert float(before or "nan") != expected  # the file's rate is not what is shown any more
    assert vn_rate(expected) in rate.inner_text() and "tính lại từ số đã sửa" in rate.inner_text()
    # The same figure the Excel and Word files print.
    campaign = app.campaign(None)
    matrix = load_model(app, campaign, app.now()).matrix
    printed = matrix[(matrix.code == "sotc") & (matrix.row == "1")].iloc[0]
    assert printed.result == 1250 and printed.rate == expected
    # The indicator's name keeps a readable width next to the correction note (not one word a line).
    label = row.locator("td").first.bounding_box()
    assert label and label["width"] >= 150, label
    row.scroll_into_view_if_needed()
    shot(desk, "sua-ket-qua-ty-le-tinh-lai", shots)


def test_the_file_picker_is_labelled_in_vietnamese(desk: Any, shots: Path, tmp_path: Path) -> None:  # noqa: F811
    desk.goto("/don-vi/ldld")
    box = desk.locator("#ghi-nhan label.chon-tep")
    assert box.locator(".nut").inner_text() == "Chọn tệp…" and box.locator(".nut").is_visible()
    assert box.locator("[data-ten-tep]").inner_text() == "Chưa chọn tệp nào"
    picker = box.locator("input[type=file]").bounding_box()
    assert picker and picker["width"] <= 1 and picker["height"] <= 1  # Chromium's "Choose File" is out of sight
    scan = tmp_path / "Bản quét công văn.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    box.locator("input[type=file]").set_input_files(str(scan))
    assert box.locator("[data-ten-tep]").inner_text() == "Bản quét công văn.pdf"
    box.scroll_into_view_if_needed()
    shot(desk, "chon-tep", shots)


def test_at_phone_width_nothing_scrolls_sideways_and_logout_can_be_clicked(phone: Any, shots: Path) -> None:  # noqa: F811
    for path in PHONE_PAGES:
        phone.goto(path)
        width, inner = phone.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert width <= inner, f"{path}: page {width} px wide at {inner} px"
        # Every menu item and the logout button sit inside the dark header (not light on light).
        header = phone.locator("header").bounding_box()
        for item in [*phone.locator("header nav a").all(), phone.locator("header .nguoi button")]:
            box = item.bounding_box()
            assert header and box and box["y"] + box["height"] <= header["y"] + header["height"] + 0.5, (path, box, header)
            assert box["x"] >= 0 and box["x"] + box["width"] <= inner, (path, box)
    phone.goto("/don-vi/sotc")
    left, right = (c.bounding_box() for c in phone.locator(".hai-cot > div").all()[:2])
    assert left and right and left["width"] > 300 and right["width"] > 300  # stacked, each the full width
    assert right["y"] >= left["y"] + left["height"]
    shot(phone, "dien-thoai-don-vi", shots)
    phone.goto("/")
    shot(phone, "dien-thoai-bang", shots)
    phone.get_by_role("button", name="Đăng xuất").click()  # Playwright refuses a click another element intercepts
    phone.wait_for_url(re.compile(r"/dang-nhap"))
    assert phone.locator("#mat_khau").is_visible()
