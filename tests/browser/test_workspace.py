"""The web workspace in a real browser (Playwright + Debian's Chromium) over a live server on a
seeded database. Screenshots of each page at 1366×768 go to a temp dir; with
BAOCAO_REFRESH_SCREENSHOTS=1 they replace docs/screenshots/web-*.png (the README's pictures)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONFIG_DIR, ROOT
from tests.web.seed import PASSWORDS, SECRET, populated_app, seed_root, seeded_copy

# One worker runs the module: its tests share one live server and browser (a seeded database
# and 28 mails sent), and later pages show what earlier tests changed.
pytestmark = pytest.mark.xdist_group("browser")

CHROMIUM = Path("/usr/bin/chromium")
DOC_SHOTS = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The workspace served on a free port over a fresh copy of the seeded database (seeded
    once per run, tests/web/seed.py), the request sent to every agency through a local SMTP
    capture, so there is outgoing mail to show."""
    from config.settings import Settings
    from flows.app import App
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.requests import send_request
    from flows.web.server import start_in_thread

    with SmtpCapture(tls=False) as smtp:
        mail = {"host": smtp.host, "port": smtp.port, "security": "none", "sender": "tdc@skhcn.example", "rate_limit": 0}

        def seed(data: Path) -> None:  # ingested with our sender address known (the port is not stored)
            populated_app(data, CONFIG_DIR, smtp=mail).engine.dispose()

        data = seeded_copy(seed_root(tmp_path_factory), "demo-tdc", seed, tmp_path_factory.mktemp("browser") / "data")
        app = App(Settings(_env_file=None, data_dir=data, config_dir=CONFIG_DIR, web={"secret_key": SECRET}, smtp=mail))
        sent = send_request(app)
        # Every agency but the one whose only address bounced (the demo data's hhdnkt): it is
        # listed as needing another address, not written to.
        assert len(sent["sent"]) == 27
        assert [s["recipient"] for s in sent["skipped"] if s.get("needs_address")] == ["hhdnkt"]
        url, stop = start_in_thread(app, "127.0.0.1", 0)
        yield url, app
        stop()
    app.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; missing Chromium fails with the install hint."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (Playwright's own browsers are not used)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live: tuple[str, Any]) -> Iterator[Any]:
    """A logged-in editor's tab at 1366×768."""
    url, _ = live
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="vi-VN",
                                  base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(300_000)  # generous: a busy machine, not a slow page
    tab.goto("/")
    assert "/dang-nhap" in tab.url
    tab.fill("#ten", "canbo")
    tab.fill("#mat_khau", PASSWORDS["canbo"])
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r"/$"))
    yield tab
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/screenshots when BAOCAO_REFRESH_SCREENSHOTS=1 asks to refresh
    the README's pictures, else a temp dir (tests running in parallel never rewrite the repo)."""
    if os.environ.get("BAOCAO_REFRESH_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        return DOC_SHOTS
    return tmp_path_factory.mktemp("screenshots")


def shot(tab: Any, name: str, shots: Path, *, full: bool = False) -> None:
    """A screenshot of the page (web-<name>.png in `shots`); a non-empty PNG is written."""
    path = shots / f"web-{name}.png"
    tab.screenshot(path=str(path), full_page=full)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_login_page(browser: Any, live: tuple[str, Any], shots: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live[0])
    tab = context.new_page()
    tab.goto("/bao-cao")
    assert "/dang-nhap" in tab.url
    tab.fill("#ten", "canbo")
    tab.fill("#mat_khau", "sai-mat-khau")
    tab.click("button[type=submit]")
    assert "không đúng" in tab.inner_text(".dang-nhap")
    shot(tab, "dang-nhap", shots)
    context.close()


def test_board_shows_the_28_agencies(page: Any, live: tuple[str, Any], shots: Path) -> None:
    from playwright.sync_api import expect

    from flows.app import status_report

    counts = status_report(live[1])["counts"]
    assert page.locator("tr[data-ma]").count() == 28
    assert page.inner_text("[data-dem=total] b") == "28"
    assert int(page.inner_text("[data-dem=submitted] b")) == counts["submitted"]
    shot(page, "bang-theo-doi", shots)
    page.select_option("select[name=loc]", "not_responded")  # htmx swaps the table in place
    expect(page.locator("tr[data-ma]")).to_have_count(counts["not_responded"])
    assert "loc=not_responded" in page.url


def test_agency_file_download_and_a_corrected_figure_in_the_rebuilt_report(page: Any, live: tuple[str, Any], tmp_path: Path, shots: Path) -> None:
    from openpyxl import load_workbook
    from sqlalchemy import select

    from storage.models import IndicatorValue, RecipientRow, Submission

    _, app = live
    with app.session() as session:
        code, row_id, result = session.execute(
            select(RecipientRow.code, IndicatorValue.row_id, IndicatorValue.result)
            .join(Submission, Submission.recipient_id == RecipientRow.id)
            .join(IndicatorValue, IndicatorValue.submission_id == Submission.id)
            .where(Submission.status == "valid", Submission.kind == "report", IndicatorValue.result.is_not(None))
            .order_by(Submission.id)
        ).first()
    page.goto(f"/don-vi/{code}")
    shot(page, "don-vi", shots)
    with page.expect_download() as info:
        page.locator("section.khung .tep a[download]").first.click()
    download = info.value
    assert Path(download.path()).stat().st_size > 0 and download.suggested_filename
    # The report before, then a correction of one figure (+1000), then a rebuild.
    page.goto("/bao-cao")
    page.click("text=Lập lại báo cáo ngay")
    before = _total(page, row_id)
    page.goto(f"/don-vi/{code}")
    row = page.locator(f"table.so-lieu tr[data-dong='{row_id}']").first
    row.locator("summary").click()
    row.locator("select[name=cot]").select_option("result")
    row.locator("input[name=gia_tri]").fill(str(int(result) + 1000))
    row.locator("input[name=ly_do]").fill("đơn vị đính chính qua điện thoại")
    row.locator("button[type=submit]").click()
    assert "Đã ghi nhận chỉnh sửa" in page.inner_text(".thong-bao")
    assert "đơn vị đính chính qua điện thoại" in page.inner_text("#dong-thoi-gian")
    page.goto("/bao-cao")
    page.click("text=Lập lại báo cáo ngay")
    assert _total(page, row_id) == pytest.approx(before + 1000)
    with page.expect_download() as info:
        page.click("a[data-tep$='.xlsx']")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    book = load_workbook(saved, read_only=True, data_only=True)
    cells = [c for r in book["Tổng hợp"].iter_rows(values_only=True) for c in r]
    assert before + 1000 in cells
    book.close()
    shot(page, "bao-cao", shots)


def _total(page: Any, row_id: str) -> float:
    text = page.inner_text(f"#tong-hop tr[data-dong='{row_id}'] td[data-cot=result]")
    return float(text.replace(".", "").replace(",", "."))


def test_settle_a_review_item(page: Any, shots: Path) -> None:
    page.goto("/xem-xet")
    shot(page, "xem-xet", shots)
    first = page.locator("section[id^=muc-]").first
    item = first.get_attribute("id")
    first.locator("select[name=don_vi]").select_option("sotc")
    first.get_by_role("button", name="Gán", exact=True).click()
    assert "Đã gán mục" in page.inner_text(".thong-bao")
    assert page.locator(f"#{item}").count() == 0


def test_extend_a_deadline_and_see_the_reminder_schedule_move(page: Any, live: tuple[str, Any], shots: Path) -> None:
    from flows.app import status_report

    _, app = live
    code = next(r["id"] for r in status_report(app)["recipients"] if r["state"] == "not_responded")
    new = app.campaign().deadline + dt.timedelta(days=21)
    page.goto(f"/don-vi/{code}")
    old_keys = page.locator("table.lich-nhac tr[data-luot]").evaluate_all("rows => rows.map(r => r.dataset.luot)")
    page.fill("input[name=han]", new.strftime("%d/%m/%Y"))
    page.fill("#han input[name=ly_do]", "đơn vị xin gia hạn bằng văn bản")
    page.click("#han button:has-text('Gia hạn')")
    assert "Đã gia hạn" in page.inner_text(".thong-bao")
    assert page.get_attribute("[data-han]", "data-han") == new.isoformat()
    new_keys = page.locator("table.lich-nhac tr[data-luot]").evaluate_all("rows => rows.map(r => r.dataset.luot)")
    assert new_keys and all(k.endswith(f"@{new.isoformat()}") for k in new_keys) and set(new_keys).isdisjoint(old_keys)
    page.locator("#han").scroll_into_view_if_needed()
    shot(page, "gia-han", shots)


def test_record_a_paper_response_with_a_scan(page: Any, live: tuple[str, Any], tmp_path: Path) -> None:
    from flows.app import status_report

    _, app = live
    code = next(r["id"] for r in status_report(app)["recipients"] if r["state"] == "not_responded")
    scan = tmp_path / "ban-quet-cong-van.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    page.goto(f"/don-vi/{code}")
    form = page.locator("#ghi-nhan form")
    form.locator("select[name=kenh]").select_option("paper")
    form.locator("select[name=loai]").select_option("report")
    form.locator("input[name=tep]").set_input_files(str(scan))
    form.locator("input[name=ghi_chu]").fill("công văn giấy số 45/BC-UBND")
    form.locator("button[type=submit]").click()
    assert "Đã ghi nhận trả lời" in page.inner_text(".thong-bao")
    assert "bản giấy" in page.inner_text("main")
    assert next(r for r in status_report(app)["recipients"] if r["id"] == code)["state"] == "submitted"
    assert page.locator("a:has-text('ban-quet-cong-van.png')").count() >= 1


def test_outgoing_and_campaign_pages(page: Any, shots: Path) -> None:
    page.goto("/thu-di")
    assert "Lượt nhắc tiếp theo" in page.inner_text("main")
    shot(page, "thu-di", shots)
    page.goto("/chien-dich")
    assert "Xem trước công văn" in page.inner_text("main")
    assert page.locator("text=Gửi công văn tới").count() == 0  # an editor does not send the request
    shot(page, "chien-dich", shots)


def test_an_unknown_address_is_a_vietnamese_page_in_the_layout(page: Any, shots: Path) -> None:
    response = page.goto("/khong-co-trang-nay")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    assert page.inner_text("main h1") == "Không tìm thấy trang"
    assert page.locator("header nav a", has_text="Bảng theo dõi").is_visible()  # the app's own menu
    body = page.inner_text("body")
    assert "Not Found" not in body and "detail" not in body
    shot(page, "loi", shots)
    response = page.goto("/tep/" + "a" * 64 + "/cat?trang=x")
    assert response.status == 400 and response.headers["content-type"].startswith("text/html")
    assert page.inner_text("main h1") == "Yêu cầu không hợp lệ"
    assert "số trang" in page.inner_text("main") and "Input should" not in page.inner_text("body")
    page.click("text=Về bảng theo dõi")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("tr[data-ma]").count() == 28


def test_remind_now_asks_first_and_says_to_whom(page: Any, live: tuple[str, Any]) -> None:
    from flows.app import status_report
    from storage.models import OutboundMail

    _, app = live
    code = next(r["id"] for r in status_report(app)["recipients"] if r["state"] == "not_responded" and not r["bouncing"])

    def reminders() -> int:
        with app.session() as session:
            return session.query(OutboundMail).filter(OutboundMail.kind == "reminder").count()

    before = reminders()
    page.goto(f"/don-vi/{code}")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#han button:has-text('Gửi thư nhắc ngay')")
    page.wait_for_timeout(500)
    assert asked and "ngay bây giờ?" in asked[0]
    assert page.locator(".thong-bao").count() == 0 and reminders() == before  # "Hủy": nothing sent
    page.once("dialog", lambda d: d.accept())
    page.click("#han button:has-text('Gửi thư nhắc ngay')")
    assert re.match(r"Đã gửi thư nhắc tới \S+@\S+", page.inner_text(".thong-bao"))
    assert reminders() == before + 1
    timeline = page.inner_text("#dong-thoi-gian")
    assert "Gửi tới " in timeline and "Từ ?" not in timeline


def test_a_mail_opens_readable(page: Any) -> None:
    page.goto("/don-vi/vpubnd")
    with page.context.expect_page() as info:
        page.locator("#dong-thoi-gian a:has-text('xem thư gốc')").first.click()
    mail = info.value
    mail.wait_for_load_state()
    text = mail.inner_text("body")
    assert "Tiêu đề" in text and "Sở Khoa học và Công nghệ" in text
    assert "=?utf-8?" not in text and "Content-Transfer-Encoding" not in text
    mail.close()


# Per input with a placeholder: the width its placeholder needs and the room inside the box.
_PLACEHOLDER_ROOM = """els => els.filter(e => e.placeholder && e.offsetParent !== null).map(e => {
  const s = getComputedStyle(e), c = document.createElement('canvas').getContext('2d');
  c.font = s.font;
  return [e.name, c.measureText(e.placeholder).width,
          e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)]; })"""


def test_every_placeholder_fits_its_box(page: Any, live: tuple[str, Any]) -> None:
    """A hint cut off («ngày/tháng/năm giờ:ph») tells nobody how to write the date: on the
    board and on an agency page (its correction forms opened) every placeholder fits whole,
    with a few pixels to spare for another font's metrics."""
    from flows.app import status_report

    _, app = live
    code = next(r["id"] for r in status_report(app)["recipients"] if r["state"] == "submitted")
    seen = set()
    for path in ("/", f"/don-vi/{code}"):
        page.goto(path)
        page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = true)")
        for name, need, room in page.eval_on_selector_all("input", _PLACEHOLDER_ROOM):
            seen.add(name)
            assert need + 4 <= room, f"{path}: ô «{name}» cần {need:.0f}px, chỉ có {room:.0f}px"
    assert {"luc", "han", "gia_tri"} <= seen  # the date boxes and a correction box were measured
