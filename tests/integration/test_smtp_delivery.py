"""Outgoing mail against a real SMTP server (aiosmtpd, STARTTLS + AUTH and plain), on SQLite
and PostgreSQL: the request reaches every recipient exactly once, crashes and failures."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from flows.adapters.smtp import SmtpConnectError, SmtpSender
from flows.app import App, status_report
from flows.dev.net import refused_port
from flows.dev.smtp_capture import SmtpCapture
from flows.history import recipient_history
from flows.outbound.delivery import Draft, UnknownMail, deliver, resolve_mail
from flows.outbound.requests import send_request
from parsers.mailids import is_our_message_id
from storage.models import ContactRow, Event, OutboundMail, RecipientRow

RECIPIENTS = 28


@pytest.fixture(scope="module")
def tls_server() -> Iterator[SmtpCapture]:
    with SmtpCapture(tls=True) as server:
        yield server


@pytest.fixture(scope="module")
def plain_server() -> Iterator[SmtpCapture]:
    with SmtpCapture(tls=False) as server:
        yield server


def _reset(server: SmtpCapture) -> SmtpCapture:
    server.messages.clear()
    server.refuse.clear()
    server.fail_data = False
    return server


@pytest.fixture
def mail_app(app: App, tls_server: SmtpCapture) -> Iterator[App]:
    """The initialised app (each backend) sending through the STARTTLS + AUTH server."""
    _reset(tls_server)
    application = App(app.settings.model_copy(update={"smtp": tls_server.settings()}))
    yield application
    application.engine.dispose()


def _rows(app: App) -> list[OutboundMail]:
    with app.session() as session:
        return list(session.scalars(select(OutboundMail).order_by(OutboundMail.id)))


def _per_recipient(server: SmtpCapture) -> Counter[str]:
    return Counter(tuple(sorted(m.rcpt_tos))[0] for m in server.messages)


def test_starttls_with_auth_and_plain(tls_server: SmtpCapture, plain_server: SmtpCapture) -> None:
    from email.message import EmailMessage

    for server in (_reset(tls_server), _reset(plain_server)):
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = "Thử gửi", "tdc@skhcn.quangngai.example", "a@x.vn"
        msg.set_content("Xin chào")
        with SmtpSender(server.settings()) as sender:
            assert sender.send(msg, ["a@x.vn"]) == {}
        assert [m.message["Subject"] for m in server.messages] == ["Thử gửi"]
    bad = tls_server.settings().model_copy(update={"password": None})
    with pytest.raises(SmtpConnectError) as info:
        SmtpSender(bad).open()
    assert "từ chối đăng nhập" in str(info.value)
    assert tls_server.password not in str(info.value)


def test_request_reaches_every_recipient_exactly_once(mail_app: App, tls_server: SmtpCapture) -> None:
    first = send_request(mail_app)
    second = send_request(mail_app)
    assert len(first["sent"]) == RECIPIENTS and first["failed"] == []
    assert second["sent"] == [] and len(second["skipped"]) == RECIPIENTS
    assert all(s["reason"].startswith("đã gửi") for s in second["skipped"])
    assert len(tls_server.messages) == RECIPIENTS
    assert set(_per_recipient(tls_server).values()) == {1}
    # Every message went over one connection, with our headers.
    assert len({m.peer for m in tls_server.messages}) == 1
    msg = tls_server.messages[0].message
    assert msg["Auto-Submitted"] == "auto-generated"
    assert is_our_message_id(msg["Message-ID"])
    assert msg["Date"].endswith("+0700")
    names = [part.get_filename() for part in msg.iter_attachments()]
    assert names == ["de-cuong-de-an-996.docx", "bieu-dinh-luong-de-an-996.xlsx"]
    _check_form(next(p for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx")).get_content())
    rows = _rows(mail_app)
    assert {r.status for r in rows} == {"sent"} and len(rows) == RECIPIENTS
    # The .eml we stored is byte for byte what the server received.
    stored = {mail_app.blobs.read(r.raw_sha256) for r in rows}
    assert stored == {m.data for m in tls_server.messages}
    with mail_app.session() as session:
        events = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "mail_sent"))
    assert events == RECIPIENTS


def _check_form(data: bytes) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [r for r in wb.worksheets[0].iter_rows(values_only=True) if r and r[0]]
    wb.close()
    header = next(r for r in rows if r[0] == "TT")
    assert [str(h).split("\n")[0] for h in header] == ["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"]
    tts = [r[0] for r in rows[rows.index(header) + 1 :]]
    assert tts == ["I", "1", "2", "3", "4", "II", "5", "6", "7"]


def test_crash_after_reserve_before_send_sends_once(
    mail_app: App, tls_server: SmtpCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.outbound.delivery as outgoing

    def crash(*_a: object, **_k: object) -> bool:
        raise RuntimeError("máy tắt đột ngột")

    monkeypatch.setattr(outgoing, "_claim", crash)
    with pytest.raises(RuntimeError):
        send_request(mail_app)
    assert tls_server.messages == []
    assert {r.status for r in _rows(mail_app)} == {"pending"}
    monkeypatch.undo()
    result = send_request(mail_app)
    assert len(result["sent"]) == RECIPIENTS
    assert set(_per_recipient(tls_server).values()) == {1} and len(tls_server.messages) == RECIPIENTS


def test_crash_after_send_before_confirm_is_never_resent(
    mail_app: App, tls_server: SmtpCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.outbound.delivery as outgoing

    def crash(*_a: object, **_k: object) -> None:
        raise RuntimeError("máy tắt sau khi gửi")

    monkeypatch.setattr(outgoing, "_confirm", crash)
    with pytest.raises(RuntimeError):
        send_request(mail_app)
    assert len(tls_server.messages) == 1
    crashed_to = tls_server.messages[0].rcpt_tos[0]
    monkeypatch.undo()
    result = send_request(mail_app)
    assert len(result["sent"]) == RECIPIENTS - 1
    # We err on the side of not sending twice: the unknown one is skipped and reported.
    unknown = [s for s in result["skipped"] if "không rõ" in s["reason"]]
    assert len(unknown) == 1 and unknown[0]["to"][0] == crashed_to
    assert _per_recipient(tls_server)[crashed_to] == 1
    assert len(tls_server.messages) == RECIPIENTS
    code = unknown[0]["recipient"]
    status = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert status[code]["mail_failed"] == 1
    entries = recipient_history(mail_app, code)["entries"]
    stuck = next(e for e in entries if e["kind"] == "request")
    assert stuck["status"] == "sending" and "không rõ" in stuck["summary"]
    # A person checks and asks for it again: the next run sends it once more, then never.
    with pytest.raises(UnknownMail):
        resolve_mail(mail_app, stuck["outbound_id"] + 10_000, sent=False, actor="Trần Văn An")
    assert resolve_mail(mail_app, stuck["outbound_id"], sent=False, actor="Trần Văn An")["status"] == "failed"
    with mail_app.session() as session:  # the audit line names the person who decided
        from storage.models import Event

        assert [e.actor for e in session.scalars(select(Event).where(Event.kind == "mail_resolved"))] == ["Trần Văn An"]
    with pytest.raises(UnknownMail, match="không ở trạng thái"):
        resolve_mail(mail_app, stuck["outbound_id"], sent=True, actor="Trần Văn An")
    assert [s["recipient"] for s in send_request(mail_app)["sent"]] == [code]
    assert send_request(mail_app)["sent"] == [] and _per_recipient(tls_server)[crashed_to] == 2
    assert {r["id"]: r for r in status_report(mail_app)["recipients"]}[code]["mail_failed"] == 0


def test_refused_recipient_fails_shows_in_status_and_is_retried(mail_app: App, tls_server: SmtpCapture) -> None:
    tls_server.refuse.add("sonv@quangngai.example")
    result = send_request(mail_app)
    assert [f["recipient"] for f in result["failed"]] == ["sonv"]
    assert "550" in result["failed"][0]["error"]
    status = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert status["sonv"]["mail_failed"] == 1 and status["sotp"]["mail_failed"] == 0
    history = recipient_history(mail_app, "sonv")["entries"]
    assert [e["kind"] for e in history] == ["request", "event:mail_failed"]
    tls_server.refuse.clear()
    retry = send_request(mail_app)
    assert [s["recipient"] for s in retry["sent"]] == ["sonv"]
    assert _per_recipient(tls_server)["sonv@quangngai.example"] == 1
    assert status_report(mail_app)["recipients"][1]["mail_failed"] == 0
    row = next(r for r in _rows(mail_app) if r.to_addrs == ["sonv@quangngai.example"])
    assert (row.status, row.attempts) == ("sent", 2)


def test_unreachable_server_fails_everything_then_retries(mail_app: App, tls_server: SmtpCapture) -> None:
    with refused_port() as port:
        down = mail_app.settings.smtp.model_copy(update={"port": port})
        offline = App(mail_app.settings.model_copy(update={"smtp": down}))
        result = send_request(offline)
    offline.engine.dispose()
    assert result["sent"] == [] and len(result["failed"]) == RECIPIENTS
    assert "không kết nối được" in result["failed"][0]["error"]
    assert {(r.status, r.attempts) for r in _rows(mail_app)} == {("failed", 1)}
    again = send_request(mail_app)
    assert len(again["sent"]) == RECIPIENTS and len(tls_server.messages) == RECIPIENTS


class _FakeClock:
    """Stands in for the `time` module of flows.outbound.delivery: sleeping moves the clock
    and is counted, so the gaps the rate limit asks for are seen without waiting for them."""

    def __init__(self) -> None:
        self.now, self.slept = 1000.0, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_one_connection_per_batch_with_rate_limit(app: App, plain_server: SmtpCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.outbound.delivery as outgoing

    _reset(plain_server)
    clock = _FakeClock()
    monkeypatch.setattr(outgoing, "time", clock)
    limited = App(app.settings.model_copy(update={"smtp": plain_server.settings(rate_limit=20.0)}))
    with limited.session() as session:
        ids = list(session.scalars(select(RecipientRow.id).order_by(RecipientRow.id).limit(5)))
    drafts = [
        Draft("de-an-996", rid, "alert", "test-1", [f"r{rid}@x.vn"], "Cảnh báo thử", "Nội dung thử")
        for rid in ids
    ]
    report = deliver(limited, drafts)
    limited.engine.dispose()
    assert len(report.sent) == 5 and len(plain_server.messages) == 5
    assert len({m.peer for m in plain_server.messages}) == 1
    assert clock.slept == pytest.approx([1 / 20.0] * 4)  # 5 messages at 20/s: 4 gaps of 50 ms, none before the first


def test_bouncing_address_skipped_when_the_recipient_has_another(mail_app: App, tls_server: SmtpCapture) -> None:
    with mail_app.session() as session:
        contact = session.scalars(select(ContactRow).where(ContactRow.email == "sotc@quangngai.example")).one()
        contact.bouncing = True
    send_request(mail_app)
    tos = {tuple(m.rcpt_tos) for m in tls_server.messages}
    assert ("vanthu.sotc@quangngai.example",) in tos
    assert all("sotc@quangngai.example" not in t for t in tos)
    assert len(tos) == RECIPIENTS


def test_two_concurrent_runs_send_each_request_once(mail_app: App, tls_server: SmtpCapture) -> None:
    """A scheduled run and a person's run at the same moment: the ledger decides, not luck."""
    from concurrent.futures import ThreadPoolExecutor

    twins = [App(mail_app.settings) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(send_request, twins))
    for twin in twins:
        twin.engine.dispose()
    sent = [s["recipient"] for r in results for s in r["sent"]]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == RECIPIENTS
    assert all(r["failed"] == [] for r in results)
    assert len(tls_server.messages) == RECIPIENTS and set(_per_recipient(tls_server).values()) == {1}
