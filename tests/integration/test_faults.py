"""Crashes at named points (SIGKILL of a real `baocao ingest mail` process) against Dovecot and
a real SMTP server, on SQLite and PostgreSQL: every processed reply ends with exactly one
submission and exactly one receipt, however the run died."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mail"
VN = dt.timezone(dt.timedelta(hours=7))
# Three replies that each get a receipt (a report, a nil report, a letter with a report).
REPLIES = ("01_report_rfc2231", "06_nil_docx", "04_letter_plus_report")


@pytest.fixture
def folder() -> str:
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def mail_app(app, dovecot, smtp, folder):
    """The initialised app, its mailbox a fresh folder of the shared Dovecot."""
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings()
    smtp.messages.clear()
    return app


def put(dovecot, folder: str, name: str, when: dt.datetime) -> None:
    dovecot.append((FIXTURES / f"{name}.eml").read_bytes(), folder=folder, date=when)


def cli_env(app, dovecot, smtp, folder: str) -> dict[str, str]:
    """The environment of a `baocao` process using this test's database, mailbox and SMTP."""
    s = app.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(
        BAOCAO_DATABASE_URL=s.effective_database_url,
        BAOCAO_DATA_DIR=str(s.data_dir),
        BAOCAO_CONFIG_DIR=str(s.config_dir),
        BAOCAO_IMAP__HOST=dovecot.host,
        BAOCAO_IMAP__PORT=str(dovecot.port),
        BAOCAO_IMAP__USER=dovecot.user,
        BAOCAO_IMAP__PASSWORD=dovecot.password,
        BAOCAO_IMAP__SECURITY="none",
        BAOCAO_IMAP__FOLDER=folder,
        BAOCAO_SMTP__HOST=smtp.host,
        BAOCAO_SMTP__PORT=str(smtp.port),
        BAOCAO_SMTP__SECURITY="none",
        BAOCAO_SMTP__SENDER="tdc@skhcn.quangngai.example",
        BAOCAO_SMTP__RATE_LIMIT="0",
    )
    return env


def run_cli(env: dict[str, str], *args: str, kill_at: str | None = None, on: int = 1) -> subprocess.CompletedProcess[str]:
    """`baocao ARGS` in a child process, killed with SIGKILL at `kill_at` if given."""
    env = dict(env)
    if kill_at:
        env.update(BAOCAO_FAULT_KILL_AT=kill_at, BAOCAO_FAULT_KILL_ON=str(on))
    cmd = [sys.executable, "-m", "flows.dev.faults", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def receipts_by_reply(smtp) -> Counter[str]:
    """How many receipts the SMTP server got per original Message-ID."""
    return Counter(m.message["In-Reply-To"] for m in smtp.messages if m.message["X-Baocao-Kind"] == "receipt")


@pytest.mark.parametrize(
    ("point", "on"),
    [("before_commit", 2), ("after_commit", 2), ("before_send", 2), ("after_send", 2)],
)
def test_sigkill_at_a_named_point_loses_and_doubles_nothing(mail_app, dovecot, smtp, folder, point, on):
    from storage.models import InboundMail, OutboundMail, Submission

    base = dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    for i, name in enumerate(REPLIES):
        put(dovecot, folder, name, base + dt.timedelta(hours=i))
    env = cli_env(mail_app, dovecot, smtp, folder)
    killed = run_cli(env, "ingest", "mail", "--json", kill_at=point, on=on)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with mail_app.session() as s:
        committed = len(list(s.scalars(select(InboundMail))))
    # Where it died: mid-message (1 committed), after the 2nd commit, or in the receipts (all 3).
    assert committed == {"before_commit": 1, "after_commit": 2}.get(point, 3)

    again = run_cli(env, "ingest", "mail", "--json")
    assert again.returncode == 0, again.stderr
    run_cli(env, "ingest", "mail", "--json")  # a third run changes nothing
    with mail_app.session() as s:
        mails = list(s.scalars(select(InboundMail).order_by(InboundMail.uid)))
        subs = Counter(x.inbound_mail_id for x in s.scalars(select(Submission)))
        slots = Counter(r.slot for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt")))
        states = {r.slot: r.status for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt"))}
    assert [m.status for m in mails] == ["processed"] * 3
    assert sorted(subs[m.id] for m in mails) == [1, 1, 1]  # one submission per reply
    assert sorted(slots.values()) == [1, 1, 1]  # one ledger row per message
    got = receipts_by_reply(smtp)
    assert sorted(got) == sorted(m.message_id for m in mails) and set(got.values()) == {1}, got
    if point == "after_send":
        # Handed to SMTP, then killed before confirming: never resent; a person confirms it.
        assert sorted(states.values()) == ["sending", "sent", "sent"]
    else:
        assert set(states.values()) == {"sent"}


def test_receipt_is_reserved_with_its_message(mail_app, dovecot, smtp, folder):
    """The outbox row is written in the message's own transaction (before any sending)."""
    from flows.intake.mail import ingest_mail
    from storage.models import InboundMail, OutboundMail

    put(dovecot, folder, "06_nil_docx", dt.datetime(2025, 7, 10, 9, 0, tzinfo=VN))
    put(dovecot, folder, "08_auto_reply", dt.datetime(2025, 7, 10, 10, 0, tzinfo=VN))
    ingest_mail(mail_app, receipts=False)
    with mail_app.session() as s:
        mails = {m.uid: m.id for m in s.scalars(select(InboundMail))}
        rows = list(s.scalars(select(OutboundMail)))
    assert [(r.kind, r.status, r.in_reply_to_mail_id) for r in rows] == [("receipt", "pending", mails[1])]
    assert smtp.messages == []
    from flows.outbound.reminders import remind

    remind(mail_app, now=dt.datetime(2025, 7, 12, 9, 0, tzinfo=VN))  # any run delivers what is owed
    assert [m.message["X-Baocao-Kind"] for m in smtp.messages] == ["receipt"]
