"""Two ingest runs at once against PostgreSQL (as two workers would): nothing is stored twice."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from flows.dev.net import DOVECOT_HINT, dovecot_binary
from tests.conftest import CONFIG_DIR

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def mails():
    from config.campaign import load_campaigns
    from config.recipients import read_recipients
    from flows.dev.demo_data import demo_mails

    campaign = load_campaigns(CONFIG_DIR / "campaigns")[0]
    return demo_mails(campaign, read_recipients(campaign.recipients_path))


@pytest.fixture
def mailbox(mails):
    """A fresh Dovecot holding the demo's replies."""
    from flows.dev.dovecot import DovecotServer

    if not dovecot_binary():
        pytest.fail(DOVECOT_HINT)
    with DovecotServer() as server:
        for m in mails:
            server.append(m.raw, date=m.received)
        yield server


@pytest.fixture
def pg_env(pg_url: str, mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The environment of a worker: PostgreSQL, the mailbox, a shared data dir."""
    from config.settings import Settings
    from flows.app import App, init

    monkeypatch.setenv("BAOCAO_DATABASE_URL", pg_url)
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(CONFIG_DIR))
    monkeypatch.setenv("BAOCAO_IMAP__HOST", mailbox.host)
    monkeypatch.setenv("BAOCAO_IMAP__PORT", str(mailbox.port))
    monkeypatch.setenv("BAOCAO_IMAP__USER", mailbox.user)
    monkeypatch.setenv("BAOCAO_IMAP__PASSWORD", mailbox.password)
    monkeypatch.setenv("BAOCAO_IMAP__SECURITY", "none")
    app = App(Settings(_env_file=None))
    init(app)
    yield app
    app.engine.dispose()


def stored(app) -> dict[str, int]:
    """Counts and duplicates of what the database holds."""
    from sqlalchemy import func, select

    from storage.models import InboundMail, Submission

    with app.session() as session:
        mails = session.scalar(select(func.count()).select_from(InboundMail))
        distinct = session.scalar(select(func.count(func.distinct(InboundMail.message_id))))
        submissions = session.scalar(select(func.count()).select_from(Submission))
    return {"mails": mails, "distinct": distinct, "submissions": submissions}


def run_together(*targets) -> list:
    """Start every target at the same moment; return their results (re-raising errors)."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def run(i: int, target) -> None:
        barrier.wait()
        try:
            results[i] = target()
        except BaseException as err:  # noqa: BLE001 — re-raised in the main thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


RUN_FLOW = """
import json, sys
from flows.runs.pipelines import ingest_mail_flow
sys.stdout.write("RESULT " + json.dumps(ingest_mail_flow(), default=str) + "\\n")
"""


def test_two_ingest_flows_at_once_store_each_mail_once(pg_env, mails) -> None:
    """Two worker processes start the ingest flow at the same moment (same Prefect server)."""
    import json
    import os
    import subprocess
    import sys

    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    workers = [
        subprocess.Popen([sys.executable, "-c", RUN_FLOW], cwd=CONFIG_DIR.parent, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for w in workers:
        out, err = w.communicate()
        assert w.returncode == 0, err[-3000:]
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        results.append(json.loads(line.removeprefix("RESULT ")))
    news = sorted(r["ingest"]["counts"]["new"] for r in results)
    assert news[0] == 0, "the second worker found new mail the first had already stored"
    assert news[1] >= 15
    facts = stored(pg_env)
    assert facts["mails"] == len(mails) == facts["distinct"]


def test_without_the_slot_the_database_still_refuses_duplicates(pg_env, mails) -> None:
    from flows.app import App
    from flows.intake.mail import ingest_mail

    # Two workers that do not share a Prefect server: only the database stands between them.
    apps = [App(pg_env.settings), App(pg_env.settings)]
    try:
        run_together(*(lambda a=a: ingest_mail(a) for a in apps))
    finally:
        for a in apps:
            a.engine.dispose()
    facts = stored(pg_env)
    assert facts["mails"] == len(mails) == facts["distinct"]
    again = stored(pg_env)["submissions"]
    ingest_mail(pg_env)
    assert stored(pg_env)["submissions"] == again
