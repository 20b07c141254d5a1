"""`baocao send-request` / `remind` as a person runs them, against a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL: the pre-flight, `--preview`, and exit codes with
one-line Vietnamese messages when the server is stopped or refuses."""

from __future__ import annotations

import datetime as dt
import email
import json
import shutil
import sys
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.app import App, init
from flows.cli.main import main
from flows.dev.smtp_capture import SmtpCapture
from storage.models import OutboundMail
from tests.conftest import CONFIG_DIR

FINISHED = {
    '  number: "…/SKHCN-TĐC"': '  number: "1234/SKHCN-TĐC"',
    "    phone: null": '    phone: "0255 3822 123"',
    "    email: null": '    email: "tdc@skhcn.quangngai.gov.vn"',
    "  attachments: []": "  attachments: [qd-996.pdf, kh-3144.pdf]",
}


def finished_config(root: Path) -> Path:
    """The project's config with the letter finished: number, phone, the enclosed files."""
    config = root / "config"
    shutil.copytree(CONFIG_DIR, config)
    yaml_path = config / "campaigns" / "de-an-996.yaml"
    text = yaml_path.read_text("utf-8")
    for old, new in FINISHED.items():
        assert old in text
        text = text.replace(old, new)
    yaml_path.write_text(text, "utf-8")
    for name in ("qd-996.pdf", "kh-3144.pdf"):
        (config / "campaigns" / name).write_bytes(b"%PDF-1.4\n% " + name.encode() + b"\n%%EOF\n")
    return config


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpCapture]:
    with SmtpCapture(tls=False) as server:
        yield server


def make_app(settings_factory, db_url: str, server: SmtpCapture | None, config: Path = CONFIG_DIR) -> App:
    settings = settings_factory(database_url=db_url, config_dir=config)
    if server is not None:
        smtp = server.settings().model_copy(update={"sender_name": "Sở Khoa học và Công nghệ Quảng Ngãi"})
        settings = settings.model_copy(update={"smtp": smtp})
    application = App(settings)
    init(application)
    return application


def run(monkeypatch, capsys, application: App, *args: str) -> tuple[int, str, str]:
    """`baocao ARGS` through the real entry point (exit codes and stderr as a person sees them)."""
    monkeypatch.setattr("flows.cli.remind.make_app", lambda: application)
    monkeypatch.setattr(sys, "argv", ["baocao", *args])
    monkeypatch.setenv("BAOCAO_ACTOR", "Trần Văn An")  # the person sending (the audit line names them)
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), captured.out, captured.err


def ledger_size(application: App) -> int:
    with application.session() as session:
        return session.scalar(select(func.count()).select_from(OutboundMail)) or 0


def test_unfinished_request_is_refused_with_what_is_missing(
    settings_factory, db_url, smtp_server, monkeypatch, capsys
) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server)
    code, out, err = run(monkeypatch, capsys, application, "send-request")
    assert code == 2 and out == ""
    assert "công văn chưa hoàn chỉnh, chưa gửi thư nào" in err
    assert "chưa có số công văn (đang ghi “…/SKHCN-TĐC”" in err
    assert "“Hồ sơ gửi kèm” 2 tài liệu nhưng mới đính kèm 0 tệp" in err
    assert "chưa có số điện thoại liên hệ" in err
    assert "--force" in err and "Traceback" not in err
    assert smtp_server.messages == [] and ledger_size(application) == 0
    # --force sends all the same (exactly once).
    code, out, err = run(monkeypatch, capsys, application, "send-request", "--force", "--json")
    assert code == 0 and err == ""
    assert len(json.loads(out)["sent"]) == 28 and len(smtp_server.messages) == 28
    application.engine.dispose()


def test_finished_request_passes_the_preflight(settings_factory, db_url, smtp_server, monkeypatch, capsys, tmp_path) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server, finished_config(tmp_path))
    code, out, err = run(monkeypatch, capsys, application, "send-request", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["gaps"] == [] and len(result["sent"]) == 28
    names = {part.get_filename() for part in smtp_server.messages[0].message.iter_attachments()}
    assert {"qd-996.pdf", "kh-3144.pdf"} <= names
    application.engine.dispose()


def test_preview_writes_the_exact_mails_and_sends_nothing(
    settings_factory, db_url, smtp_server, monkeypatch, capsys, tmp_path
) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server)
    folder = tmp_path / "xem-truoc"
    code, out, err = run(monkeypatch, capsys, application, "send-request", "--preview", str(folder))
    assert (code, err) == (0, "")
    assert "Đã ghi 28 thư" in out and "chưa có số công văn" in out
    assert smtp_server.messages == [] and ledger_size(application) == 0
    emls = sorted(folder.glob("*.eml"))
    htmls = sorted(folder.glob("*.html"))
    assert len(emls) == 28 and len(htmls) == 29 and (folder / "index.html").exists()
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=default_policy)
    subject = msg["Subject"]
    assert subject.startswith("…/SKHCN-TĐC V/v phối hợp báo cáo sơ kết") and "Quyết định số 996" in subject
    assert msg["From"].addresses[0].display_name == "Sở Khoa học và Công nghệ Quảng Ngãi"
    assert [a.get_filename() for a in msg.iter_attachments()] == ["de-cuong-de-an-996.docx", "bieu-dinh-luong-de-an-996.xlsx"]
    page = htmls[0].read_text("utf-8")
    assert "V/v phối hợp báo cáo sơ kết" in page and "de-cuong-de-an-996.docx" in page
    # The preview is what would be sent: the same builder, the bytes of a real send differ only
    # in Message-ID and Date.
    code, out, _ = run(monkeypatch, capsys, application, "send-request", "--force", "--json")
    sent = next(m for m in smtp_server.messages if m.message["To"] == msg["To"])
    assert sent.message["Subject"] == subject and sent.message.get_body().get_content() == msg.get_body().get_content()
    application.engine.dispose()


