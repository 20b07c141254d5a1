"""An alert (a mail without a recipient) is reserved once per slot, whatever the race
(SQLite and PostgreSQL): the schema holds it, not a look-up before the insert."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from flows.app import App
from storage.models import OutboundMail
from storage.outbound import reserve_outbound
from storage.upsert import insert_ignore


def _alert(app: App, slot: str = "run-1") -> dict:
    return {
        "campaign_id": app.campaigns[0].id,
        "recipient_id": None,
        "kind": "alert",
        "slot": slot,
        "to_addrs": ["tdc@example.vn"],
        "subject": "Lượt chạy lỗi",
        "message_id": f"<{uuid.uuid4().hex}@baocao>",
        "status": "pending",
        "attempts": 0,
    }


def _count(app: App) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(OutboundMail).where(OutboundMail.kind == "alert"))


def test_two_inserts_of_one_alert_slot_keep_one_row(app: App) -> None:
    """What the second of two runs does when its look-up ran before the first committed:
    the insert itself (ON CONFLICT DO NOTHING) finds the slot taken."""
    with app.session() as s:
        assert insert_ignore(s, OutboundMail, _alert(app)) is True
        assert insert_ignore(s, OutboundMail, _alert(app)) is False
        assert insert_ignore(s, OutboundMail, _alert(app, "run-2")) is True
    assert _count(app) == 2
    with pytest.raises(IntegrityError), app.session() as s:  # a plain INSERT is refused by the database
        s.add(OutboundMail(**_alert(app)))
        s.flush()


def _waiting_on_a_lock(app: App) -> bool:
    with app.engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )))


def test_two_runs_reserving_one_alert_at_once_get_one_row(pg_url: str, settings_factory) -> None:
    """PostgreSQL, two sessions: the first reserved and has not committed; the second's
    look-up sees nothing, its insert waits for the first's commit and then finds the row."""
    from flows.app import init

    app = App(settings_factory(database_url=pg_url))
    init(app)
    try:
        unit = app.session()
        first = unit.__enter__()
        mine, inserted = reserve_outbound(_alert(app), session=first)
        assert inserted
        theirs: list = []

        def second() -> None:
            with app.session() as s:
                row, new = reserve_outbound(_alert(app), session=s)
                theirs.append((row.id, new))

        worker = threading.Thread(target=second)
        worker.start()
        while worker.is_alive() and not _waiting_on_a_lock(app):  # the second's insert waits
            threading.Event().wait(0.01)
        assert theirs == []
        unit.__exit__(None, None, None)  # commit
        worker.join()
        assert theirs == [(mine.id, False)]
        assert _count(app) == 1
    finally:
        app.engine.dispose()
