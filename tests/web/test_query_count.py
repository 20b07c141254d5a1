"""Province scale (issue 14 point 4): `status`, the status artifact's data and the web board
run the same number of SQL statements for 30 and for 300 recipients — no query per recipient.

The statements are counted on the engine (SQLAlchemy `before_cursor_execute`) over real
SQLite databases seeded with `flows.dev.history` (one mail and one response per recipient,
a sent reminder for one in five).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import CONFIG_DIR

SECRET = "khoa-bi-mat-cho-kiem-thu-0123456789"


def province(tmp: Path, recipients: int) -> Any:
    from config.settings import Settings
    from flows.app import App, init
    from flows.dev.history import province_config, seed_responses
    from flows.web.security import hash_password
    from storage.users import add_user

    config = province_config(CONFIG_DIR, tmp / "config", recipients)
    app = App(Settings(_env_file=None, data_dir=tmp / "data", config_dir=config, web={"secret_key": SECRET}))
    init(app)
    with app.session() as session:
        seeded = seed_responses(session, app.campaign(None).id)
        add_user("xem", "viewer", hash_password("mat-khau-xem-1"), session=session)
    assert seeded["submission"] == recipients
    return app


def counted(engine: Any, fn: Any) -> tuple[int, Any]:
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, PLR0913
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        value = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(seen), value


def statement_counts(app: Any) -> dict[str, int]:
    from fastapi.testclient import TestClient

    from flows.app import status_report
    from flows.runs import dashboard
    from flows.web.server import build
    from flows.web.workspace import source_health

    counts: dict[str, int] = {}
    n, report = counted(app.engine, lambda: status_report(app))
    counts["status"] = n
    recipients = len(report["recipients"])

    def artifact() -> list[dict[str, str]]:
        status = status_report(app)
        status["sources"] = [h.to_json(app.now().tzinfo) for h in source_health(app)]
        return dashboard.status_rows(status)

    counts["artifact"], rows = counted(app.engine, artifact)
    assert len(rows) == recipients
    client = TestClient(build(app), follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/dang-nhap").text)
    assert token, "no CSRF token on the login page"
    login = client.post("/dang-nhap", data={"ten": "xem", "mat_khau": "mat-khau-xem-1", "csrf": token.group(1), "tiep": "/"})
    assert login.status_code == 303, login.text
    counts["board"], page = counted(app.engine, lambda: client.get("/"))
    assert page.status_code == 200
    # Every recipient is on the board (each row links to its page).
    assert len(set(re.findall(r"dv\d{5}", page.text))) == recipients
    counts["recipients"] = recipients
    return counts


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], dict[str, int]]:
    out = []
    for size in (30, 300):
        app = province(tmp_path_factory.mktemp(f"province-{size}"), size)
        out.append(statement_counts(app))
        app.engine.dispose()
    return out[0], out[1]


def test_status_artifact_and_board_run_constant_statements(small_and_large: tuple[dict[str, int], dict[str, int]]) -> None:
    small, large = small_and_large
    assert (small["recipients"], large["recipients"]) == (30, 300)
    for item in ("status", "artifact", "board"):
        assert small[item] == large[item], f"{item}: {small[item]} SQL statements for 30 recipients, {large[item]} for 300"
    # A few queries, not one per recipient.
    assert large["board"] < 30, large
