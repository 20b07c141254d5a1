"""`python -m flows.dev.demo --once` on a clean folder: servers up, replies in, flows run, files out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.dev.net import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_once_runs_everything_and_exits(tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BAOCAO_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.dev.demo", "--once", "--port", str(free_port()), "--web-port", str(free_port()), "--data", str(data)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "Tổng 28 đơn vị" in out
    assert "Giao diện web cho cán bộ TĐC: http://127.0.0.1:" in out and "(đăng nhập: demo / " in out
    assert "/artifacts/key/tinh-hinh-nop-bao-cao" in out
    docx = list((data / "reports").rglob("*.docx"))
    xlsx = list((data / "reports").rglob("*.xlsx"))
    assert docx and xlsx
    outbox = list((data / "outbox").glob("*.eml"))
    assert len(outbox) >= 28, "the request and the reminders should be in the outbox"
    assert sorted((data / "drop" / "processed").rglob("*.*")), "the dropped files were not taken"
    # Running it again replaces the previous demo folder instead of refusing or mixing data.
    assert (data / ".baocao-demo").exists()


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    from flows.dev.demo import DemoError, fresh_data_dir

    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(DemoError):
        fresh_data_dir(tmp_path)
    assert (tmp_path / "keep.txt").exists()
