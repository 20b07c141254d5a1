"""`python -m flows.dev.demo` (what `make demo` runs): the whole product on one machine, no setup.

Starts a local Prefect server (SQLite, 127.0.0.1:4200), a Dovecot IMAP server and an SMTP
capture, sends the request to the 28 agencies, delivers ~25 simulated replies into the
mailbox and a few files into the shared folder, runs the flows (ingest, reminders, report,
a full cycle), then serves the scheduled deployments so the dashboard stays live until
Ctrl-C. `--once` runs everything and exits (for tests). Everything lives in ./demo-data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import yaml

from config import clock
from config.recipients import read_recipients
from config.settings import Settings
from flows.app import App, init, status_report
from flows.cli.status import print_status_table
from flows.dev.demo_data import demo_files, demo_mails
from flows.dev.dovecot import DovecotServer
from flows.dev.fake_imap import DemoImapServer
from flows.dev.net import dovecot_binary
from flows.dev.smtp_capture import SmtpCapture
from flows.errors import FlowsError
from flows.outbound.requests import UnfinishedRequest, send_request
from flows.web.server import ensure_demo_user, start_in_thread
from reports.workdays import WorkCalendar

MARKER = ".baocao-demo"
OFFICE = "tdc@skhcn.quangngai.example"
# What the demo's own copy of the campaign fills in where the shipped file still waits for the
# signed letter ("…/SKHCN-TĐC", no phone): made-up but real-looking, so that the pre-flight
# passes honestly and no mail goes out with a placeholder.
DEMO_REQUEST = {
    "number": "1520/SKHCN-TĐC",
    "contact": {"name": "Bà Nguyễn Thị Thu Hà, Phòng Tiêu chuẩn Đo lường Chất lượng (TĐC)",
                "phone": "0255 3822 123", "email": OFFICE},
}
# The enclosed documents ("Hồ sơ gửi kèm"), as one-page PDFs made for the demo.
DEMO_ENCLOSURES = ("qd-996-ttg-demo.pdf", "kh-3144-ubnd-demo.pdf")


class DemoError(FlowsError):
    """The demo cannot start (a port is taken, a program is missing...)."""


def say(text: str = "") -> None:
    """What the person running the demo reads."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fresh_data_dir(path: Path) -> Path:
    """An empty demo folder (an earlier demo's folder is wiped; anything else is refused)."""
    if path.exists():
        if not (path / MARKER).exists():
            raise DemoError(f"{path} đã tồn tại và không phải thư mục demo; hãy chọn --data khác.")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("Thư mục của bản demo baocao; có thể xóa.\n", encoding="utf-8")
    return path.resolve()


