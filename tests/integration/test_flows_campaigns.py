"""The flows with two campaigns open, under Prefect's test harness: the shared folder is scanned
once for both and each campaign's board is published under its own key; reminders and the
report run per campaign (the deployment names one) or for each (a run naming none)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import two_campaign_config
from tests.integration.test_flows import latest

pytestmark = pytest.mark.usefixtures("prefect_harness")
ROOT = Path(__file__).resolve().parents[2]
A, B = "de-an-996", "kiem-tra-do-luong-2025"
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from config.settings import Settings
    from flows.app import App, init

    config = two_campaign_config(tmp_path / "config")
    data, drop = tmp_path / "data", tmp_path / "chung"
    drop.mkdir()
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(data))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(config))
    monkeypatch.setenv("BAOCAO_DATABASE_URL", f"sqlite:///{data / 'baocao.sqlite3'}")
    monkeypatch.setenv("BAOCAO_DROP__DIR", str(drop))
    app = App(Settings(_env_file=None))
    init(app)
    yield app
    app.engine.dispose()


def test_one_folder_scan_feeds_both_boards(env) -> None:
    from flows.runs import dashboard
    from flows.runs.pipelines import ingest_folder_flow

    result = ingest_folder_flow()
    assert set(result["counts"]) == {A, B}  # one scan, both campaigns' boards brought up to date
    assert result["counts"][A]["total"] == 28 and result["counts"][B]["total"] == 4
    rows_a = json.loads(latest(dashboard.campaign_key(dashboard.KEY_STATUS, A)).data)
    rows_b = json.loads(latest(dashboard.campaign_key(dashboard.KEY_STATUS, B)).data)
    assert (len(rows_a), len(rows_b)) == (28, 4)
    assert "0/4" in latest(dashboard.campaign_key(dashboard.KEY_PROGRESS, B)).description


def test_reminders_and_report_per_campaign(env) -> None:
    from flows.runs import dashboard
    from flows.runs.pipelines import build_report_flow, send_reminders_flow

    # The day before A's deadline, a month before B's: a dry run for each open campaign.
    at = dt.datetime(2025, 8, 14, 9, 0, tzinfo=VN)
    both = send_reminders_flow(dry_run=True, now=at)
    assert set(both["reminders"]) == {A, B}
    assert len(both["reminders"][A]["would_send"]) == 28 and both["reminders"][B]["would_send"] == []
    assert latest(dashboard.campaign_key(dashboard.KEY_REMINDERS_DRY_RUN, A)).data.count(" | reminder | ") == 28
    # The deployment of one campaign names it: that campaign only, its plain result.
    only_b = build_report_flow(campaign_id=B)
    assert only_b["report"]["campaign"] == B and only_b["counts"]["total"] == 4
    assert latest(dashboard.campaign_key(dashboard.KEY_REPORT, B)).data
    assert dashboard.campaign_key(dashboard.KEY_REPORT, B) == "bao-cao-tong-hop-moi-nhat-kiem-tra-do-luong-2025"


def test_deadline_check_builds_each_campaigns_report_once_after_its_own_deadline(env) -> None:
    """No deployment names a date: the deadline-check run reads each campaign's deadline from
    the configuration, builds the report of those just past it, once each; an edited deadline
    is a new one (its own report)."""
    import os
    import re

    from sqlalchemy import select

    from flows.runs.pipelines import deadline_check_flow
    from storage.models import DeadlineRun

    before = deadline_check_flow(now=dt.datetime(2025, 8, 15, 23, 45, tzinfo=VN))
    assert before["deadline_reports"] == {}  # A's deadline is 23:59:59 on 15/8
    after_a = deadline_check_flow(now=dt.datetime(2025, 8, 16, 0, 0, tzinfo=VN))
    assert set(after_a["deadline_reports"]) == {A} and after_a["deadline_reports"][A]["campaign"] == A
    assert deadline_check_flow(now=dt.datetime(2025, 8, 16, 0, 15, tzinfo=VN))["deadline_reports"] == {}  # once
    after_b = deadline_check_flow(now=dt.datetime(2025, 9, 16, 0, 0, tzinfo=VN))
    assert set(after_b["deadline_reports"]) == {B}  # the second campaign, without a deployment of its own
    # TĐC moves A's deadline to 29/8 in its configuration: the new deadline has its own report.
    config = Path(os.environ["BAOCAO_CONFIG_DIR"]) / "campaigns" / f"{A}.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"^deadline: 2025-08-15$", "deadline: 2025-08-29", text, flags=re.M), encoding="utf-8")
    moved = deadline_check_flow(now=dt.datetime(2025, 9, 16, 0, 15, tzinfo=VN))
    assert set(moved["deadline_reports"]) == {A}
    with env.session() as session:
        runs = sorted((r.campaign_id, r.deadline_at.astimezone(VN).date().isoformat()) for r in session.scalars(select(DeadlineRun)))
    assert runs == [(A, "2025-08-15"), (A, "2025-08-29"), (B, "2025-09-15")]
