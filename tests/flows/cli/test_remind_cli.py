"""`baocao remind / send-request / history` over a simulated August–September 2025, on SQLite
and PostgreSQL, against a real SMTP server: each slot exactly once, never on a day off."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from flows.app import App
from flows.cli.base import UserError
from flows.cli.main import cli
from flows.dev.smtp_capture import SmtpCapture
from storage.campaigns import recipient_by_code
from storage.models import OutboundMail, RecipientRow, Submission

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ALL_SLOTS = ["before-5", "before-1", "overdue-1", "overdue-2", "overdue-3"]
runner = CliRunner()


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpCapture]:
    with SmtpCapture(tls=False) as server:
        yield server


@pytest.fixture
def mail_app(app: App, smtp_server: SmtpCapture, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The initialised app sending to the capture server; the CLI uses it (one engine)."""
    smtp_server.messages.clear()
    application = App(app.settings.model_copy(update={"smtp": smtp_server.settings()}))
    monkeypatch.setattr("flows.cli.remind.make_app", lambda: application)
    monkeypatch.setenv("BAOCAO_ACTOR", "Trần Văn An")  # who sends and resolves (the audit names them)
    yield application
    application.engine.dispose()


def run_json(*args: str) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def respond(app: App, code: str, kind: str, at: dt.datetime, sections=(), rows=()) -> None:
    """A recipient answers (as ingestion would record it)."""
    with app.session() as session:
        rec = recipient_by_code("de-an-996", code, session=session)
        session.add(
            Submission(
                campaign_id="de-an-996", recipient_id=rec.id, received_at=at, channel="email", kind=kind,
                content_key=f"{code}-{at.isoformat()}", missing_sections=list(sections), missing_rows=list(rows),
            )
        )


# Who answers when during the simulation.
RESPONSES = [
    ("sonv", "report", local(dt.date(2025, 8, 5), 10), (), ()),
    ("sotp", "acknowledgement", local(dt.date(2025, 8, 10), 10), (), ()),
    ("sotc", "report", local(dt.date(2025, 8, 12), 10), ("1.a",), ("3",)),
    ("vpubnd", "nil_report", local(dt.date(2025, 8, 19), 11), (), ()),
]
EXPECTED = {
    "sonv": [],
    "sotp": [("reminder", s) for s in ALL_SLOTS],
    "sotc": [("reminder", "before-5")] + [("reminder_incomplete", s) for s in ALL_SLOTS[1:]],
    "vpubnd": [("reminder", s) for s in ALL_SLOTS[:3]],
}


def test_simulated_campaign_sends_each_slot_once(mail_app: App, smtp_server: SmtpCapture) -> None:
    pending = list(RESPONSES)
    nothing_reasons: dict[dt.date, str] = {}
    day = dt.date(2025, 8, 1)
    while day <= dt.date(2025, 9, 30):
        for hour, minute in ((7, 30), (9, 0), (14, 0), (17, 0)):
            moment = local(day, hour, minute)
            while pending and pending[0][2] <= moment:
                code, kind, at, sections, rows = pending.pop(0)
                respond(mail_app, code, kind, at, sections, rows)
            before = len(smtp_server.messages)
            if hour == 9:
                preview = run_json("remind", "--now", moment.isoformat(), "--dry-run")
                assert len(smtp_server.messages) == before and preview["sent"] == []
            result = run_json("remind", "--now", moment.isoformat())
            assert result["failed"] == []
            sent = {(s["recipient"], s["kind"], s["slot"]) for s in result["sent"]}
            if hour == 9:
                assert sent == {(s["recipient"], s["kind"], s["slot"]) for s in preview["would_send"]}
            assert len(smtp_server.messages) - before == len(sent)
            if sent:
                assert day.weekday() < 5 and (hour, minute) != (7, 30) and hour != 17
            elif result["reason"] and hour == 9:
                nothing_reasons[day] = result["reason"]
        day += dt.timedelta(days=1)
    assert "Quốc khánh" in nothing_reasons[dt.date(2025, 9, 2)]
    assert "cuối tuần" in nothing_reasons[dt.date(2025, 8, 16)]
    got = _sent_slots(mail_app)
    for code, expected in EXPECTED.items():
        assert got.get(code, []) == expected, code
    others = {code: slots for code, slots in got.items() if code not in EXPECTED}
    assert len(others) == 24 and all(s == [("reminder", x) for x in ALL_SLOTS] for s in others.values())
    assert len(smtp_server.messages) == sum(len(v) for v in got.values())
    # The "còn thiếu nội dung" mail names the missing heading and row label.
    incomplete = next(m.message for m in smtp_server.messages if m.message["X-Baocao-Kind"] == "reminder_incomplete")
    text = incomplete.get_content()
    assert "Mục 1.a: Về xây dựng, trình cấp có thẩm quyền" in text and "dòng 3: Nhiệm vụ nghiên cứu" in text
    _check_history(mail_app)


