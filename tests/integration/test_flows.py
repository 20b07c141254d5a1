"""Each Prefect flow once under Prefect's test harness, against real servers; artifacts read back."""

from __future__ import annotations

import datetime as dt
import threading
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

    from flows.runs import dashboard
    from flows.runs.pipelines import publish_status

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
    """A second run waits while the first holds the slot and goes once it is free: the order
    of what each did is checked, with events between the threads (no sleeps, no clock)."""
    from flows.runs.pipelines import ingest_slot

    order: list[str] = []
    a_in, b_trying, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with ingest_slot() as held:
            assert held
            order.append("a_in")
            a_in.set()
            release.wait()
            order.append("a_out")

    def second() -> None:
        b_trying.set()
        with ingest_slot() as held:  # the default wait: blocks until the first run is done
            assert held
            order.append("b_in")

    a = threading.Thread(target=first)
    a.start()
    a_in.wait()
    b = threading.Thread(target=second)
    b.start()
    b_trying.wait()
    # (A third acquisition here, while the second waits, can queue behind the second's on
    # Prefect's sync loop and never time out: the refusal is test_ingest_slot_gives_up_….)
    release.set()
    for t in (a, b):
        t.join()
    assert order == ["a_in", "a_out", "b_in"], "two ingest runs overlapped"


def test_ingest_slot_gives_up_when_held_too_long() -> None:
    from flows.runs.pipelines import ingest_slot

    with ingest_slot() as first:
        assert first
        with ingest_slot(wait=0.5) as second:
            assert second is False


def test_alert_text_is_vietnamese_and_links_the_run() -> None:
    from flows.runs.alerts import alert_text

    subject, text = alert_text(
        "ingest-mail", "gentle-fox", "IMAP: không kết nối được",
        dt.datetime(2025, 8, 14, 9, 5), "http://127.0.0.1:4200/runs/flow-run/1",
    )
    assert subject == "[baocao] Lỗi khi chạy tác vụ ingest-mail"
    assert "09:05 ngày 14/08/2025" in text
    assert "IMAP: không kết nối được" in text
    assert "http://127.0.0.1:4200/runs/flow-run/1" in text


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
    from flows.runs import dashboard
    from flows.runs.pipelines import send_reminders_flow

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
    # The idle second run does not hide the 28 reminders sent by the first one.
    assert latest(dashboard.KEY_REMINDERS).data.count(" | reminder | ") == 28


def test_failed_run_mails_tdc_once(mail_env, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.states import State

    from flows.runs import pipelines as prefect_flows

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


@pytest.fixture(scope="module")
def demo():
    """The demo's simulated replies and drop-folder files (generated once)."""
    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from flows.dev.demo_data import demo_files, demo_mails

    campaign = load_campaigns(CONFIG_DIR / "campaigns")[0]
    recipients = read_recipients(campaign.recipients_path)
    return demo_mails(campaign, recipients), demo_files(campaign, recipients)


def test_ingest_report_and_full_cycle_flows(mail_env, dovecot, demo, smtp, tmp_path, monkeypatch) -> None:
    import json

    from flows.runs import dashboard
    from flows.runs.pipelines import (
        build_report_flow,
        full_cycle_flow,
        ingest_folder_flow,
        ingest_mail_flow,
    )

    mails, files = demo
    for m in mails:
        dovecot.append(m.raw, date=m.received)
    drop = tmp_path / "drop"
    for f in files:
        (drop / f.path).parent.mkdir(parents=True, exist_ok=True)
        (drop / f.path).write_bytes(f.data)
    for key, value in dovecot.settings().model_dump().items():
        if value is not None:
            raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
            monkeypatch.setenv(f"BAOCAO_IMAP__{key.upper()}", str(raw))
    monkeypatch.setenv("BAOCAO_DROP__DIR", str(drop))

    mail = ingest_mail_flow()
    counts = mail["ingest"]["counts"]
    assert counts["total"] == len(mails)
    assert counts["new"] >= 15, mail["ingest"]
    assert counts["failed"] == 0, mail["ingest"]["items"]
    assert mail["counts"]["submitted"] >= 10
    assert "Mới" in latest(dashboard.KEY_INGEST_MAIL).data
    rows = json.loads(latest(dashboard.KEY_STATUS).data)
    by_code = {r["Mã"]: r for r in rows}
    assert by_code["sotc"]["Tình trạng"] == "Đã nộp"
    assert by_code["thanhtra"]["Tình trạng"] == "Không phát sinh"
    assert by_code["hlhpn"]["Trễ hạn"] == "có"
    assert float(latest(dashboard.KEY_PROGRESS).data) > 50

    # Only stable files are taken: the first scan observes, the second ingests.
    assert ingest_folder_flow()["ingest"]["counts"]["new"] == 0
    folder = ingest_folder_flow()
    assert folder["ingest"]["counts"]["new"] == 2, folder["ingest"]

    report = build_report_flow()
    assert any(p.endswith(".docx") for p in report["report"]["files"])
    assert any(p.endswith(".xlsx") for p in report["report"]["files"])
    assert ".docx`" in latest(dashboard.KEY_REPORT).data

    # A second full cycle finds nothing new: every item is a database fact already.
    cycle = full_cycle_flow(dry_run=True)
    assert cycle["mail"]["ingest"]["counts"]["new"] == 0
    assert cycle["folder"]["ingest"]["counts"]["new"] == 0
    assert cycle["report"]["report"]["files"]


def test_configuration_mistake_fails_at_once_and_alerts(mail_env, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.runs.pipelines
    from config.errors import ConfigError
    from flows.runs.pipelines import ingest_folder_flow

    calls: list[str | None] = []

    def broken(app, campaign_id=None):
        calls.append(campaign_id)
        raise ConfigError("không tìm thấy thư mục dùng chung", "/khong/co")

    monkeypatch.setattr(flows.runs.pipelines, "ingest_folder", broken)
    state = ingest_folder_flow("khong-co", return_state=True)
    assert state.is_failed()
    assert calls == ["khong-co"], "a configuration mistake must not be retried"
    alerts = [m for m in smtp.messages if "tdc-canhbao@" in " ".join(m.rcpt_tos)]
    assert len(alerts) == 1
    assert "thư mục dùng chung" in alerts[0].message.get_body(("plain",)).get_content()


def test_prefect_deploy_registers_every_deployment_from_prefect_yaml() -> None:
    import os
    import subprocess
    import sys

    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    root = CONFIG_DIR.parent
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "BAOCAO_HOME": str(root)}

    def prefect(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "prefect", *args], cwd=root, env=env,
                              capture_output=True, text=True, check=False)

    created = prefect("work-pool", "create", "baocao", "--type", "process", "--overwrite")
    assert created.returncode == 0, created.stderr[-2000:]
    deployed = prefect("--no-prompt", "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-2000:]
    with get_client(sync_client=True) as client:
        report = client.read_deployment_by_name("build-report/build-report")
        ingest = client.read_deployment_by_name("ingest-mail/ingest-mail")
    assert report.work_pool_name == "baocao"
    assert {s.schedule.timezone for s in report.schedules} == {"Asia/Ho_Chi_Minh"}
    assert ingest.schedules[0].schedule.cron == "*/5 7-17 * * 1-5"
    assert ingest.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    assert ingest.entrypoint == "flows/runs/pipelines.py:ingest_mail_flow"
