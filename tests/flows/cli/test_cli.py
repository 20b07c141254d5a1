"""The `baocao` command as an installer would run it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BAOCAO = Path(sys.executable).parent / "baocao"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    full.update(env)
    return subprocess.run([str(BAOCAO), *args], capture_output=True, text=True, env=full, cwd=ROOT, timeout=1800)


def test_init_and_status_json(db_url: str, tmp_path: Path) -> None:
    env = {"BAOCAO_DATABASE_URL": db_url, "BAOCAO_DATA_DIR": str(tmp_path / "data")}
    first = run("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "de-an-996" in first.stdout and "thêm 28" in first.stdout
    second = run("init", env=env)
    assert second.returncode == 0 and "không thay đổi" in second.stdout
    status = run("status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)  # nothing but JSON on stdout
    assert data["campaign"] == "de-an-996"
    assert len(data["recipients"]) == 28
    assert all(r["state"] == "not_responded" for r in data["recipients"])
    table = run("status", env=env)
    assert table.returncode == 0 and "Chưa trả lời" in table.stdout and "Tổng 28 đơn vị" in table.stdout
    # The title writes the deadline as people do (15/08/2025), never the ISO form.
    assert "hạn nộp 15/08/2025" in table.stdout and "2025-08-15" not in table.stdout


def test_user_add_names_the_role_in_vietnamese(tmp_path: Path) -> None:
    env = {"BAOCAO_DATA_DIR": str(tmp_path / "data")}
    assert run("init", env=env).returncode == 0
    labels = {"editor": "xử lý", "admin": "quản trị"}
    for role, label in labels.items():
        full = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")} | env
        done = subprocess.run([str(BAOCAO), "user", "add", f"can-bo-{role}", "--role", role, "--password-stdin",
                               "--nguoi", "Trần Văn An"],
                              input="mat-khau-du-dai-123\n", capture_output=True, text=True, env=full, cwd=ROOT,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        assert f"với vai trò {label}." in done.stdout and role not in done.stdout.replace(f"can-bo-{role}", "")


def test_default_database_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    env = {"BAOCAO_DATA_DIR": str(tmp_path / "data")}
    assert run("init", env=env).returncode == 0
    assert (tmp_path / "data" / "baocao.sqlite3").exists()


def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path) -> None:
    cases = [
        {"BAOCAO_CONFIG_DIR": str(tmp_path / "missing"), "BAOCAO_DATA_DIR": str(tmp_path)},
        {"BAOCAO_DATABASE_URL": "not a url", "BAOCAO_DATA_DIR": str(tmp_path)},
        {"BAOCAO_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x", "BAOCAO_DATA_DIR": str(tmp_path)},
    ]
    for env in cases:
        result = run("status", "--json", env=env)
        assert result.returncode == 2, (env, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().startswith("Lỗi"), result.stderr
        assert result.stdout == ""


def test_status_before_init_says_what_to_do(tmp_path: Path) -> None:
    result = run("status", env={"BAOCAO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "baocao init" in result.stderr and "Traceback" not in result.stderr


def test_password_never_printed(tmp_path: Path) -> None:
    env = {
        "BAOCAO_DATABASE_URL": "postgresql+psycopg://u:TopSecret123@127.0.0.1:1/x",
        "BAOCAO_DATA_DIR": str(tmp_path),
        "BAOCAO_IMAP__PASSWORD": "ImapSecret456",
    }
    result = run("init", env=env)
    assert "TopSecret123" not in result.stdout + result.stderr
    assert "ImapSecret456" not in result.stdout + result.stderr


def test_bad_setting_values_are_one_line_naming_the_variable(tmp_path: Path) -> None:
    cases = {
        "BAOCAO_IMAP__SECURITY=tls": ("BAOCAO_IMAP__SECURITY", "'ssl', 'starttls', 'none'"),
        "BAOCAO_SMTP__PORT=abc": ("BAOCAO_SMTP__PORT", "số nguyên"),
        "BAOCAO_TIMEZONE=Asia/Hanoi": ("BAOCAO_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "BAOCAO_FILE_BUDGET_SECONDS=0": ("BAOCAO_FILE_BUDGET_SECONDS", "lớn hơn 0"),
    }
    for setting, expected in cases.items():
        name, _, value = setting.partition("=")
        for command in (("ingest", "mail"), ("status",)):
            result = run(*command, env={"BAOCAO_DATA_DIR": str(tmp_path), name: value})
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert result.returncode == 2, (setting, result.stderr)
            assert len(lines) == 1 and lines[0].startswith("Lỗi:") and "Traceback" not in result.stderr, result.stderr
            assert all(word in lines[0] for word in expected), lines[0]
            assert value in lines[0]


def test_parse_json_shows_each_figures_provenance_and_the_documents_confidence(tmp_path: Path) -> None:
    env = {"BAOCAO_DATA_DIR": str(tmp_path / "data")}
    fixture = ROOT / "tests" / "fixtures" / "docx" / "syt_full.docx"
    done = run("parse", "--json", str(fixture), env=env)
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    assert doc["confidence"] == 1.0 and doc["coverage"] == 1.0 and doc["problems"] == []
    row7 = doc["indicators"]["7"]["values"]
    assert row7["plan"] == {"value": 50, "source": "read", "raw": "50", "where": "bảng 2, dòng 11, cột 3", "confidence": 1.0}
    assert row7["result"]["source"] == "explicit_none" and row7["result"]["raw"] == "-"
    assert doc["indicators"]["1"]["values"]["rate"]["source"] == "read"
    text = run("parse", str(fixture), env=env)
    assert "Độ tin cậy: 100%" in text.stdout and "- (không có)" in text.stdout
