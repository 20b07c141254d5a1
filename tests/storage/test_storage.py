"""Storage against real migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from flows.app import App, init, status_report
from storage.blobs import BlobStore, sha256_hex, store_blob
from storage.db import current_revision, downgrade, head_revision, make_engine, upgrade
from storage.models import Base, Blob, CampaignRow, ContactRow, Event, RecipientRow


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"campaign", "recipient", "inbound_mail", "submission", "outbound_mail"} <= tables
    downgrade(engine)
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    """A model changed without `make migration` shows up here."""
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def _snapshot(app: App) -> dict:
    with app.session() as s:
        return {
            "campaigns": [(c.id, c.title, c.source_sha256) for c in s.scalars(select(CampaignRow))],
            "recipients": [
                (r.id, r.code, r.name, r.group, r.aliases, r.active)
                for r in s.scalars(select(RecipientRow).order_by(RecipientRow.id))
            ],
            "contacts": [
                (c.recipient_id, c.email, c.position)
                for c in s.scalars(select(ContactRow).order_by(ContactRow.id))
            ],
            "events": s.scalar(select(func.count()).select_from(Event)),
        }


def test_init_twice_gives_the_same_database(app: App) -> None:
    before = _snapshot(app)
    assert len(before["recipients"]) == 28
    assert len(before["contacts"]) == 31  # three recipients list two addresses
    reports = init(app)
    assert not reports[0].changed
    assert _snapshot(app) == before


def test_init_after_edit_updates_and_keeps_history(app: App, tmp_path: Path) -> None:
    import shutil

    config = tmp_path / "config"
    shutil.copytree(app.settings.config_dir, config)
    csv = config / "recipients" / "de-an-996.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    # drop Hội Cựu chiến binh, rename Sở Y tế, add an address to Sở Tư pháp
    lines = [ln for ln in lines if not ln.startswith("hccb,")]
    lines = [ln.replace("soyt,Sở Y tế,", "soyt,Sở Y tế tỉnh Quảng Ngãi,") for ln in lines]
    lines = [ln.replace("sotp@quangngai.example", "sotp@quangngai.example; vt.sotp@quangngai.example") for ln in lines]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = App(app.settings.model_copy(update={"config_dir": config}))
    report = init(edited)[0]
    assert report.recipients_deactivated == ["hccb"]
    assert set(report.recipients_updated) == {"soyt", "sotp"}
    status = status_report(edited)
    assert len(status["recipients"]) == 27
    with edited.session() as s:
        hccb = s.scalars(select(RecipientRow).where(RecipientRow.code == "hccb")).one()
        assert hccb.active is False  # kept, never deleted
        assert s.scalar(select(func.count()).select_from(RecipientRow)) == 28
    edited.engine.dispose()


def test_status_json_all_not_responded(app: App) -> None:
    report = status_report(app)
    assert report["campaign"] == "de-an-996"
    assert report["deadline"] == "2025-08-15T23:59:59+07:00"
    assert report["as_of"].endswith("+07:00")
    assert len(report["recipients"]) == 28
    assert {r["state"] for r in report["recipients"]} == {"not_responded"}
    assert report["counts"]["not_responded"] == 28 and report["review"] == []
    first = report["recipients"][0]
    assert set(first) >= {"id", "name", "group", "emails", "state", "late", "first_response_at", "last_response_at"}


def test_blob_store_is_content_addressed_and_idempotent(app: App) -> None:
    store = BlobStore(app.settings.blobs_dir)
    data = "Báo cáo sơ kết".encode()
    with app.session() as s:
        blob = store_blob(store, data, session=s)
        again = store_blob(store, data, session=s)
        assert blob.sha256 == again.sha256 == sha256_hex(data)
    assert store.read(blob.sha256) == data
    assert not list(store.path_for(blob.sha256).parent.glob(".tmp-*"))
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1


def test_migration_0004_keeps_duplicate_receipts_and_then_refuses_them(db_url: str) -> None:
    """Receipts recorded twice for one message (one per campaign, before 0004) keep their
    history under `mail:<id>/<campaign>`; afterwards a second receipt of a slot cannot be
    written, whatever its campaign; other kinds may share a slot across campaigns."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(db_url)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        for cid in ("a", "b"):
            conn.execute(text("INSERT INTO campaign (id, title, deadline_at, timezone, definition, source_path, source_sha256, created_at, updated_at)"
                              " VALUES (:c, :t, CURRENT_TIMESTAMP, 'UTC', '{}', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"c": cid, "t": cid})
        for i, (cid, kind, slot) in enumerate([("a", "receipt", "mail:1"), ("b", "receipt", "mail:1"), ("a", "receipt", "mail:2"),
                                                ("a", "reminder", "before-5@2025-08-15"), ("b", "reminder", "before-5@2025-08-15")]):
            conn.execute(text("INSERT INTO outbound_mail (campaign_id, kind, slot, to_addrs, subject, message_id, status, attempts, created_at)"
                              " VALUES (:c, :k, :s, '[]', '', :m, 'sent', 1, CURRENT_TIMESTAMP)"), {"c": cid, "k": kind, "s": slot, "m": f"<{i}@x>"})
    upgrade(engine)
    with engine.connect() as conn:
        rows = sorted(conn.execute(text("SELECT campaign_id, kind, slot FROM outbound_mail")).all())
    assert rows == [("a", "receipt", "mail:1"), ("a", "receipt", "mail:2"), ("a", "reminder", "before-5@2025-08-15"),
                    ("b", "receipt", "mail:1/b"), ("b", "reminder", "before-5@2025-08-15")]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO outbound_mail (campaign_id, kind, slot, to_addrs, subject, message_id, status, attempts, created_at)"
                          " VALUES ('b', 'receipt', 'mail:2', '[]', '', '<new@x>', 'pending', 0, CURRENT_TIMESTAMP)"))
    downgrade(engine, "0003")
    upgrade(engine)
    engine.dispose()
