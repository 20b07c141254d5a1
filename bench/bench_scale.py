"""Benchmark: province scale (issue 14 point 4) — `status`, the status artifact and the web
board with 300 and 3,000 recipients (communes, schools, companies), one response each.

Each size gets its own SQLite database (or `--db URL`, an empty database of yours, one size) seeded through `flows.dev.history` (a config folder with N generated recipients, then
one mail + one response per recipient, a sent reminder for one in five) and is timed, best of
3 runs, on:
  status JSON   `baocao status --json` (the CLI's command function, stdout captured)
  status table  `baocao status` (the rich table, to a 150-column console)
  artifact      what the Prefect status artifact is built from: status_report + mailbox
                health, then `status_rows` / `status_description` / `review_markdown`
                (no Prefect call)
  board         GET / of the web app (FastAPI TestClient, logged in as a viewer)
  idle poll     `ingest_mail` with nothing new on a real Dovecot (its 5 messages taken by a
                first poll, not timed): should stay flat in N (recipients read only when a
                message is handled)
Baseline in the same run, same database: bare SQL over the same tables (recipient ⋈ contact,
submission, outbound_mail, inbound_mail: every row fetched, no ORM). Linear means each item's
3,000/300 ratio ≈ 10, like the baseline's. SQL statements per item are counted too (constant
in N means no per-recipient queries).
Run: .venv/bin/python bench/bench_scale.py [sizes…] [--db URL]
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (300, 3000)
REPEAT = 3
SECRET = "khoa-bi-mat-cho-do-kiem-0123456789"


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def province_app(tmp: Path, recipients: int, db_url: str | None) -> Any:
    """An App over a config with `recipients` recipients, each with one response."""
    from config.settings import Settings
    from flows.app import App, init
    from flows.dev.history import province_config, seed_responses
    from flows.web.security import hash_password
    from storage.users import add_user

    config = province_config(ROOT / "config", tmp / "config", recipients)
    extra: dict[str, Any] = {"database_url": db_url} if db_url else {}
    app = App(Settings(_env_file=None, data_dir=tmp / "data", config_dir=config, web={"secret_key": SECRET}, **extra))
    init(app)
    campaign = app.campaign(None)
    with app.session() as session:
        seed_responses(session, campaign.id)
        add_user("xem", "viewer", hash_password("mat-khau-xem-1"), session=session)
    return app


def bare_sql(app: Any, campaign_id: str) -> int:
    """Every row status needs, fetched with plain SQL (the floor for any status page)."""
    from sqlalchemy import text

    rows = 0
    with app.engine.connect() as conn:
        for stmt in (
            "SELECT r.id, r.code, r.name, c.email FROM recipient r JOIN contact c ON c.recipient_id = r.id"
            " WHERE r.campaign_id = :c AND r.active",
            "SELECT recipient_id, kind, status, received_at, missing_sections FROM submission WHERE campaign_id = :c",
            "SELECT recipient_id, count(*) FROM outbound_mail WHERE campaign_id = :c AND status = 'sent' GROUP BY recipient_id",
            "SELECT recipient_id, max(internal_date) FROM inbound_mail WHERE campaign_id = :c GROUP BY recipient_id",
        ):
            rows += len(conn.execute(text(stmt), {"c": campaign_id}).all())
    return rows


class Counter:
    """Counts the SQL statements the engine runs while active."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.n = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.n += 1

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def measure(count: int, db_url: str | None, server: Any) -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from rich.console import Console

    import flows.cli.status as cli_status
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.runs import dashboard
    from flows.web.server import build
    from flows.web.workspace import source_health

    with tempfile.TemporaryDirectory() as tmp_name:
        start = time.perf_counter()
        app = province_app(Path(tmp_name), count, db_url)
        seeded = time.perf_counter() - start
        campaign_id = app.campaign(None).id
        cli_status.make_app = lambda: app  # the command's own App (settings from the env otherwise)

        def status_json() -> None:
            with contextlib.redirect_stdout(io.StringIO()) as buf:
                cli_status.status(campaign=None, as_json=True)
            assert f'"campaign": "{campaign_id}"' in buf.getvalue()

        def status_table() -> None:
            cli_status.out = Console(file=io.StringIO(), width=150)
            cli_status.status(campaign=None, as_json=False)
            assert "dv00000" in cli_status.out.file.getvalue()

        def artifact() -> None:
            status = status_report(app, campaign_id)
            status["sources"] = [h.to_json(app.now().tzinfo) for h in source_health(app)]
            rows = dashboard.status_rows(status, app.settings.web.base_url)
            dashboard.status_description(status, app.settings.web.base_url)
            dashboard.review_markdown(status["review"], app.settings.web.base_url)
            assert len(rows) == count

        client = TestClient(build(app), follow_redirects=False)
        page = client.get("/dang-nhap")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        login = client.post("/dang-nhap", data={"ten": "xem", "mat_khau": "mat-khau-xem-1", "csrf": token, "tiep": "/"})
        assert login.status_code == 303, login.text

        def board() -> None:
            resp = client.get("/")
            assert resp.status_code == 200 and "dv00000" in resp.text, resp.status_code

        app.settings.imap = server.settings(ack_flag=f"Scale{count}")
        taken = ingest_mail(app, receipts=False)
        assert len(taken.items) == 5 and not taken.errors, taken.to_json()

        def idle_poll() -> None:
            report = ingest_mail(app, receipts=False)
            assert not report.items and not report.errors, report.to_json()

        out: dict[str, Any] = {"recipients": count, "seed": seeded, "db": app.engine.dialect.name}
        out["rows"] = bare_sql(app, campaign_id)
        for name, fn in (("baseline", lambda: bare_sql(app, campaign_id)), ("status_json", status_json),
                         ("status_table", status_table), ("artifact", artifact), ("board", board),
                         ("idle_poll", idle_poll)):
            counter = Counter(app.engine)
            fn()
            counter.close()
            out[f"{name}_sql"] = counter.n
            out[name] = best(fn)
        out["board_kb"] = len(client.get("/").content) / 1000
        app.engine.dispose()
        return out


