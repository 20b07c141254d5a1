"""A poll's messages share one database connection (issue 14, first pass: the pool's check-out,
reset and check-in per message were a tenth of a short mail's cost); each message is still its
own transaction, and a message that fails gives its connection up — the batch goes on, on a
fresh one, and what the failed message wrote is rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, select

from flows.faults import HOOKS
from tests.conftest import CONFIG_DIR


def _raw(i: int) -> bytes:
    return (
        f"From: nguoi{i}@congty.example\r\nTo: tdc@skhcn.quangngai.example\r\nSubject: Trao đổi số {i}\r\n"
        f"Message-ID: <m{i}@congty.example>\r\nDate: Mon, 04 Aug 2025 08:00:00 +0700\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nNội dung.\r\n"
    ).encode()


def test_one_connection_for_the_messages_and_a_fresh_one_after_a_failure(tmp_path: Path) -> None:
    from config.settings import Settings
    from flows.app import App, init
    from flows.dev.fake_imap import DemoImapServer
    from flows.intake.mail import ingest_mail
    from storage.models import InboundMail

    app = App(Settings(_env_file=None, data_dir=tmp_path / "data", config_dir=CONFIG_DIR))
    init(app)
    checkouts: list[object] = []
    event.listen(app.engine, "checkout", lambda dbapi, record, proxy: checkouts.append(record))
    commits = {"n": 0}

    def fail_the_fifth() -> None:
        commits["n"] += 1
        if commits["n"] == 5:
            raise RuntimeError("giả lập lỗi trước khi ghi")

    HOOKS["before_commit"] = fail_the_fifth
    try:
        with DemoImapServer() as server:
            for i in range(20):
                server.append(_raw(i))
            app.settings.imap = server.settings()
            report = ingest_mail(app, receipts=False).to_json()
    finally:
        del HOOKS["before_commit"]
    statuses = [item["status"] for item in report["items"]]
    assert len(statuses) == 20
    assert statuses[4] == "failed" and statuses.count("failed") == 1, report["items"]
    assert all(s == "processed" for i, s in enumerate(statuses) if i != 4), statuses
    # The 20 messages did not each check a connection out of the pool (before: one per message,
    # plus the poll's own reads and writes).
    assert len(checkouts) < 20, len(checkouts)
    with app.session() as session:
        rows = session.scalars(select(InboundMail).order_by(InboundMail.uid)).all()
        assert [r.status for r in rows].count("failed") == 1
        assert rows[4].status == "failed" and "giả lập lỗi" in (rows[4].error or "")
        assert len(rows) == 20
    app.engine.dispose()


def test_held_connection_units(tmp_path: Path) -> None:
    """Units of work on the held connection: one check-out for many units; a unit that raises
    is rolled back and releases the connection; the next unit takes a fresh one and commits."""
    from config.settings import Settings
    from flows.app import App, init
    from storage.models import Event

    app = App(Settings(_env_file=None, data_dir=tmp_path / "data", config_dir=CONFIG_DIR))
    init(app)
    checkouts: list[object] = []
    event.listen(app.engine, "checkout", lambda dbapi, record, proxy: checkouts.append(record))
    with app.held_units() as held:
        for i in range(3):
            with held.unit() as session:
                session.add(Event(campaign_id=None, kind="test", message=f"kept {i}"))
        assert len(checkouts) == 1
        first = held.conn
        with pytest.raises(RuntimeError), held.unit() as session:
            session.add(Event(campaign_id=None, kind="test", message="rolled back"))
            session.flush()
            raise RuntimeError("boom")
        assert held.conn is None
        with held.unit() as session:
            session.add(Event(campaign_id=None, kind="test", message="after"))
        assert held.conn is not None and held.conn is not first and len(checkouts) == 2
    assert held.conn is None
    with app.session() as session:
        messages = sorted(session.scalars(select(Event.message).where(Event.kind == "test")).all())
    assert messages == ["after", "kept 0", "kept 1", "kept 2"]
    app.engine.dispose()