def test_stopped_server_exit_1_one_vietnamese_line(settings_factory, db_url, monkeypatch, capsys) -> None:
    # Never started: its port is bound (no other server can take it) but nothing listens.
    server = SmtpCapture(tls=False)
    try:
        application = make_app(settings_factory, db_url, server)
        code, out, err = run(monkeypatch, capsys, application, "send-request", "--force")
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1, err
        assert lines[0].startswith("Lỗi: 28 thư chưa gửi được (")
        assert "máy chủ từ chối kết nối" in lines[0] and "Sẽ gửi lại ở lần chạy sau" in lines[0]
        assert "Connection refused" not in err and "delivery failed" not in err
        assert "Tổng: đã gửi 0, bỏ qua 0, lỗi 28." in out
        code, out, err = run(monkeypatch, capsys, application, "remind", "--now", "2025-08-18T09:00:00+07:00", "--json")
        assert code == 1 and len(json.loads(out)["failed"]) == 28 and len(err.strip().splitlines()) == 1
        application.engine.dispose()
    finally:
        server.stop()


def test_refusing_server_lists_the_mails_that_failed(settings_factory, db_url, smtp_server, monkeypatch, capsys) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server)
    smtp_server.refuse = {"vpubnd@quangngai.example", "sonv@quangngai.example"}
    try:
        code, out, err = run(monkeypatch, capsys, application, "send-request", "--force", "--json")
    finally:
        smtp_server.refuse = set()
    result = json.loads(out)
    assert code == 1 and len(result["sent"]) == 26
    assert sorted(f["recipient"] for f in result["failed"]) == ["sonv", "vpubnd"]
    # One line per cause: here each address was refused on its own.
    lines = sorted(err.strip().splitlines())
    assert len(lines) == 2 and lines[0].startswith("Lỗi: 1 thư chưa gửi được (sonv): máy chủ từ chối mọi người nhận")
    assert lines[1].startswith("Lỗi: 1 thư chưa gửi được (vpubnd): ") and "vpubnd@quangngai.example (550" in lines[1]
    # Next run: only those two are retried; all sent now, exit 0.
    code, out, err = run(monkeypatch, capsys, application, "send-request", "--force", "--json")
    assert (code, err) == (0, "") and sorted(s["recipient"] for s in json.loads(out)["sent"]) == ["sonv", "vpubnd"]
    smtp_server.fail_data = True
    try:
        code, out, err = run(monkeypatch, capsys, application, "remind", "--now", "2025-08-18T09:00:00+07:00")
    finally:
        smtp_server.fail_data = False
    assert code == 1 and "máy chủ từ chối thư (451)" in err and len(err.strip().splitlines()) == 1
    application.engine.dispose()


def test_no_smtp_configured_is_a_configuration_error(settings_factory, db_url, monkeypatch, capsys) -> None:
    application = make_app(settings_factory, db_url, None)
    code, out, err = run(monkeypatch, capsys, application, "send-request", "--force")
    assert code == 2 and err.strip().splitlines() == [
        "Lỗi: chưa cấu hình máy chủ gửi thư: đặt BAOCAO_SMTP__HOST (và PORT, USER, PASSWORD)"
    ]
    application.engine.dispose()


def test_remind_exit_0_when_nothing_failed(settings_factory, db_url, smtp_server, monkeypatch, capsys) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server)
    moment = dt.datetime(2025, 8, 18, 9, 0).isoformat()
    code, out, err = run(monkeypatch, capsys, application, "remind", "--now", moment)
    assert (code, err) == (0, "") and "Tổng: đã gửi 28" in out
    application.engine.dispose()


def test_remind_preview_writes_the_due_reminders(settings_factory, db_url, smtp_server, monkeypatch, capsys, tmp_path) -> None:
    smtp_server.messages.clear()
    application = make_app(settings_factory, db_url, smtp_server)
    folder = tmp_path / "nhac"
    code, out, err = run(monkeypatch, capsys, application, "remind", "--now", "2025-08-18T09:00:00+07:00",
                         "--preview", str(folder), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert len(result["written"]) == 28 and result["sent"] == []
    assert smtp_server.messages == [] and ledger_size(application) == 0
    first = email.message_from_bytes((folder / result["written"][0]["eml"]).read_bytes(), policy=default_policy)
    assert first["Subject"] == result["written"][0]["subject"] and first["Subject"].startswith("Nhắc gửi báo cáo: ")
    assert "đã quá hạn 1 ngày làm việc" in first.get_body().get_content()
    # The same moment without --preview sends exactly those.
    code, out, _ = run(monkeypatch, capsys, application, "remind", "--now", "2025-08-18T09:00:00+07:00", "--json")
    assert code == 0 and sorted(s["recipient"] for s in json.loads(out)["sent"]) == sorted(
        w["recipient"] for w in result["written"]
    )
    application.engine.dispose()