ITEMS = ("baseline", "status_json", "status_table", "artifact", "board", "idle_poll")


def report(r: dict[str, Any]) -> None:
    sys.stdout.write(f"{r['recipients']:>6,} recipients ({r['db']}, seeded in {r['seed']:.1f} s, {r['rows']:,} baseline rows,"
                     f" board page {r['board_kb']:.0f} kB)\n")
    for item in ITEMS:
        sys.stdout.write(f"    {item:<13} {r[item] * 1000:9.1f} ms  {r[item + '_sql']:3d} SQL statements\n")


def main(argv: list[str]) -> int:
    db_url = None
    if "--db" in argv:  # a database URL of your own, EMPTY: the schema is created in it
        at = argv.index("--db")
        db_url = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    sizes = [int(a) for a in argv] or list(SIZES)
    sys.stdout.write(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; best of {REPEAT}\n")
    from flows.dev.dovecot import DovecotServer

    rows = []
    with DovecotServer(mail_format="mdbox") as server:
        server.seed([
            f"From: a{i}@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: Thu {i}\r\n"
            f"Message-ID: <scale-{i}@congty.example>\r\nDate: Mon, 02 Jun 2025 08:00:00 +0700\r\n\r\nNoi dung.\r\n".encode()
            for i in range(5)
        ])
        for count in sizes:
            if db_url and len(sizes) > 1:
                raise SystemExit("--db takes one size per run (the database must be empty)")
            rows.append(measure(count, db_url, server))
            report(rows[-1])
    for prev, r in zip(rows, rows[1:], strict=False):
        sys.stdout.write(f"ratio {r['recipients']:,} / {prev['recipients']:,} recipients (×{r['recipients'] / prev['recipients']:.0f}):\n")
        for item in ITEMS:
            sys.stdout.write(f"    {item:<13} ×{r[item] / prev[item]:5.1f}   SQL {prev[item + '_sql']} → {r[item + '_sql']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
