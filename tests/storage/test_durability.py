"""The batched syncs of a first pass (issue 14): blobs synced together, ledger commits synced
once before anything leaves the database — with the guarantees of one sync each."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.blobs import BlobStore, sha256_hex
from storage.db import deferred_sync, make_engine, upgrade


def test_write_many_puts_every_blob_in_place_and_leaves_no_temp_file(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    already = store.write(b"one")
    datas = [b"one", b"two", b"three", b"two"]
    shas = store.write_many(datas)
    assert shas == [sha256_hex(d) for d in datas]
    assert shas[0] == already
    for data, sha in zip(datas, shas, strict=True):
        assert store.read(sha) == data
    assert [p.name for p in (tmp_path / "blobs").rglob(".tmp-*")] == []


def test_write_many_leaves_nothing_half_written_when_a_write_fails(tmp_path: Path, monkeypatch) -> None:
    store = BlobStore(tmp_path / "blobs")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("storage.blobs.os.fsync", disk_full)
    try:
        store.write_many([b"a", b"b"])
    except OSError:
        pass
    else:
        raise AssertionError("the failed fsync was not reported")
    # Nothing is on a final path (a blob there is always complete), no temp file remains.
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def _synchronous(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("PRAGMA synchronous")).scalar()


def test_deferred_sync_relaxes_sqlite_commits_only_inside_and_keeps_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    assert _synchronous(engine) == 2  # FULL: every commit waits for the disk
    with deferred_sync(engine):
        assert _synchronous(engine) == 1  # NORMAL (WAL): synced at the end of the block
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO event (at, kind, actor, message, data) VALUES (CURRENT_TIMESTAMP, 'x', 'system', 'y', '{}')"))
    assert _synchronous(engine) == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event WHERE kind = 'x'")).scalar() == 1
    engine.dispose()
