"""prefect.yaml and `baocao serve` declare the same deployments, schedules in Vietnam time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def load_yaml() -> dict:
    from prefect.cli.deploy._models import PrefectYamlModel

    data = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    PrefectYamlModel.model_validate(data)  # the schema `prefect deploy` uses
    return data


def test_prefect_yaml_matches_serve_specs() -> None:
    from config.campaign import load_campaigns
    from flows.runs import deployments as runs_deployments
    from flows.runs import pipelines as prefect_flows

    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    specs = {s["name"]: s for s in runs_deployments.deployment_specs([campaign])}
    deployments = {d["name"]: d for d in load_yaml()["deployments"]}
    assert set(deployments) == set(specs) == {
        "ingest-mail", "ingest-folder", "send-reminders", "build-report", "deadline-check", "ocr-queue", "full-cycle"
    }
    for name, d in deployments.items():
        path, func = d["entrypoint"].split(":")
        assert path == "flows/runs/pipelines.py"
        assert getattr(prefect_flows, func) is specs[name]["flow"]
        assert getattr(prefect_flows, func).name == name
        declared = [{k: v for k, v in s.items() if k in ("cron", "rrule")} for s in d["schedules"]]
        assert declared == specs[name]["schedules"], name
        assert all(s["timezone"] == "Asia/Ho_Chi_Minh" for s in d["schedules"])
        assert d["concurrency_limit"]["limit"] == 1


def test_schedules_as_agreed() -> None:
    specs = {s["name"]: s["schedules"] for s in load_yaml()["deployments"]}
    assert specs["ingest-mail"][0]["cron"] == "*/5 7-17 * * 1-5"
    assert specs["send-reminders"][0]["cron"] == "0 8 * * *"
    assert specs["build-report"][0]["cron"] == "0 17 * * *"
    assert specs["full-cycle"] == []


def test_no_deployment_names_a_campaign_or_a_date() -> None:
    """prefect.yaml holds for any campaigns and deadlines: the deadline report is the
    `deadline-check` flow's, which reads the deadlines from the configuration at each run."""
    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    assert "rrule" not in text and "DTSTART" not in text and "de-an-996" not in text
    specs = {s["name"]: s["schedules"] for s in load_yaml()["deployments"]}
    assert specs["deadline-check"] == [{"cron": "*/15 * * * *", "timezone": "Asia/Ho_Chi_Minh"}]
    assert specs["build-report"] == [{"cron": "0 17 * * *", "timezone": "Asia/Ho_Chi_Minh"}]
    assert specs["ocr-queue"][0]["cron"] == "*/10 7-18 * * 1-5"


def test_runner_deployments_carry_vietnam_time() -> None:
    from config.campaign import load_campaigns
    from flows.runs.deployments import runner_deployments

    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    assert campaign.deadline_at == dt.datetime(2025, 8, 15, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    deployments = {d.name: d for d in runner_deployments([campaign])}
    report = deployments["build-report"]
    timezones = {s.schedule.timezone for d in deployments.values() for s in d.schedules}
    assert timezones == {"Asia/Ho_Chi_Minh"}
    assert len(report.schedules) == 1  # 17:00; right after the deadline: deadline-check
    assert deployments["deadline-check"].schedules[0].schedule.cron == "*/15 * * * *"
    ingest = deployments["ingest-mail"]
    assert ingest.concurrency_limit == 1
    assert ingest.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    assert ingest.schedules[0].schedule.cron == "*/5 7-17 * * 1-5"
    assert all(d.parameters == {} for d in deployments.values())  # one campaign: the flows find it


def two_campaigns() -> list:
    from config.campaign import load_campaigns

    campaigns = load_campaigns(ROOT / "config" / "campaigns") + load_campaigns(ROOT / "tests" / "fixtures" / "campaigns")
    assert [c.id for c in campaigns] == ["de-an-996", "kiem-tra-do-luong-2025"]
    return campaigns


def test_several_campaigns_poll_once_and_remind_and_report_each() -> None:
    from flows.runs import pipelines
    from flows.runs.deployments import deployment_specs, runner_deployments

    a, b = two_campaigns()
    specs = deployment_specs([a, b])
    names = [s["name"] for s in specs]
    assert names.count("ingest-mail") == 1 and names.count("ingest-folder") == 1  # one poll per mailbox
    assert sorted(names) == sorted(["ingest-mail", "ingest-folder", "full-cycle", "deadline-check", "ocr-queue",
                                    f"send-reminders-{a.id}", f"build-report-{a.id}",
                                    f"send-reminders-{b.id}", f"build-report-{b.id}"])
    by_name = {s["name"]: s for s in specs}
    assert by_name["ingest-mail"]["parameters"] == {} and by_name["ingest-mail"]["flow"] is pipelines.ingest_mail_flow
    for c in (a, b):
        assert by_name[f"send-reminders-{c.id}"]["parameters"] == {"campaign_id": c.id}
        assert by_name[f"build-report-{c.id}"]["flow"] is pipelines.build_report_flow
    # Right after each campaign's own deadline: the one deadline-check for all (no dated schedule).
    assert all("rrule" not in sched for s in specs for sched in s["schedules"])
    assert by_name["deadline-check"]["parameters"] == {} and by_name["deadline-check"]["flow"] is pipelines.deadline_check_flow
    served = {d.name: d for d in runner_deployments([a, b])}
    assert served[f"send-reminders-{b.id}"].parameters == {"campaign_id": b.id}
    assert {s.schedule.timezone for d in served.values() for s in d.schedules} == {"Asia/Ho_Chi_Minh"}


def test_serve_refuses_without_a_server(monkeypatch) -> None:
    from typer.testing import CliRunner

    import flows.cli.serve
    from flows.cli.main import cli

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "")
    # A Prefect test harness started by another test sets a URL in the settings context.
    monkeypatch.setattr(flows.cli.serve, "_profile_api_url", lambda: None)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code != 0
    assert "Prefect server" in str(result.exception)
