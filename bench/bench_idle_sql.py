"""baocao's own share of an idle poll, statement by statement: 100,000 vs 10 rows of history.

The same set-up as bench/bench_poll.py (two mdbox Dovecot servers, BIG and 10 messages; ledgers
seeded for real on SQLite and PostgreSQL), then per round: an ingest of 10 new mails, the first
idle poll after it, and POLLS more idle polls, alternating the two sizes. Every SQL statement
of an idle poll is timed (SQLAlchemy's before/after_cursor_execute; commits and the pool's
checkouts as well), so whatever grows with history shows up by name. Ratios: medians over all
idle polls, 100,000-row ledger over the 10-row one, same run.

Usage: .venv/bin/python bench/bench_idle_sql.py [BIG]   (default 100000; BENCH_ROUNDS, BENCH_POLLS)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_poll as bp  # noqa: E402 — its set-up (and its IMAP wait counter)
from sqlalchemy import event  # noqa: E402

from flows.dev.dovecot import DovecotServer  # noqa: E402
from flows.dev.smtp_capture import SmtpCapture  # noqa: E402
from flows.intake.mail import ingest_mail  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
POLLS = int(os.environ.get("BENCH_POLLS", "10"))


class Timer:
    """Seconds per statement (digits and parameters folded) and in commits, for one engine."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.per: dict[str, float] = defaultdict(float)
        self.count = 0
        self._start = 0.0
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def reset(self) -> None:
        self.per = defaultdict(float)
        self.count = 0

    def before(self, *args: object) -> None:
        self._start = time.perf_counter()

    def after(self, conn, cursor, statement, *rest) -> None:  # noqa: ANN001
        key = re.sub(r"\s+", " ", statement)
        key = re.sub(r"\b\d+\b", "N", key)[:110]
        self.per[key] += time.perf_counter() - self._start
        self.count += 1


def main() -> None:  # noqa: PLR0915 — a linear script
    pg_urls = [bp.pg_database(), bp.pg_database()]
    try:
        with tempfile.TemporaryDirectory() as tmpdir, DovecotServer(mail_format="mdbox") as small, DovecotServer(mail_format="mdbox") as big, SmtpCapture(tls=False) as smtp:
            tmp = Path(tmpdir)
            big.seed([bp.filler(i) for i in range(bp.BIG)])
            small.seed([bp.filler(i) for i in range(10)])
            conn = big.client()
            conn.select("INBOX")
            conn.logout()
            apps = {}
            for backend, urls in (("sqlite", [f"sqlite:///{tmp}/small.sqlite", f"sqlite:///{tmp}/big.sqlite"]), ("postgresql", pg_urls)):
                for size, server, url, count in (("10", small, urls[0], 10), ("big", big, urls[1], bp.BIG)):
                    app = bp.make_app(tmp, f"{backend}-{size}", url, server, smtp, f"Baocao{backend.capitalize()}")
                    bp.seed_history(app, server, count)
                    apps[(backend, size)] = app
            timers = {k: Timer(a.engine) for k, a in apps.items()}
            # Commits: time spent in the DBAPI connection's commit().
            commit_time: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0])
            for key, app in apps.items():
                original = app.engine.dialect.do_commit

                def do_commit(dbapi_connection, key=key, original=original):  # noqa: ANN001, ANN202
                    start = time.perf_counter()
                    try:
                        original(dbapi_connection)
                    finally:
                        commit_time[key][0] += time.perf_counter() - start

                app.engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
            rows: dict[tuple[str, str, str], list[float]] = defaultdict(list)
            per_stmt: dict[tuple[str, str, str], list[float]] = defaultdict(list)
            for round_no in range(ROUNDS):
                mails = [bp.new_mail(round_no, i) for i in range(10)]
                when = dt.datetime(2025, 7, 10, 9, 0, tzinfo=dt.UTC)
                for server in (small, big):
                    for raw in mails:
                        server.append(raw, date=when)
                for backend in ("sqlite", "postgresql"):
                    for size in ("10", "big"):
                        report = ingest_mail(apps[(backend, size)])
                        assert report.new == 10, report.to_json()
                    for n in range(POLLS + 1):
                        what = "first idle" if n == 0 else "idle again"
                        for size in ("10", "big") if n % 2 == 0 else ("big", "10"):
                            key = (backend, size)
                            timers[key].reset()
                            commit_time[key][0] = 0.0
                            took, report = bp.timed(lambda key=key: ingest_mail(apps[key]))
                            assert report.new == 0 and not report.errors
                            own = took - bp.imap_wait()
                            sql = sum(timers[key].per.values())
                            rows[(backend, size, f"{what}: own")].append(own)
                            rows[(backend, size, f"{what}: SQL")].append(sql)
                            rows[(backend, size, f"{what}: commits")].append(commit_time[key][0])
                            rows[(backend, size, f"{what}: Python (own - SQL - commits)")].append(own - sql - commit_time[key][0])
                            rows[(backend, size, f"{what}: statements")].append(timers[key].count)
                            for stmt, sec in timers[key].per.items():
                                per_stmt[(backend, size, stmt)].append(sec)
            load = Path("/proc/loadavg").read_text().split()[:3]
            print(f"{bp.BIG:,} vs 10; {ROUNDS} rounds x (1 + {POLLS}) idle polls per size; load average {' '.join(load)}")  # noqa: T201
            for backend in ("sqlite", "postgresql"):
                for what in ("first idle", "idle again"):
                    for part in ("own", "SQL", "commits", "Python (own - SQL - commits)", "statements"):
                        s = statistics.median(rows[(backend, "10", f"{what}: {part}")])
                        b = statistics.median(rows[(backend, "big", f"{what}: {part}")])
                        scale = 1 if part == "statements" else 1000
                        print(f"{backend:<11} {what:<11} {part:<30} {s * scale:>8.2f} {b * scale:>8.2f} {b / s if s else 0:>6.2f}")  # noqa: T201
                stmts = sorted({k[2] for k in per_stmt if k[0] == backend})
                for stmt in stmts:
                    s_list, b_list = per_stmt.get((backend, "10", stmt), []), per_stmt.get((backend, "big", stmt), [])
                    if not s_list or not b_list:
                        print(f"  {backend} only one size: {stmt} ({len(s_list)} / {len(b_list)})")  # noqa: T201
                        continue
                    s, b = statistics.median(s_list) * 1000, statistics.median(b_list) * 1000
                    print(f"  {s:6.3f} {b:6.3f} {b / s:5.2f}  n={len(s_list)}/{len(b_list)}  {stmt}")  # noqa: T201
            for app in apps.values():
                app.engine.dispose()
    finally:
        for url in pg_urls:
            bp.drop_pg(url)


if __name__ == "__main__":
    main()
