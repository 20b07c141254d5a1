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


@pytest.fixture(scope="module")
def smtp():
    from flows.dev_smtp import SmtpCapture

    with SmtpCapture(tls=False) as server:
        yield server


@pytest.fixture
def mail_env(env, smtp, monkeypatch: pytest.MonkeyPatch):
    """The environment plus SMTP capture and TĐC's alert address."""
    monkeypatch.setenv("BAOCAO_SMTP__HOST", smtp.host)
    monkeypatch.setenv("BAOCAO_SMTP__PORT", str(smtp.port))
    monkeypatch.setenv("BAOCAO_SMTP__SECURITY", "none")
    monkeypatch.setenv("BAOCAO_SMTP__SENDER", "tdc@skhcn.quangngai.example")
    monkeypatch.setenv("BAOCAO_SMTP__RATE_LIMIT", "0")
    monkeypatch.setenv("BAOCAO_ALERT_EMAIL", "tdc-canhbao@skhcn.quangngai.example")
    smtp.messages.clear()
    return env


def test_send_reminders_flow_sends_once_and_publishes(mail_env, smtp) -> None:
    from flows import dashboard
    from flows.prefect_flows import send_reminders_flow

    day_before = dt.datetime(2025, 8, 14, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    first = send_reminders_flow(now=day_before)
    assert len(first["reminders"]["sent"]) == 28
    assert first["counts"]["not_responded"] == 28
    assert len(smtp.messages) == 28
    md = latest(dashboard.KEY_REMINDERS).data
    assert md.count(" | reminder | ") == 28
    again = send_reminders_flow(now=day_before)
    assert again["reminders"]["sent"] == []
    assert len(smtp.messages) == 28, "a reminder went out twice"
    assert "không có thư nhắc" in latest(dashboard.KEY_REMINDERS).data


def test_failed_run_mails_tdc_once(mail_env, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.states import State

    from flows import prefect_flows

    # The mailbox is unreachable: the run itself is broken, so it fails and TĐC is told.
    monkeypatch.setenv("BAOCAO_IMAP__HOST", "127.0.0.1")
    monkeypatch.setenv("BAOCAO_IMAP__PORT", "1")
    monkeypatch.setenv("BAOCAO_IMAP__SECURITY", "none")
    monkeypatch.setattr(prefect_flows, "fetch_mail", prefect_flows.fetch_mail.with_options(retries=0))
    state: State = prefect_flows.ingest_mail_flow(return_state=True)
    assert state.is_failed()
    alerts = [m for m in smtp.messages if "tdc-canhbao@" in " ".join(m.rcpt_tos)]
    assert len(alerts) == 1
    body = alerts[0].message.get_body(("plain",)).get_content()
    assert "ingest-mail" in alerts[0].message["Subject"]
    assert "đã thất bại" in body
