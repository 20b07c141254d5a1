"""`baocao user add|list|disable` and what it means for logging in."""

from __future__ import annotations

import json

from tests.conftest import CONFIG_DIR
from tests.web.conftest import csrf_of


def test_user_add_list_disable(web_app, monkeypatch) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from flows.cli.main import cli
    from flows.web.server import build

    monkeypatch.setenv("BAOCAO_DATA_DIR", str(web_app.settings.data_dir))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(CONFIG_DIR))
    monkeypatch.setenv("BAOCAO_ACTOR", "Trần Văn An")  # who adds and disables (the audit names them)
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "Lan", "--role", "editor", "--password-stdin"], input="mat-khau-cua-lan\n")
    assert added.exit_code == 0, added.output
    assert "mat-khau-cua-lan" not in added.output
    assert runner.invoke(cli, ["user", "add", "lan", "--password-stdin"], input="mat-khau-khac-1\n").exit_code != 0
    assert runner.invoke(cli, ["user", "add", "ngan", "--password-stdin"], input="ngan\n").exit_code != 0
    listed = json.loads(runner.invoke(cli, ["user", "list", "--json"]).output)
    assert {k: v for k, v in next(u for u in listed if u["name"] == "lan").items() if k != "last_login_at"} == {"name": "lan", "role": "editor", "active": True}
    assert all("hash" not in json.dumps(u) for u in listed)

    client = TestClient(build(web_app), follow_redirects=False)
    token = csrf_of(client.get("/dang-nhap").text)
    assert client.post("/dang-nhap", data={"ten": "lan", "mat_khau": "mat-khau-cua-lan", "csrf": token}).status_code == 303
    assert client.get("/").status_code == 200
    # The last login in the office's time (+07:00), as the web shows it, not UTC.
    import datetime as dt

    listed = json.loads(runner.invoke(cli, ["user", "list", "--json"]).output)
    at = dt.datetime.fromisoformat(next(u for u in listed if u["name"] == "lan")["last_login_at"])
    assert at.utcoffset() == dt.timedelta(hours=7)
    assert abs(at - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    assert at.strftime("%Y-%m-%d %H:%M") in runner.invoke(cli, ["user", "list"], env={"COLUMNS": "200"}).output
    assert runner.invoke(cli, ["user", "disable", "lan"]).exit_code == 0
    assert client.get("/").headers["location"].startswith("/dang-nhap")  # the open session stops at once


def test_baocao_web_refuses_to_start_without_a_secret_key(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(BAOCAO_DATA_DIR=str(tmp_path), BAOCAO_CONFIG_DIR=str(CONFIG_DIR))
    done = subprocess.run([str(Path(sys.executable).with_name("baocao")), "web", "--port", "0"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "BAOCAO_WEB__SECRET_KEY" in done.stderr