def _sent_slots(app: App) -> dict[str, list[tuple[str, str]]]:
    got: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with app.session() as session:
        rows = session.execute(
            select(RecipientRow.code, OutboundMail.kind, OutboundMail.slot, OutboundMail.status)
            .join(RecipientRow, RecipientRow.id == OutboundMail.recipient_id)
            .order_by(OutboundMail.id)
        )
        for code, kind, slot, status in rows:
            assert status == "sent"
            name, _, deadline = slot.partition("@")
            assert deadline == "2025-08-15"
            got[code].append((kind, name))
    return dict(got)


def _check_history(app: App) -> None:
    history = run_json("history", "sotc")
    kinds = [e["kind"] for e in history["entries"]]
    # Mails carry their real sending time (now), submissions the simulated 2025 one.
    assert sorted(kinds) == sorted(["reminder", "submission", *["reminder_incomplete"] * 4])
    times = [e["at"] for e in history["entries"]]
    assert times == sorted(times)
    submission = next(e for e in history["entries"] if e["kind"] == "submission")
    assert "còn thiếu: 1.a, 3" in submission["summary"]
    by_mail = run_json("history", "sotc@quangngai.example")
    assert by_mail["recipient"]["id"] == "sotc"


def test_cli_with_settings_from_the_environment(app: App, smtp_server: SmtpCapture, monkeypatch) -> None:
    """The real entry point: settings read from BAOCAO_* variables."""
    smtp_server.messages.clear()
    env = {
        "BAOCAO_DATABASE_URL": app.settings.database_url,
        "BAOCAO_DATA_DIR": str(app.settings.data_dir),
        "BAOCAO_CONFIG_DIR": str(app.settings.config_dir),
        "BAOCAO_SMTP__HOST": smtp_server.host,
        "BAOCAO_SMTP__PORT": str(smtp_server.port),
        "BAOCAO_SMTP__SECURITY": "none",
        "BAOCAO_SMTP__SENDER": "tdc@skhcn.quangngai.example",
        "BAOCAO_SMTP__RATE_LIMIT": "0",
        "BAOCAO_ACTOR": "Trần Văn An",  # who sends and resolves (the audit names them)
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    first = run_json("send-request", "--force")  # the shipped campaign has no number yet
    again = run_json("send-request", "--force")
    assert len(first["sent"]) == 28 and again["sent"] == [] and len(smtp_server.messages) == 28
    dry = run_json("remind", "--now", "2025-08-18T09:00:00+07:00", "--dry-run")
    assert dry["dry_run"] is True and len(dry["would_send"]) == 28 and len(smtp_server.messages) == 28
    people = runner.invoke(cli, ["remind", "--now", "2025-08-18T09:00:00+07:00"])
    assert people.exit_code == 0 and "Tổng: đã gửi 28" in people.stdout
    history = run_json("history", "sonv")
    assert [e["kind"] for e in history["entries"]] == ["request", "reminder"]
    bad = runner.invoke(cli, ["remind", "--now", "thứ hai"])
    assert isinstance(bad.exception, UserError)
    not_stuck = runner.invoke(cli, ["mail-resolve", str(history["entries"][0]["outbound_id"]), "--sent"])
    assert isinstance(not_stuck.exception, UserError) and "không ở trạng thái" in str(not_stuck.exception)
    unknown = runner.invoke(cli, ["history", "khong-co"])
    assert isinstance(unknown.exception, UserError) and "khong-co" in str(unknown.exception)


def test_history_names_slots_in_vietnamese(mail_app: App) -> None:
    """`baocao history`: "lần gửi đầu", "nhắc trước hạn 1 ngày làm việc, hạn …", never "(initial)"."""
    assert runner.invoke(cli, ["send-request", "--force"]).exit_code == 0
    assert runner.invoke(cli, ["remind", "--now", "2025-08-14T09:00:00+07:00"]).exit_code == 0
    shown = runner.invoke(cli, ["history", "sonv"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "(lần gửi đầu)" in text and "(nhắc trước hạn 1 ngày làm việc, hạn 15/08/2025)" in text
    assert "initial" not in text and "before-1" not in text
