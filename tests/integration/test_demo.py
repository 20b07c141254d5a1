"""`python -m flows.dev.demo --once` on a clean folder: servers up, replies in, flows run, files out."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import subprocess
import sys
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
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
    # It points to the stable copy of the newest build.
    assert "/moi-nhat/bao-cao-tong-hop-de-an-996.docx" in out
    # One simulated clock: every mail is dated inside the story, the request first.
    mails = [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(outbox)]
    dated = sorted(((parsedate_to_datetime(m["Date"]), m["X-Baocao-Kind"], m) for m in mails), key=lambda t: t[0])
    assert dated[0][1] == "request" and dated[0][0].date() == dt.date(2025, 8, 1)
    assert all(dt.date(2025, 8, 1) <= d.date() <= dt.date(2025, 8, 31) for d, _, _ in dated)
    for when, kind, m in dated:
        text = m.get_body().get_content()
        assert "…" not in m["Subject"] and "..." not in m["Subject"] and "(Reply)" not in text
        if kind == "request":
            assert "1520/SKHCN-TĐC" in m["Subject"] and "điện thoại 0255 3822 123" in text
        if kind == "reminder" and when.date() < dt.date(2025, 8, 15):
            assert "ngày làm việc" in text and "quá hạn" not in text
    # The bounced address of Hiệp hội Kon Tum gets the request (before the bounce), nothing after.
    to_kontum = [k for _, k, m in dated if "hhdnkt@kontum.example" in str(m["To"])]
    assert to_kontum == ["request"]
    assert "hhdnkt@kontum.example bị trả lại ngày 06/08/2025; cần địa chỉ khác" in " ".join(out.split())
    # An agency's timeline: the request, then its report, then the receipt, then nothing later
    # than the story (stored times come from the same clock).
    cli_env = env | {"BAOCAO_DATA_DIR": str(data), "BAOCAO_CONFIG_DIR": str(data / "config")}
    story = subprocess.run([str(Path(sys.executable).parent / "baocao"), "history", "soyt", "--json"],
                           cwd=ROOT, env=cli_env, capture_output=True, text=True, check=False)
    assert story.returncode == 0, story.stderr
    entries = json.loads(story.stdout)["entries"]
    kinds = [e["kind"] for e in entries]
    assert kinds.index("request") < kinds.index("submission") < kinds.index("receipt"), kinds
    assert all(e["at"][:7] == "2025-08" for e in entries), [e["at"] for e in entries]


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    from flows.dev.demo import DemoError, fresh_data_dir

    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(DemoError):
        fresh_data_dir(tmp_path)
    assert (tmp_path / "keep.txt").exists()
