"""Every manual change from the command line is audited with a person's name: `--nguoi`, else
BAOCAO_ACTOR, else the operating-system login — never "cán bộ" or "system"; a shared account
(root) is refused with a hint rather than written anonymously."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import CONFIG_DIR
from tests.web.seed import populated_app

runner = CliRunner()


@pytest.fixture
def cli_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    app = populated_app(tmp_path / "data", CONFIG_DIR)
    for module in ("flows.cli.ingest", "flows.cli.users"):
        monkeypatch.setattr(f"{module}.make_app", lambda: app)
    monkeypatch.delenv("BAOCAO_ACTOR", raising=False)
    yield app
    app.engine.dispose()


def _open_items(app: Any) -> list[int]:
    """Open review items, a mail waiting to be attributed first (the one `assign` can take)."""
    from storage.status import open_review_items

    with app.session() as session:
        items = open_review_items(None, session=session)
        return sorted((i.id for i in items), key=lambda i: next(x for x in items if x.id == i).kind != "attribution")


def _events(app: Any, kind: str) -> list[tuple[str, str]]:
    from storage.models import Event

    with app.session() as session:
        return [(e.actor, e.message) for e in session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))]


def _reopen(app: Any, item_id: int) -> None:
    """Open the item again, so one seeded item serves each way of naming the person."""
    from storage.models import ReviewItem

    with app.session() as session:
        session.get(ReviewItem, item_id).status = "open"


def _resolved_by(app: Any, item_id: int) -> str | None:
    from storage.models import ReviewItem

    with app.session() as session:
        return session.get(ReviewItem, item_id).resolved_by


def test_assign_and_dismiss_name_the_person(cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli.main import cli

    item = _open_items(cli_app)[0]
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")  # as a macOS terminal may send it
    done = runner.invoke(cli, ["assign", str(item), "sotc", "--nguoi", typed])
    assert done.exit_code == 0, done.output
    assert _resolved_by(cli_app, item) == "Nguyễn Thị Lan"
    _reopen(cli_app, item)
    monkeypatch.setenv("BAOCAO_ACTOR", "Trần Văn An")
    assert runner.invoke(cli, ["dismiss", str(item), "--ly-do", unicodedata.normalize("NFD", "thư quảng cáo")]).exit_code == 0
    assert _resolved_by(cli_app, item) == "Trần Văn An"
    _reopen(cli_app, item)
    monkeypatch.delenv("BAOCAO_ACTOR")
    monkeypatch.setattr("getpass.getuser", lambda: "lan.nt")
    assert runner.invoke(cli, ["dismiss", str(item)]).exit_code == 0
    assert _resolved_by(cli_app, item) == "lan.nt"
    assert [a for a, _ in _events(cli_app, "review_assigned")] == ["Nguyễn Thị Lan"]
    assert [a for a, _ in _events(cli_app, "review_dismissed")] == ["Trần Văn An", "lan.nt"]
    assert _events(cli_app, "review_dismissed")[0][1].endswith(": thư quảng cáo")  # the reason NFC too


def test_a_shared_login_is_refused_with_a_hint(cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli.main import cli

    item = _open_items(cli_app)[0]
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    refused = runner.invoke(cli, ["dismiss", str(item)])
    assert refused.exit_code != 0 and "--nguoi" in str(refused.exception) and "BAOCAO_ACTOR" in str(refused.exception)
    assert item in _open_items(cli_app)  # nothing changed
    assert _events(cli_app, "review_dismissed") == []


def test_user_add_and_disable_are_audited(cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli.main import cli

    added = runner.invoke(cli, ["user", "add", "ngan", "--role", "editor", "--password-stdin", "--nguoi", "Trần Văn An"],
                          input="mat-khau-cua-ngan\n")
    assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["user", "disable", "ngan", "--actor", "Lê Thu Hà"]).exit_code == 0
    assert _events(cli_app, "user_added") == [("Trần Văn An", "Thêm người dùng ngan (xử lý)")]
    assert _events(cli_app, "user_disabled") == [("Lê Thu Hà", "Khóa người dùng ngan")]
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    refused = runner.invoke(cli, ["user", "add", "hoa", "--password-stdin"], input="mat-khau-cua-hoa\n")
    assert refused.exit_code != 0 and _events(cli_app, "user_added") == [("Trần Văn An", "Thêm người dùng ngan (xử lý)")]
