"""Fixtures of the web tests: one populated database per module, a TestClient per role."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONFIG_DIR
from tests.web.seed import PASSWORDS, populated_app, seed_root, seeded_copy


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's replies ingested once per run (tests/web/seed.py), copied for each test."""
    def seed(data: Path) -> None:
        populated_app(data, CONFIG_DIR).engine.dispose()

    return seeded_copy(seed_root(tmp_path_factory), "demo", seed, tmp_path_factory.mktemp("web-seed") / "data")


@pytest.fixture
def web_app(seeded_dir: Path, tmp_path: Path) -> Iterator[Any]:
    """A fresh copy of the seeded database for one test."""
    from config.settings import Settings
    from flows.app import App
    from tests.web.seed import SECRET

    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    app = App(Settings(_env_file=None, data_dir=data, config_dir=CONFIG_DIR, web={"secret_key": SECRET}))
    yield app
    app.engine.dispose()


@pytest.fixture
def client_for(web_app: Any) -> Callable[[str | None], Any]:
    """A TestClient, logged in as the user named (or not logged in for None)."""
    from fastapi.testclient import TestClient

    from flows.web.server import build

    def make(name: str | None) -> Any:
        client = TestClient(build(web_app), follow_redirects=False)
        if name:
            page = client.get("/dang-nhap")
            token = csrf_of(page.text)
            resp = client.post("/dang-nhap", data={"ten": name, "mat_khau": PASSWORDS[name], "csrf": token, "tiep": "/"})
            assert resp.status_code == 303, resp.text
        return client

    return make


def csrf_of(html: str) -> str:
    """The CSRF token of a page."""
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_correction(client, code: str, sub_id: int, kind: str, target: str, column: str, value: str, reason: str):  # noqa: ANN001, ANN201
    """A staff correction through the agency page's form (its own CSRF token)."""
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    return client.post(f"/don-vi/{code}/sua", data={"csrf": token, "lan_nop": sub_id, "loai": kind, "muc": target,
                                                    "cot": column, "gia_tri": value, "ly_do": reason})
