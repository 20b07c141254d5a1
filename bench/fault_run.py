"""Fault run: SIGKILL `baocao ingest mail` at random moments against a real Dovecot and a real
SMTP server, then let the next runs finish, and count what was lost or doubled.

    .venv/bin/python bench/fault_run.py --trials 15 --db sqlite
    .venv/bin/python bench/fault_run.py --trials 5 --db postgresql   # BAOCAO_TEST_PG or the local server

Each trial: a fresh database and mailbox folder holding the replies below (reports, nil
reports, a zip, an auto-reply, a bounce); one `ingest mail` killed with SIGKILL after a random
delay between 0 and the length of an undisturbed run (measured first); then runs without a
fault until nothing changes. Counted per trial:

- submissions lost (a reply with no submission) or doubled (a reply with more than it carries);
- receipts lost (a reply whose receipt never reached the SMTP server and is not held as
  "unknown" for a person) or duplicated (the SMTP server got two for one reply);
- receipts held as unknown (`sending`: handed to SMTP when the process died; never resent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from config.settings import Settings  # noqa: E402
from flows.app import App, init  # noqa: E402
from flows.dev.dovecot import DovecotServer  # noqa: E402
from flows.dev.smtp_capture import SmtpCapture  # noqa: E402
from storage.models import InboundMail, OutboundMail, Submission  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "mail"
REPLIES = ["01_report_rfc2231", "03_word_plus_pdf", "04_letter_plus_report", "05_nil_body_cp1258",
           "06_nil_docx", "15_zip_report", "08_auto_reply", "10_bounce", "02_report_octet_nfd_path"]
VN = dt.timezone(dt.timedelta(hours=7))
PG_ADMIN_URL = os.environ.get("BAOCAO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def database(kind: str, where: Path) -> tuple[str, str | None]:
    """A fresh database URL (and the PostgreSQL database name to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{where / 'baocao.sqlite3'}", None
    import psycopg

    name = f"baocao_f_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}", name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cli_env(url: str, data: Path, dovecot: DovecotServer, smtp: SmtpCapture, folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(
        BAOCAO_DATABASE_URL=url, BAOCAO_DATA_DIR=str(data), BAOCAO_CONFIG_DIR=str(ROOT / "config"),
        BAOCAO_IMAP__HOST=dovecot.host, BAOCAO_IMAP__PORT=str(dovecot.port), BAOCAO_IMAP__USER=dovecot.user,
        BAOCAO_IMAP__PASSWORD=dovecot.password, BAOCAO_IMAP__SECURITY="none", BAOCAO_IMAP__FOLDER=folder,
        BAOCAO_SMTP__HOST=smtp.host, BAOCAO_SMTP__PORT=str(smtp.port), BAOCAO_SMTP__SECURITY="none",
        BAOCAO_SMTP__SENDER="tdc@skhcn.quangngai.example", BAOCAO_SMTP__RATE_LIMIT="0",
    )
    return env


def ingest(env: dict[str, str], kill_after: float | None = None) -> tuple[int, float]:
    """One `baocao ingest mail` (killed after `kill_after` seconds if given): (exit code, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "flows.dev.faults", "ingest", "mail", "--json"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    code = proc.wait()
    return code, time.monotonic() - start


def trial(kind: str, dovecot: DovecotServer, smtp: SmtpCapture, kill_after: float | None,
          expected: dict[str, int] | None = None) -> dict[str, object]:
    """One trial; what it counted."""
    with tempfile.TemporaryDirectory(prefix="baocao-fault-") as tmp:
        data = Path(tmp) / "data"
        url, pg_name = database(kind, Path(tmp))
        try:
            app = App(Settings(_env_file=None, database_url=url, data_dir=data, config_dir=ROOT / "config"))
            init(app)
            folder = f"F{uuid.uuid4().hex[:10]}"
            for i, name in enumerate(REPLIES):
                dovecot.append((FIXTURES / f"{name}.eml").read_bytes(), folder=folder,
                               date=dt.datetime(2025, 7, 10, 8, 0, tzinfo=VN) + dt.timedelta(minutes=i))
            smtp.messages.clear()
            env = cli_env(url, data, dovecot, smtp, folder)
            code, took = ingest(env, kill_after)
            killed = code == -signal.SIGKILL
            for _ in range(3):
                ingest(env)
            if expected is None:  # the undisturbed run: how many submissions each reply carries
                with app.session() as s:
                    per_mail = Counter(x.inbound_mail_id for x in s.scalars(select(Submission)))
                    expected = {m.message_id or "": per_mail[m.id] for m in s.scalars(select(InboundMail))}
            return {"killed": killed, "seconds": round(took, 2), "expected": expected, **count(app, smtp, expected)}
        finally:
            if "app" in locals():
                app.engine.dispose()
            drop_database(pg_name)


def count(app: App, smtp: SmtpCapture, expected: dict[str, int]) -> dict[str, int]:
    """Lost and doubled submissions and receipts after the recovery runs."""
    got = Counter(m.message["In-Reply-To"] for m in smtp.messages if m.message["X-Baocao-Kind"] == "receipt")
    with app.session() as s:
        mails = list(s.scalars(select(InboundMail)))
        subs = Counter(x.inbound_mail_id for x in s.scalars(select(Submission)))
        receipts = {r.in_reply_to_mail_id: r.status for r in s.scalars(select(OutboundMail).where(OutboundMail.kind == "receipt"))}
    answered = [m for m in mails if m.classification in ("submission", "nil_report")]
    return {
        "messages": len(mails),
        "replies": len(answered),
        "submissions_lost": sum(1 for m in answered if subs[m.id] == 0),
        "submissions_doubled": sum(1 for m in answered if subs[m.id] > expected.get(m.message_id, 1)),
        "receipts_lost": sum(1 for m in answered if got[m.message_id] == 0 and receipts.get(m.id) != "sending"),
        "receipts_duplicated": sum(1 for m in answered if got[m.message_id] > 1),
        "receipts_unknown": sum(1 for status in receipts.values() if status == "sending"),
        "receipts_unknown_but_sent": sum(1 for m in answered if receipts.get(m.id) == "sending" and got[m.message_id] == 1),
        "failed": sum(1 for m in mails if m.status == "failed"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=15)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=996)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with DovecotServer() as dovecot, SmtpCapture(tls=False) as smtp:
        baseline = trial(args.db, dovecot, smtp, None)
        length = float(baseline["seconds"])  # type: ignore[arg-type]
        expected = baseline.pop("expected")
        results = [trial(args.db, dovecot, smtp, rng.uniform(0.0, length), expected) for _ in range(args.trials)]  # type: ignore[arg-type]
    for r in results:
        r.pop("expected")
    skip = ("killed", "seconds", "committed_at_kill", "receipts_owed_at_kill")
    totals = {k: sum(int(r[k]) for r in results) for k in results[0] if k not in skip}  # type: ignore[call-overload]
    summary = {"db": args.db, "trials": args.trials, "killed": sum(1 for r in results if r["killed"]),
               "undisturbed_run_seconds": length, "baseline": baseline, "totals": totals, "per_trial": results}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))  # noqa: T201
        return
    print(f"{args.db}: {args.trials} trials, {summary['killed']} killed mid-run (undisturbed run {length:.1f} s)")  # noqa: T201
    for key, value in totals.items():
        print(f"  {key}: {value}")  # noqa: T201
    for r in results:
        print(f"  killed at {r['seconds']:>5} s: {r['committed_at_kill']} messages committed, "  # noqa: T201
              f"{r['receipts_owed_at_kill']} receipts owed")


if __name__ == "__main__":
    main()
