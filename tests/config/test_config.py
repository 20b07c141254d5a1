"""Campaign YAML validation, recipient import (CSV and XLSX) and settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.campaign import load_campaign, load_campaigns, parse_campaign, pick_campaign
from config.errors import ConfigError
from config.recipients import read_recipients
from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = ROOT / "config" / "campaigns" / "de-an-996.yaml"
SHARED_IDS = ROOT.parent / "shared" / "de-an-996" / "outline-ids.md"


def test_de_an_996_matches_the_outline_ids() -> None:
    campaign = load_campaign(CAMPAIGN)
    assert campaign.id == "de-an-996"
    assert campaign.deadline.isoformat() == "2025-08-15"
    assert campaign.deadline_at.isoformat() == "2025-08-15T23:59:59+07:00"
    assert campaign.outline.section_ids == [
        "1.a", "1.b", "1.c", "2.1.a", "2.1.b", "2.2.a", "2.2.b", "2.2.c", "2.2.d", "2.2.dd",
        "2.3.a", "2.3.b", "2.4.a", "2.4.b", "2.4.c", "2.5.a", "2.5.b",
    ]
    assert campaign.outline.row_ids == [str(i) for i in range(1, 8)]
    assert [r.group for r in campaign.outline.table.rows] == ["I"] * 4 + ["II"] * 3
    if SHARED_IDS.exists():  # the shared spec sits beside the repo in CI and on dev machines
        text = SHARED_IDS.read_text(encoding="utf-8")
        for section in campaign.outline.sections:
            assert f"| {section.id} |" in text


def test_recipients_copy_matches_shared_list() -> None:
    campaign = load_campaign(CAMPAIGN)
    recipients = read_recipients(campaign.recipients_path)
    assert len(recipients) == 28
    soct = next(r for r in recipients if r.code == "soct")
    assert soct.emails == ("soct@quangngai.example", "qlcn.soct@quangngai.example")
    sogddt = next(r for r in recipients if r.code == "sogddt")
    assert sogddt.aliases == ("Sở GD&ĐT", "Sở GDĐT")


def _yaml_with(change) -> str:
    data = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    assert info.value.source == str(path)
    assert info.value.line in (2, 3)
    assert str(path) in str(info.value)


def test_unknown_section_group_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = _yaml_with(lambda d: d["outline"]["sections"].append({"id": "9.a", "heading": "Lạ"}))
    with pytest.raises(ConfigError) as info:
        parse_campaign(text, tmp_path / "c.yaml")
    assert "9.a" in str(info.value)
    assert info.value.field == "outline"
    assert info.value.line is not None


def test_malformed_section_id_points_at_the_field(tmp_path: Path) -> None:
    text = _yaml_with(lambda d: d["outline"]["sections"][2].update(id="1-c"))
    with pytest.raises(ConfigError) as info:
        parse_campaign(text, tmp_path / "c.yaml")
    assert info.value.field == "outline.sections.2.id"
    line = info.value.line
    assert line is not None and "1-c" in text.splitlines()[line - 1]


def test_duplicate_section_id_is_rejected(tmp_path: Path) -> None:
    text = _yaml_with(lambda d: d["outline"]["sections"][1].update(id="1.a"))
    with pytest.raises(ConfigError, match="1.a"):
        parse_campaign(text, tmp_path / "c.yaml")


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    text = _yaml_with(lambda d: d.update(deadlin="2025-08-15"))
    with pytest.raises(ConfigError) as info:
        parse_campaign(text, tmp_path / "c.yaml")
    assert info.value.field == "deadlin"


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.csv"
    path.write_text("ma_don_vi,ten_don_vi,nhom,email,ten_khac\n" + body, encoding="utf-8")
    return path


def test_duplicate_recipient_id_names_the_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "soyt,Sở Y tế,so_nganh,a@b.vn,\nsoyt,Sở Y tế 2,so_nganh,c@d.vn,\n")
    with pytest.raises(ConfigError) as info:
        read_recipients(path)
    assert (info.value.line, info.value.field) == (3, "ma_don_vi")


def test_malformed_email_is_rejected(tmp_path: Path) -> None:
    path = _csv(tmp_path, "soyt,Sở Y tế,so_nganh,soyt@@quangngai,\n")
    with pytest.raises(ConfigError) as info:
        read_recipients(path)
    assert info.value.field == "email" and info.value.line == 2


def test_recipients_from_xlsx_equal_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    csv_recipients = read_recipients(ROOT / "config" / "recipients" / "de-an-996.csv")
    wb = Workbook()
    ws = wb.active
    ws.append(["ma_don_vi", "ten_don_vi", "nhom", "email", "ten_khac"])
    for r in csv_recipients:
        ws.append([r.code.upper(), r.name, r.group, "; ".join(r.emails), "; ".join(r.aliases)])
    ws.append([None, None, None, None, None])  # trailing blank row, as Excel leaves them
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert read_recipients(path) == csv_recipients


def test_nfd_names_become_nfc(tmp_path: Path) -> None:
    import unicodedata

    path = _csv(tmp_path, unicodedata.normalize("NFD", "soyt,Sở Y tế,so_nganh,a@b.vn,SYT\n"))
    [rec] = read_recipients(path)
    assert rec.name == unicodedata.normalize("NFC", "Sở Y tế")


def test_pick_campaign_defaults_to_the_only_one() -> None:
    campaigns = load_campaigns(CAMPAIGN.parent)
    assert pick_campaign(campaigns, None).id == "de-an-996"
    with pytest.raises(ConfigError, match="không có chiến dịch"):
        pick_campaign(campaigns, "khac")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BAOCAO_IMAP__HOST", "mail.example")
    monkeypatch.setenv("BAOCAO_IMAP__PASSWORD", "s3cret-pass")
    monkeypatch.setenv("BAOCAO_IMAP__SECURITY", "starttls")
    monkeypatch.setenv("BAOCAO_SMTP__SENDER", "tdc@skhcn.example")
    monkeypatch.setenv("BAOCAO_DROP__DIR", str(tmp_path))
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path / "d"))
    s = Settings(_env_file=None)
    assert s.imap.host == "mail.example" and s.imap.effective_port == 143
    assert s.imap.password is not None and s.imap.password.get_secret_value() == "s3cret-pass"
    assert "s3cret-pass" not in repr(s) and "s3cret-pass" not in str(s.model_dump())
    assert s.smtp.sender == "tdc@skhcn.example"
    assert s.drop.dir == tmp_path
    assert s.effective_database_url.startswith("sqlite:///") and str(tmp_path / "d") in s.effective_database_url
    assert s.timezone == "Asia/Ho_Chi_Minh" and s.imap.folder == "INBOX"


def test_every_variable_in_readme_and_env_example_is_a_setting() -> None:
    """The README's configuration table and .env.example name only real settings."""
    import re

    names = set(re.findall(r"BAOCAO_[A-Z_]+", (ROOT / "README.md").read_text(encoding="utf-8")))
    names |= set(re.findall(r"^#?\s*(BAOCAO_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    names -= {"BAOCAO_TEST_PG", "BAOCAO_REFRESH_SCREENSHOTS"}  # the test suite's own variables
    names -= {"BAOCAO_ACTOR"}  # the CLI's --nguoi read from the environment (who acts), not a service setting
    fields = Settings.model_fields
    for name in sorted(names):
        parts = name.removeprefix("BAOCAO_").lower().split("__")
        assert parts[0] in fields, name
        if len(parts) > 1:
            group = fields[parts[0]].annotation
            assert parts[1] in group.model_fields, name  # type: ignore[union-attr]
    s = Settings(_env_file=ROOT / ".env.example")
    assert s.imap.host and s.smtp.sender and s.drop.dir


def test_readme_names_every_setting() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        sub = getattr(field.annotation, "model_fields", None)
        if sub:
            for key in sub:
                assert f"__{key.upper()}" in text, f"BAOCAO_{name.upper()}__{key.upper()}"
        else:
            assert f"BAOCAO_{name.upper()}" in text, name


def test_a_date_the_calendar_does_not_have_names_the_line_and_value(tmp_path: Path) -> None:
    """`deadline: 2025-13-45` is a date to YAML, and no date at all: a Vietnamese error with the
    file, the line and the value, not PyYAML's ValueError."""
    text = CAMPAIGN.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("deadline:"))
    lines[index] = "deadline: 2025-13-45"
    path = tmp_path / "bad-date.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_campaign(path)
    assert info.value.line == index + 1
    assert "«2025-13-45» không phải ngày hợp lệ" in str(info.value)
    assert "month must be" not in str(info.value)


def test_user_mistakes_at_the_command_line_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    """BAOCAO_DATA_DIR that is a file; a PostgreSQL server that is not there (the password in
    the URL never printed)."""
    import os
    import subprocess

    baocao = ROOT / ".venv" / "bin" / "baocao"
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    env = {**os.environ, "BAOCAO_CONFIG_DIR": str(ROOT / "config"), "BAOCAO_DATA_DIR": str(a_file)}
    env.pop("BAOCAO_DATABASE_URL", None)
    run = subprocess.run([str(baocao), "init"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"«{a_file}» là một tệp, không phải thư mục" in run.stderr

    env["BAOCAO_DATA_DIR"] = str(tmp_path / "data")
    env["BAOCAO_DATABASE_URL"] = "postgresql+psycopg://postgres:bi-mat@127.0.0.1:1/test"
    run = subprocess.run([str(baocao), "status"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "bi-mat" not in run.stderr
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "không kết nối được cơ sở dữ liệu tại 127.0.0.1:1" in run.stderr
