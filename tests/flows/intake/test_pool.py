"""The parse-ahead pool when a worker dies (killed for memory, a crash in a C library): the
poll goes on and every file is still parsed, in process."""

from __future__ import annotations

import os
import signal
import time
from email.message import EmailMessage
from pathlib import Path

from config.campaign import load_campaigns
from flows.app import outline_spec
from flows.intake.pool import AheadParse
from parsers.api import parse_bytes
from parsers.mail import MailMessage, parse_mail

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "tests" / "fixtures" / "docx" / "bqlkkt_tabs.docx"


def _mail(data: bytes, name: str) -> MailMessage:
    mail = EmailMessage()
    mail["Subject"] = "Báo cáo Đề án 996"
    mail.set_content("Gửi kèm báo cáo.")
    mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return parse_mail(mail.as_bytes())


def test_a_dead_worker_breaks_the_pool_not_the_poll() -> None:
    spec = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    data = REPORT.read_bytes()
    serial = parse_bytes(data, "a.docx", spec)
    with AheadParse(parse_bytes, spec, 1, 1) as ahead:
        assert ahead.submit([_mail(data, "a.docx")]) == 1
        assert ahead(data, "a.docx", spec).to_json() == serial.to_json()
        assert ahead.from_pool == 1
        executor = ahead.executor
        assert executor is not None
        for pid in list(executor._processes):  # noqa: SLF001 — the worker a kernel would kill
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not executor._broken and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.05)
        assert executor._broken  # noqa: SLF001

        # The next chunk's files: no exception, no pool any more, parsed here when asked for.
        ahead.submit([_mail(data, "b.docx"), _mail(data, "c.docx")])
        assert ahead.executor is None
        for name in ("b.docx", "c.docx"):
            assert ahead(data, name, spec).to_json() == parse_bytes(data, name, spec).to_json()
        assert ahead.from_pool == 1
        # Nor does a later chunk start a pool again in this poll.
        assert ahead.submit([_mail(data, "d.docx")]) == 0
        assert ahead.executor is None
