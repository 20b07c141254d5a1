"""The web workspace with two campaigns open at once (Đề án 996 and a second request to the
same mailbox): the campaign is in every address (/c/{campaign}/…), a bare address moves to the
default campaign (the open one whose request went out last), every page and action is scoped
to the campaign in the address, a form posted to a bare address is refused, not guessed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import two_campaign_config
from tests.web.conftest import csrf_of
from tests.web.seed import PASSWORDS, SECRET, seed_root, two_campaign_app

ROOT = Path(__file__).resolve().parents[2]
A, B = "de-an-996", "kiem-tra-do-luong-2025"
B_TITLE = "Báo cáo kết quả kiểm tra nhà nước về đo lường năm 2025"


@pytest.fixture(scope="module")
def two_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Config with both campaigns; A has the demo's replies, B one open review item."""
    from storage.models import ReviewItem

    root = tmp_path_factory.mktemp("web-two")
    config = two_campaign_config(root / "config")
    app = two_campaign_app(seed_root(tmp_path_factory), root / "data", config)
    with app.session() as session:
        session.add(ReviewItem(campaign_id=B, source_key="mail:kiem-thu-b", kind="attribution",
                               reason="Chưa rõ đơn vị gửi báo cáo đo lường (mục của chiến dịch B)"))
    app.engine.dispose()
    return root


@pytest.fixture
def two(two_dir: Path, tmp_path: Path) -> Iterator[Any]:
    from config.settings import Settings
    from flows.app import App

    shutil.copytree(two_dir, tmp_path / "w")
    app = App(Settings(_env_file=None, data_dir=tmp_path / "w" / "data", config_dir=tmp_path / "w" / "config",
                       web={"secret_key": SECRET}))
    yield app
    app.engine.dispose()


def login(app: Any, name: str) -> Any:
    from fastapi.testclient import TestClient

    from flows.web.server import build

    client = TestClient(build(app), follow_redirects=False)
    token = csrf_of(client.get("/dang-nhap").text)
    resp = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORDS[name], "csrf": token, "tiep": "/"})
    assert resp.status_code == 303, resp.text
    return client


def test_a_bare_address_moves_to_the_default_campaign_keeping_the_query(two: Any) -> None:
    client = login(two, "xem")
    resp = client.get("/?loc=not_responded")
    assert resp.status_code == 303
    assert resp.headers["location"] == f"/c/{A}/?loc=not_responded"  # A's request (01/08/2025) is the latest
    assert client.get("/xem-xet").headers["location"] == f"/c/{A}/xem-xet"
    assert client.get("/don-vi/sotp").headers["location"] == f"/c/{A}/don-vi/sotp"
    assert client.get("/c/khong-co/").status_code == 404
    # Not logged in: the login page, which then comes back to the campaign's address.
    from fastapi.testclient import TestClient

    from flows.web.server import build

    stranger = TestClient(build(two), follow_redirects=False)
    assert stranger.get(f"/c/{B}/xem-xet").headers["location"] == f"/dang-nhap?tiep=%2Fc%2F{B}%2Fxem-xet"


def test_every_page_is_scoped_to_the_campaign_in_the_address(two: Any) -> None:
    client = login(two, "canbo")  # an editor: the pages carry their forms too
    pages = {}
    for cid in (A, B):
        for path in ("/", "/xem-xet", "/bao-cao", "/thu-di", "/chien-dich", "/don-vi/sotp"):
            resp = client.get(f"/c/{cid}{path}")
            assert resp.status_code == 200, (cid, path, resp.text[-500:])
            pages[cid, path] = resp.text
    assert "28 đơn vị được hiển thị" in pages[A, "/"]
    b_count = len((ROOT / "tests/fixtures/campaigns" / f"{B}.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert f"{b_count} đơn vị được hiển thị" in pages[B, "/"]
    assert B_TITLE in pages[B, "/chien-dich"] and "1301/SKHCN-TĐC" in pages[B, "/chien-dich"]
    assert "1301/SKHCN-TĐC" not in pages[A, "/chien-dich"]
    # Review items: B's item only on B's queue; A's demo items only on A's.
    assert "mục của chiến dịch B" in pages[B, "/xem-xet"] and "mục của chiến dịch B" not in pages[A, "/xem-xet"]
    a_items = re.findall(rf'action="/c/{A}/xem-xet/(\d+)/gan"', pages[A, "/xem-xet"])
    assert a_items and not set(a_items) & set(re.findall(r'/xem-xet/(\d+)/', pages[B, "/xem-xet"]))
    # Every link of a campaign's page names the campaign.
    for (cid, path), html in pages.items():
        bare = re.findall(r'(?:href|action|hx-get)="/(?:don-vi|xem-xet|bao-cao|thu-di|chien-dich)\b', html)
        assert not bare, (cid, path, bare)
        assert f'href="/c/{cid}/xem-xet"' in html


def test_the_switcher_lists_both_and_keeps_the_page(two: Any) -> None:
    client = login(two, "xem")
    page = client.get(f"/c/{A}/xem-xet").text
    switcher = page[page.index('class="chon-chien-dich"'):page.index("</nav>", page.index('class="chon-chien-dich"'))]
    assert f'href="/c/{B}/xem-xet"' in switcher and f'href="/c/{A}/xem-xet"' in switcher
    assert 'aria-current="page" data-chien-dich="de-an-996"' in switcher
    assert B_TITLE in switcher and "hạn 15/09/2025" in switcher
    agency = client.get(f"/c/{B}/don-vi/sotp").text
    assert f'href="/c/{A}/"' in agency  # an agency page switches to the other campaign's board


def test_actions_touch_only_the_campaign_in_the_address(two: Any) -> None:
    from sqlalchemy import select

    from flows.history import recipient_history
    from storage.models import Event, ReviewItem, Submission

    client = login(two, "canbo")
    token = csrf_of(client.get(f"/c/{B}/don-vi/sotp").text)
    form = {"csrf": token, "kenh": "paper", "loai": "report", "luc": "10/09/2025 09:30", "ghi_chu": "bản giấy gửi qua bưu điện"}
    # A bare address cannot say which campaign: refused, nothing recorded.
    refused = client.post("/don-vi/sotp/ghi-nhan", data=form)
    assert refused.status_code == 409 and "nhiều chiến dịch" in refused.text
    done = client.post(f"/c/{B}/don-vi/sotp/ghi-nhan", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/c/{B}/don-vi/sotp"
    with two.session() as session:
        subs = session.execute(select(Submission.campaign_id, Submission.channel).where(Submission.channel == "paper")).all()
        assert subs == [(B, "paper")]
        actors = session.scalars(select(Event.actor).where(Event.campaign_id == B, Event.kind == "response_recorded")).all()
    assert actors == ["canbo"]
    history = recipient_history(two, "sotp", B)
    assert any("qua bản giấy" in e["summary"] for e in history["entries"] if e["kind"] == "submission")
    page = client.get(f"/c/{B}/don-vi/sotp").text
    assert "qua bản giấy" in page and "paper" not in re.sub(r'value="paper"|<[^>]+>', "", page)
    # B's review item, dismissed from B's page, with the person's name.
    with two.session() as session:
        item = session.scalars(select(ReviewItem.id).where(ReviewItem.campaign_id == B)).one()
    gone = client.post(f"/c/{B}/xem-xet/{item}/bo-qua", data={"csrf": token, "ly_do": "không phải báo cáo"})
    assert gone.headers["location"] == f"/c/{B}/xem-xet"
    with two.session() as session:
        row = session.get(ReviewItem, item)
        assert (row.status, row.resolved_by) == ("dismissed", "canbo")