def demo_config(root: Path, data: Path) -> Path:
    """The demo's own copy of the configuration: the shipped campaign with the letter's
    number, the contact person and the enclosed files filled in (`DEMO_REQUEST`)."""
    target = data / "config"
    shutil.copytree(root / "config", target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for path in sorted((target / "campaigns").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text("utf-8"))
        request = spec.setdefault("request", {})
        request["number"] = DEMO_REQUEST["number"].replace("SKHCN-TĐC", _issuer_code(request.get("number", "")))
        request["contact"] = {**(request.get("contact") or {}), **DEMO_REQUEST["contact"]}
        names = []
        for name, title in zip(DEMO_ENCLOSURES, request.get("enclosures") or (), strict=False):
            (path.parent / name).write_bytes(_pdf(title))
            names.append(name)
        request["attachments"] = names
        path.write_text("# Bản sao của bản demo (số công văn, người liên hệ, tệp gửi kèm là dữ liệu demo).\n"
                        + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _issuer_code(number: str) -> str:
    """`…/SKHCN-TĐC` → `SKHCN-TĐC` (the code after the slash, kept from the shipped file)."""
    code = number.rpartition("/")[2].strip()
    return code or "SKHCN-TĐC"


def _pdf(title: str) -> bytes:
    """A one-page PDF naming the document (ASCII only: the demo's stand-in, not the real file)."""
    words = "".join(c for c in title if c.isascii() and c not in "()\\") or "Tai lieu"
    stream = f"BT /F1 10 Tf 20 100 Td (Ban demo: {words[:60]}) Tj ET".encode("ascii")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def prefect_env(data: Path, port: int) -> dict[str, str]:
    """Prefect settings for a private local server (set before prefect is imported)."""
    return {
        "PREFECT_HOME": str(data / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_UI_URL": f"http://127.0.0.1:{port}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
    }


@contextmanager
def prefect_server(data: Path, port: int, timeout: float = 180.0) -> Iterator[str]:
    """`prefect server start` in a child process; yields the UI address once healthy."""
    if not port_free(port):
        raise DemoError(f"cổng {port} đang bận (một Prefect server khác?); dùng --port khác.")
    log = (data / "prefect-server.log").open("wb")
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    # Own session: Ctrl-C reaches only the demo, which pauses the schedules before stopping it.
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(), start_new_session=True
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health", proc, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll the server's health endpoint until it answers."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise DemoError("Prefect server dừng ngay khi khởi động; xem demo-data/prefect-server.log.")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise DemoError(f"Prefect server chưa sẵn sàng sau {timeout:.0f} giây; xem demo-data/prefect-server.log.")


@contextmanager
def mail_servers(*, dovecot: bool = True) -> Iterator[tuple[Any, Any]]:
    """Dovecot (else the in-memory demo IMAP server) and an SMTP capture."""
    with ExitStack() as stack:
        if dovecot and dovecot_binary():
            imap = stack.enter_context(DovecotServer())
            say(f"Hộp thư: Dovecot tại {imap.host}:{imap.port}.")
        else:
            if dovecot:
                say("! Chưa cài Dovecot (apt-get install -y dovecot-imapd): dùng máy chủ IMAP")
                say("  thu nhỏ trong bộ nhớ của bản demo (chỉ để trình diễn).")
            imap = stack.enter_context(DemoImapServer())
            say(f"Hộp thư: máy chủ IMAP demo (trong bộ nhớ) tại {imap.host}:{imap.port}.")
        smtp = stack.enter_context(SmtpCapture(tls=False))
        yield imap, smtp


def baocao_env(config: Path, data: Path, imap: Any, smtp: Any) -> dict[str, str]:
    """baocao settings for the demo, as a deployment would get them: environment variables."""
    env = {
        "BAOCAO_DATA_DIR": str(data),
        "BAOCAO_CONFIG_DIR": str(config),
        "BAOCAO_DROP__DIR": str(data / "drop"),
        "BAOCAO_ALERT_EMAIL": OFFICE,
        "BAOCAO_SMTP__HOST": smtp.host,
        "BAOCAO_SMTP__PORT": str(smtp.port),
        "BAOCAO_SMTP__SECURITY": "none",
        "BAOCAO_SMTP__SENDER": OFFICE,
        "BAOCAO_SMTP__RATE_LIMIT": "0",
    }
    return env | {
        "BAOCAO_IMAP__HOST": imap.host,
        "BAOCAO_IMAP__PORT": str(imap.port),
        "BAOCAO_IMAP__USER": imap.user,
        "BAOCAO_IMAP__PASSWORD": imap.password,
        "BAOCAO_IMAP__SECURITY": "none",
    }


def request_threads(app: Any, smtp: Any) -> dict[str, str]:
    """Send the request to every agency; recipient code → Message-ID of the mail it got."""
    try:
        send_request(app, check=True)  # the pre-flight as staff get it: never a placeholder
    except UnfinishedRequest as err:
        raise DemoError("công văn của bản demo chưa đủ: " + "; ".join(err.gaps)) from None
    codes = {e.lower(): r.code for r in read_recipients(app.campaign().recipients_path) for e in r.emails}
    return {
        codes[addr.lower()]: str(m.message["Message-ID"])
        for m in smtp.messages
        for addr in m.rcpt_tos
        if addr.lower() in codes
    }


@dataclass(frozen=True)
class Story:
    """The demo's moments on its one simulated clock (the campaign's time zone): every mail's
    Date and every stored time come from it, so the request precedes the replies, a reminder
    counts its days from the day it carries, and the report is dated when it was built."""

    request: dt.datetime  # the request goes out (the letter's date, 08:30)
    first_poll: dt.datetime  # the replies so far are read, just before…
    reminder: dt.datetime  # …the reminder run of the day before the deadline, 08:00
    second_poll: dt.datetime  # the late replies are read, then…
    report: dt.datetime  # …the report is built, a few working days after the deadline
    cycle: dt.datetime  # one full cycle, as the schedule would run it


def story(campaign: Any) -> Story:
    """The moments of the demo for this campaign."""
    tz = campaign.tz
    deadline = campaign.deadline
    policy = campaign.reminders
    calendar = WorkCalendar(policy.extra_days_off, policy.extra_working_days)
    request_day = campaign.request.date or calendar.add_working_days(deadline, -10)
    reminder = dt.datetime.combine(calendar.add_working_days(deadline, -1), policy.window.start, tz)
    report_day = calendar.add_working_days(deadline, 3)
    report = dt.datetime.combine(report_day, dt.time(9, 0), tz)
    return Story(
        request=dt.datetime.combine(request_day, dt.time(8, 30), tz),
        first_poll=reminder - dt.timedelta(minutes=15),
        reminder=reminder,
        second_poll=report - dt.timedelta(minutes=30),
        report=report,
        cycle=report + dt.timedelta(minutes=5),
    )


def seed(app: Any, imap: Any, drop: Path, thread: dict[str, str], until: dt.datetime) -> tuple[int, int]:
    """The agencies' replies received before `until`, each day's read that evening as the
    schedule would (so each receipt is dated the day of its report), and the shared folder's
    files; the later replies wait for `seed_late`."""
    campaign = app.campaign()
    recipients = read_recipients(campaign.recipients_path)
    mails = [m for m in demo_mails(campaign, recipients, thread) if m.received < until]
    poll_by_day(app, imap, mails)
    files = demo_files(campaign, recipients)
    # A dropped file's received time is its mtime: put them inside the campaign, before the deadline.
    stamp = dt.datetime.combine(campaign.deadline - dt.timedelta(days=2), dt.time(10, 30), campaign.tz).timestamp()
    for f in files:
        target = drop / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        os.utime(target, (stamp, stamp))
    return len(mails), len(files)


def seed_late(app: Any, imap: Any, thread: dict[str, str], since: dt.datetime, until: dt.datetime) -> int:
    """The replies received between `since` and `until` (after the reminder run), each day's
    read that evening."""
    campaign = app.campaign()
    mails = [m for m in demo_mails(campaign, read_recipients(campaign.recipients_path), thread)
             if since <= m.received < until]
    poll_by_day(app, imap, mails)
    return len(mails)


def poll_by_day(app: Any, imap: Any, mails: list[Any]) -> None:
    """Each day's mails into the mailbox, then one mail poll 10 minutes after the day's last
    one, on the demo's clock (the scheduled polls between are not simulated one by one)."""
    from flows.intake.mail import ingest_mail  # lazy: the intake is loaded only to seed

    days: dict[dt.date, list[Any]] = {}
    for m in sorted(mails, key=lambda m: m.received):
        days.setdefault(m.received.astimezone(app.campaign().tz).date(), []).append(m)
    for day_mails in days.values():
        for m in day_mails:
            imap.append(m.raw, date=m.received)
        clock.move_to(day_mails[-1].received + dt.timedelta(minutes=10))
        ingest_mail(app)


def save_outbox(smtp: Any, folder: Path) -> int:
    """Every mail baocao sent, as .eml files to open in a mail client."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, received in enumerate(smtp.messages, start=1):
        msg = received.message
        kind = "nhac" if "nhắc" in str(msg["Subject"]).lower() else "thu"
        who = parseaddr(str(msg["To"]))[1].split("@")[0] or "nguoi-nhan"
        (folder / f"{i:03d}-{kind}-{who}.eml").write_bytes(received.data)
    return len(smtp.messages)


def run_flows(app: Any, imap: Any, thread: dict[str, str], moments: Story) -> dict[str, Any]:
    """Every flow once, as the schedules would run them, each at its moment of the story."""
    from flows.runs import pipelines as pf  # lazy: Prefect reads its settings on import (see `run`)

    clock.move_to(moments.first_poll)
    results: dict[str, Any] = {"mail": pf.ingest_mail_flow()}
    pf.ingest_folder_flow()  # the first scan only notes sizes: files are taken once stable
    results["folder"] = pf.ingest_folder_flow()
    clock.move_to(moments.reminder)
    results["reminders"] = pf.send_reminders_flow(now=moments.reminder)
    late = seed_late(app, imap, thread, moments.first_poll, moments.second_poll)
    say(f"Đã đưa thêm {late} thư trả lời đến sau lượt nhắc.")
    clock.move_to(moments.second_poll)
    results["late_mail"] = pf.ingest_mail_flow()
    clock.move_to(moments.report)
    results["report"] = pf.build_report_flow(now=moments.report)
    clock.move_to(moments.cycle)
    results["cycle"] = pf.full_cycle_flow(now=moments.cycle)
    return results


def explain(ui: str, data: Path, results: dict[str, Any], sent: int) -> None:
    """What to open now."""
    app = App(Settings())
    print_status_table(status_report(app))
    app.engine.dispose()
    built = results["report"]["report"]
    # The stable copy of the newest build (`moi-nhat/`, which the cycle's build replaced), not
    # the first build's own folder.
    files = built.get("latest") or built["files"]
    say("")
    say("Mở để xem:")
    say(f"  Bảng điều khiển Prefect       {ui}/dashboard")
    say(f"  Các lượt chạy                 {ui}/runs")
    say(f"  Tình hình nộp báo cáo         {ui}/artifacts/key/tinh-hinh-nop-bao-cao")
    say(f"  Tất cả artifact               {ui}/artifacts")
    say(f"  Lịch chạy tự động             {ui}/deployments")
    say("  Báo cáo tổng hợp              " + "\n                                ".join(files))
    say(f"  Thư đã gửi ({sent}, tệp .eml)   {data / 'outbox'}")
    say(f"  Thư mục dùng chung            {data / 'drop'}")
    say(f"  Dòng lệnh                     BAOCAO_DATA_DIR={data} BAOCAO_CONFIG_DIR={data / 'config'} .venv/bin/baocao status")


def ctrl_c_stops_gracefully() -> None:
    """Ctrl-C → SIGTERM, which Prefect's runner handles gracefully (pause schedules, return);
    its own KeyboardInterrupt path can hang. A second Ctrl-C interrupts at once."""
    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGINT, handler)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 on success, 2 when it cannot start."""
    parser = argparse.ArgumentParser(prog="python -m flows.dev.demo", description="Bản demo baocao.")
    parser.add_argument("--once", action="store_true", help="chạy một lượt rồi thoát (dùng trong kiểm thử)")
    parser.add_argument("--port", type=int, default=4200, help="cổng của Prefect server (mặc định 4200)")
    parser.add_argument("--data", type=Path, default=Path("demo-data"), help="thư mục dữ liệu demo")
    parser.add_argument("--web-port", type=int, default=8080, help="cổng của giao diện web (mặc định 8080)")
    parser.add_argument("--no-dovecot", action="store_true", help="dùng máy chủ IMAP demo thay cho Dovecot")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[2]
    try:
        return run(root, fresh_data_dir(args.data), args.port, once=args.once, dovecot=not args.no_dovecot, web_port=args.web_port)
    except DemoError as err:
        sys.stderr.write(f"Lỗi: {err}\n")
        return 2
    except KeyboardInterrupt:
        say("\nĐã dừng bản demo.")
        return 0


def run(root: Path, data: Path, port: int, *, once: bool, dovecot: bool = True, web_port: int = 8080) -> int:
    """The demo's body: servers up, data in, flows run, then serve (or exit with --once)."""
    # Before Prefect is first imported: it reads its settings then, and without the demo's
    # server address every flow would start a temporary server of its own.
    os.environ.update(prefect_env(data, port))
    from flows.runs.serving import flush_api_logs, serve_campaigns  # lazy: after the settings above

    config = demo_config(root, data)
    say(f"Khởi động Prefect server tại http://127.0.0.1:{port} (lần đầu mất khoảng 10–20 giây)…")
    with prefect_server(data, port) as ui, mail_servers(dovecot=dovecot) as (imap, smtp):
        os.environ.update(baocao_env(config, data, imap, smtp))

        app = App(Settings())
        init(app)
        moments = story(app.campaign())
        clock.move_to(moments.request)  # one simulated clock for the whole story (and the web)
        say(f"Đồng hồ của bản demo: bắt đầu {moments.request:%H:%M %d/%m/%Y} (giờ Việt Nam).")
        thread = request_threads(app, smtp)
        say(f"Đã gửi công văn đề nghị báo cáo tới {len(thread)} đơn vị (thư bắt được trong {data / 'outbox'}).")
        n_mails, n_files = seed(app, imap, data / "drop", thread, moments.first_poll)
        say(f"Đã đưa {n_mails} thư trả lời vào hộp thư và {n_files} tệp vào thư mục dùng chung.")
        results = run_flows(app, imap, thread, moments)
        sent = save_outbox(smtp, data / "outbox")
        explain(ui, data, results, sent)
        user, password = ensure_demo_user(app)
        from flows.runs.webhooks import refresh_report_artifact  # lazy: only with the web workspace

        web_url, stop_web = start_in_thread(app, "127.0.0.1", web_port, demo=True, on_report=refresh_report_artifact)
        say(f"Giao diện web cho cán bộ TĐC: {web_url}  (đăng nhập: {user} / {password})")
        if once:
            stop_web()
            app.engine.dispose()
            flush_api_logs()  # before the server goes away, or Prefect complains on exit
            return 0
        campaign = app.campaign()
        app.engine.dispose()
        say("")
        say("Các tác vụ chạy theo lịch (giờ Việt Nam) đến khi bấm Ctrl-C.")
        ctrl_c_stops_gracefully()
        serve_campaigns([campaign])
        # Mails sent while it ran (the web's "nhắc ngay", receipts after an assignment…).
        say(f"Đã ghi {save_outbox(smtp, data / 'outbox')} thư đã gửi vào {data / 'outbox'}.")
        say("Đã tạm dừng lịch chạy; đang tắt các máy chủ của bản demo…")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
