"""The campaign switcher in a real browser (Playwright + Debian's Chromium): two campaigns open,
the bare address lands on the default one, a click on the other campaign keeps the page, the
address names the campaign (shareable), the board's filter (htmx) stays in the campaign.
Screenshots go to /tmp (baocao-chon-chien-dich-*.png), not to the README's pictures."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_workspace import ARGS, CHROMIUM
from tests.conftest import two_campaign_config
from tests.web.seed import PASSWORDS, seed_root, two_campaign_app

A, B = "de-an-996", "kiem-tra-do-luong-2025"
SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def live_two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from flows.web.server import start_in_thread

    root = tmp_path_factory.mktemp("browser-two")
    config = two_campaign_config(root / "config")
    app = two_campaign_app(seed_root(tmp_path_factory), root / "data", config)
    url, stop = start_in_thread(app, "127.0.0.1", 0)
    yield url, app
    stop()
    app.engine.dispose()


@pytest.fixture
def tab(live_two: tuple[str, Any]) -> Iterator[Any]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (Playwright's own browsers are not used)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", base_url=live_two[0])
        page = context.new_page()
        page.set_default_timeout(300_000)  # generous: a busy machine, not a slow page
        yield page
        browser.close()


def test_switching_campaigns_keeps_the_page_and_names_the_campaign(tab: Any) -> None:
    from playwright.sync_api import expect

    tab.goto(f"/c/{B}/xem-xet")  # a shared link: after the login, that very page
    tab.fill("#ten", "canbo")
    tab.fill("#mat_khau", PASSWORDS["canbo"])
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(rf"/c/{B}/xem-xet$"))
    tab.goto("/")
    tab.wait_for_url(re.compile(rf"/c/{A}/$"))  # the default: the open campaign with the latest request
    switcher = tab.locator("nav.chon-chien-dich")
    expect(switcher.locator("a")).to_have_count(2)
    expect(switcher.locator("a[aria-current=page]")).to_have_attribute("data-chien-dich", A)
    assert tab.locator("tr[data-ma]").count() == 28
    tab.screenshot(path=str(SHOTS / "baocao-chon-chien-dich-a.png"))
    tab.click("nav.chon-chien-dich a[data-chien-dich='kiem-tra-do-luong-2025']")
    tab.wait_for_url(re.compile(rf"/c/{B}/$"))
    expect(tab.locator("tr[data-ma]")).to_have_count(4)
    expect(switcher.locator("a[aria-current=page]")).to_have_attribute("data-chien-dich", B)
    # The board's Hạn column: B's deadline as a date.
    assert "15/09/2025" in tab.inner_text("tr[data-ma=sotp]")
    tab.select_option("select[name=loc]", "not_responded")  # htmx swaps the table in place
    tab.wait_for_url(re.compile(rf"/c/{B}/\?.*loc=not_responded"))  # the pushed address stays in B
    expect(tab.locator("tr[data-ma]")).to_have_count(4)  # nobody answered B yet
    tab.screenshot(path=str(SHOTS / "baocao-chon-chien-dich-b.png"))
    tab.click("header nav a:has-text('Chờ xem xét')")
    tab.wait_for_url(re.compile(rf"/c/{B}/xem-xet$"))
    tab.click(f"nav.chon-chien-dich a[data-chien-dich='{A}']")  # the same page, the other campaign
    tab.wait_for_url(re.compile(rf"/c/{A}/xem-xet$"))
    expect(tab.locator("section.khung").first).to_be_visible()
    tab.screenshot(path=str(SHOTS / "baocao-chon-chien-dich-xem-xet.png"), full_page=True)
    tab.click(f"nav.chon-chien-dich a[data-chien-dich='{B}']")
    tab.wait_for_url(re.compile(rf"/c/{B}/xem-xet$"))
    assert "Không có mục nào chờ xem xét" in tab.inner_text("main")  # A's items stay in A
    assert tab.locator("section.khung").count() == 0
