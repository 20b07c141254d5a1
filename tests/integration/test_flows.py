"""Each Prefect flow once under Prefect's test harness, against real servers; artifacts read back."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings as a deployment would see them: the environment, read by each flow."""
    from config.settings import Settings
    from flows.app import App, init

    data = tmp_path / "data"
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(data))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(CONFIG_DIR))
    monkeypatch.setenv("BAOCAO_DATABASE_URL", f"sqlite:///{data / 'baocao.sqlite3'}")
    app = App(Settings(_env_file=None))
    init(app)
    yield app
    app.engine.dispose()


def latest(key: str):
    """The latest version of an artifact, read back through the client."""
    from prefect.artifacts import Artifact

    artifact = Artifact.get(key)
    assert artifact is not None, f"artifact {key} was not published"
    return artifact


def test_status_artifacts_read_back(env) -> None:
    import json

    from prefect import flow

    from flows import dashboard
    from flows.prefect_flows import publish_status

    @flow
    def only_status() -> dict:
        return publish_status(env, None)

    status = only_status()
    assert status["counts"]["total"] == 28
    table = latest(dashboard.KEY_STATUS)
    rows = json.loads(table.data)
    assert len(rows) == 28
    assert {r["Tình trạng"] for r in rows} == {"Chưa trả lời"}
    progress = latest(dashboard.KEY_PROGRESS)
    assert float(progress.data) == 0.0
    assert "0/28" in progress.description
    assert "Không có mục nào" in latest(dashboard.KEY_REVIEW).data


def test_ingest_slot_serialises_two_runs() -> None:
    from flows.prefect_flows import ingest_slot

    spans: list[tuple[float, float]] = []

    def hold() -> None:
        with ingest_slot() as held:
            assert held
            start = time.monotonic()
            time.sleep(0.5)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a_start, a_end), (b_start, b_end) = sorted(spans)
    assert len(spans) == 2
    assert b_start >= a_end, "two ingest runs overlapped"


def test_ingest_slot_gives_up_when_held_too_long() -> None:
    from flows.prefect_flows import ingest_slot

    with ingest_slot() as first:
        assert first
        with ingest_slot(wait=0.5) as second:
            assert second is False


def test_alert_text_is_vietnamese_and_links_the_run() -> None:
    from flows.prefect_flows import alert_text

    subject, text = alert_text(
        "ingest-mail", "gentle-fox", "IMAP: không kết nối được",
        dt.datetime(2025, 8, 14, 9, 5), "http://127.0.0.1:4200/runs/flow-run/1",
    )
    assert subject == "[baocao] Lỗi khi chạy tác vụ ingest-mail"
    assert "09:05 ngày 14/08/2025" in text
    assert "IMAP: không kết nối được" in text
    assert "http://127.0.0.1:4200/runs/flow-run/1" in text
