"""Outgoing mail: exactly-once delivery (ledger + .eml + events) vs raw smtplib, one SMTP
connection per batch vs one per message, with and without TCP_NODELAY.

Runs a real aiosmtpd server (STARTTLS + AUTH) on 127.0.0.1 and a temp SQLite database; prints
messages per second and ratios against baselines measured in the same run.
"""

from __future__ import annotations

import smtplib
import socket
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from flows.adapters.smtp import SmtpSender, tls_context  # noqa: E402
from flows.app import App, init  # noqa: E402
from flows.dev.smtp_capture import SmtpCapture  # noqa: E402
from flows.outbound.delivery import Draft, deliver  # noqa: E402
from reports.forms import form_xlsx, outline_docx  # noqa: E402

N = 200
SUBJECT = "Nhắc gửi báo cáo: …/SKHCN-TĐC V/v phối hợp báo cáo sơ kết Đề án 996 giai đoạn 2018 – 2025"
TEXT = "Kính gửi: Sở Nội vụ\n\nĐề nghị Quý cơ quan gửi báo cáo trước ngày 15/08/2025.\n" * 20


def message(i: int, attachments: tuple[tuple[str, bytes, str], ...]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tdc@skhcn.quangngai.example", f"r{i}@x.vn", SUBJECT
    msg.set_content(TEXT)
    for name, data, _mime in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def raw_one_connection(server: SmtpCapture, msgs: list[EmailMessage], *, nodelay: bool) -> float:
    settings = server.settings()
    start = time.perf_counter()
    smtp = smtplib.SMTP(settings.host or "", settings.port or 0)
    if nodelay:
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    smtp.starttls(context=tls_context(settings))
    smtp.login(server.user or "", server.password or "")
    for msg in msgs:
        smtp.send_message(msg, to_addrs=[msg["To"]])
    smtp.quit()
    return time.perf_counter() - start


def raw_connection_per_message(server: SmtpCapture, msgs: list[EmailMessage]) -> float:
    start = time.perf_counter()
    for msg in msgs:
        with SmtpSender(server.settings()) as sender:
            sender.send(msg, [msg["To"]])
    return time.perf_counter() - start


def ledger(server: SmtpCapture, attachments: tuple[tuple[str, bytes, str], ...], n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        app = App(Settings(_env_file=None, data_dir=Path(tmp), config_dir=ROOT / "config", smtp=server.settings()))
        init(app)
        with app.session() as session:
            from sqlalchemy import select

            from storage.models import RecipientRow

            ids = list(session.scalars(select(RecipientRow.id)))
        drafts = [
            Draft("de-an-996", ids[i % len(ids)], "alert", f"bench-{i}", [f"r{i}@x.vn"], SUBJECT, TEXT,
                  attachments=attachments)
            for i in range(n)
        ]
        start = time.perf_counter()
        report = deliver(app, drafts)
        elapsed = time.perf_counter() - start
        again = time.perf_counter()
        second = deliver(app, drafts)
        rerun = time.perf_counter() - again
        app.engine.dispose()
    assert len(report.sent) == n and second.sent == [] and len(second.skipped) == n
    print(f"    re-run of the same {n} drafts (all skipped, nothing sent): {rerun:.2f} s")  # noqa: T201
    return elapsed


def main() -> None:
    from config.campaign import load_campaign

    campaign = load_campaign(ROOT / "config" / "campaigns" / "de-an-996.yaml")
    forms = (("de-cuong.docx", outline_docx(campaign), ""), ("bieu.xlsx", form_xlsx(campaign), ""))
    with SmtpCapture(tls=True) as server:
        for label, attachments in (("text only", ()), ("with the two forms (45 kB)", forms)):
            msgs = [message(i, attachments) for i in range(N)]
            print(f"== {N} messages, {label}, STARTTLS + AUTH, aiosmtpd on 127.0.0.1")  # noqa: T201
            fast = raw_one_connection(server, msgs, nodelay=True)
            slow = raw_one_connection(server, msgs, nodelay=False)
            per = raw_connection_per_message(server, msgs[: N // 4]) * 4
            ours = ledger(server, attachments, N)
            rows = [
                ("raw smtplib, one connection, TCP_NODELAY (baseline)", fast),
                ("raw smtplib, one connection, Nagle on", slow),
                ("a connection per message (extrapolated from N/4)", per),
                ("deliver(): ledger + .eml blob + events, one connection", ours),
            ]
            for name, secs in rows:
                print(f"  {name:58s} {secs:6.2f} s  {N / secs:7.1f} msg/s  {secs / fast:5.2f} × baseline")  # noqa: T201


if __name__ == "__main__":
    main()
