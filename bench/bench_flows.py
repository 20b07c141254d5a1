"""Cost of the Prefect shell: the same ingest as a plain call and as the `ingest-mail` flow.

A real Dovecot on 127.0.0.1 holds the demo's 24 replies (Word/Excel reports, nil reports, a
bounce...). Each round runs `ingest_mail` on a fresh SQLite database, then `ingest_mail_flow`
on another fresh database (it also takes the concurrency slot and publishes the dashboard
artifacts), then an idle poll of each (nothing new: the every-5-minutes case). Prefect runs
against its test harness (temporary local server) with the flow heartbeat off. Prints
medians and the flow/plain ratios, plus an empty flow's run cost.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS = 3


def fresh_app(tmp: Path, name: str, imap_env: dict[str, str]):
    from config.settings import Settings
    from flows.app import App, init

    data = tmp / name
    os.environ.update(imap_env)
    os.environ["BAOCAO_DATA_DIR"] = str(data)
    os.environ["BAOCAO_DATABASE_URL"] = f"sqlite:///{data / 'baocao.sqlite3'}"
    app = App(Settings(_env_file=None))
    init(app)
    return app


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    from prefect import flow
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from flows.dev.demo_data import demo_mails
    from flows.dev.dovecot import DovecotServer
    from flows.intake.mail import ingest_mail
    from flows.runs.pipelines import ingest_mail_flow

    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    mails = demo_mails(campaign, read_recipients(campaign.recipients_path))
    os.environ["BAOCAO_CONFIG_DIR"] = str(ROOT / "config")

    @flow
    def empty() -> int:
        return 1

    rows: dict[str, list[float]] = {k: [] for k in ("plain", "flow", "plain idle", "flow idle", "empty flow")}
    quiet = {PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with temporary_settings(quiet), prefect_test_harness(), tempfile.TemporaryDirectory() as tmp:
        empty()  # warm-up: client, server caches
        for r in range(ROUNDS):
            for kind in ("plain", "flow"):
                with DovecotServer() as imap:
                    for m in mails:
                        imap.append(m.raw, date=m.received)
                    env = {
                        "BAOCAO_IMAP__HOST": imap.host, "BAOCAO_IMAP__PORT": str(imap.port),
                        "BAOCAO_IMAP__USER": imap.user, "BAOCAO_IMAP__PASSWORD": imap.password,
                        "BAOCAO_IMAP__SECURITY": "none",
                    }
                    app = fresh_app(Path(tmp), f"{kind}{r}", env)
                    run = (lambda a=app: ingest_mail(a)) if kind == "plain" else ingest_mail_flow
                    seconds, _ = timed(run)
                    rows[kind].append(seconds)
                    seconds, _ = timed(run)
                    rows[f"{kind} idle"].append(seconds)
                    app.engine.dispose()
            rows["empty flow"].append(timed(empty)[0])
    med = {k: statistics.median(v) for k, v in rows.items()}
    say(f"{len(mails)} replies, median of {ROUNDS} rounds (seconds)")
    for k, v in med.items():
        say(f"  {k:<12} {v:7.3f}")
    say(f"  ratio flow/plain, 24 new mails : {med['flow'] / med['plain']:.2f}")
    say(f"  ratio flow/plain, idle poll    : {med['flow idle'] / med['plain idle']:.2f}")


if __name__ == "__main__":
    main()
