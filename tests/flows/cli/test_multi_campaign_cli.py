"""Two campaigns open at once, without `--campaign` (a real subprocess, SQLite and PostgreSQL):
`status`, `remind` and `report` act on every active campaign; a closed one is left out; an
ambiguous command names the choices in one Vietnamese line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.flows.cli.test_cli import ROOT, run

FIXTURES = ROOT / "tests" / "fixtures" / "campaigns"
A, B = "de-an-996", "kiem-tra-do-luong-2025"


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """The project's config plus the second campaign, initialised."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in (f"{B}.yaml", f"{B}.csv"):
        shutil.copy(FIXTURES / name, config / "campaigns" / name)
    env = {"BAOCAO_DATABASE_URL": db_url, "BAOCAO_DATA_DIR": str(tmp_path / "data"), "BAOCAO_CONFIG_DIR": str(config)}
    first = run("init", env=env)
    assert first.returncode == 0, first.stderr
    return env


def close_campaign(env: dict[str, str], campaign_id: str) -> None:
    path = Path(env["BAOCAO_CONFIG_DIR"]) / "campaigns" / f"{campaign_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["active"] = False
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_status_covers_every_active_campaign(env: dict[str, str]) -> None:
    listed = run("status", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [d["campaign"] for d in data] == [A, B]
    assert len(data[0]["recipients"]) == 28
    assert all(d["counts"]["total"] == len(d["recipients"]) for d in data)
    table = run("status", env=env)
    assert table.returncode == 0, table.stderr
    assert f"Chiến dịch {A}" in table.stdout and f"Chiến dịch {B}" in table.stdout
    assert table.stdout.count("Tổng ") == 2
    one = json.loads(run("status", "--json", "--campaign", B, env=env).stdout)
    assert isinstance(one, dict) and one["campaign"] == B  # one campaign named: the single-object contract


def test_a_closed_campaign_is_left_out_and_the_open_one_is_the_default(env: dict[str, str]) -> None:
    close_campaign(env, B)
    data = json.loads(run("status", "--json", env=env).stdout)
    assert isinstance(data, dict) and data["campaign"] == A
    parsed = run("send-request", "--dry-run", "--json", "--force", env=env)
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["campaign"] == A


def test_ambiguous_command_names_the_choices_in_one_line(env: dict[str, str]) -> None:
    result = run("send-request", "--dry-run", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "có nhiều chiến dịch đang mở" in lines[0] and A in lines[0] and B in lines[0] and "--campaign" in lines[0]


def test_remind_and_report_run_for_each_active_campaign(env: dict[str, str], tmp_path: Path) -> None:
    reminded = run("remind", "--dry-run", "--json", "--now", "2025-09-16T09:00:00+07:00", env=env)
    assert reminded.returncode == 0, reminded.stderr
    results = json.loads(reminded.stdout)
    assert [r["campaign"] for r in results] == [A, B]
    assert all(r["failed"] == [] and ("slot" in r or r.get("reason")) for r in results), results
    built = run("report", "--json", "--out", str(tmp_path / "out"), env=env)
    assert built.returncode == 0, built.stderr
    reports = json.loads(built.stdout)
    assert [r["campaign"] for r in reports] == [A, B]
    for r in reports:
        assert all(Path(f).is_file() and Path(f).is_relative_to(tmp_path / "out" / r["campaign"]) for f in r["files"])


def test_history_speaks_vietnamese_and_the_folder_scan_serves_both(env: dict[str, str], tmp_path: Path) -> None:
    import datetime as dt

    from config.settings import Settings
    from flows.app import App
    from flows.web.actions import record_response

    app = App(Settings(_env_file=None, database_url=env["BAOCAO_DATABASE_URL"], data_dir=Path(env["BAOCAO_DATA_DIR"]),
                       config_dir=Path(env["BAOCAO_CONFIG_DIR"])))
    at = dt.datetime(2025, 9, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    record_response(app, "sotp", "paper", "report", at, "gửi qua bưu điện", None, "canbo", campaign_id=B)
    app.engine.dispose()
    shown = run("history", "sotp", "--campaign", B, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "qua bản giấy" in shown.stdout and "Ghi nhận" in shown.stdout
    for code in ("paper", "submission", "response_recorded", "event:"):
        assert code not in shown.stdout, (code, shown.stdout)
    # The shared folder no longer needs --campaign: one scan for every open campaign.
    drop = tmp_path / "chung"
    drop.mkdir()
    scanned = run("ingest", "folder", "--json", env={**env, "BAOCAO_DROP__DIR": str(drop)})
    assert scanned.returncode == 0, scanned.stderr
    assert json.loads(scanned.stdout)["counts"]["total"] == 0
