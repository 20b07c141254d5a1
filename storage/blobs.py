"""Content-addressed blob store: bytes under DATA_DIR/blobs/ab/cd/<sha256>, written atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session

from storage.models import Blob, utcnow
from storage.upsert import insert_ignore, insert_ignore_many

log = logging.getLogger(__name__)
# Threads that fsync a batch of new blobs together: the file system then folds their
# syncs into a few journal commits instead of one per file (the fsyncs release the GIL).
SYNC_THREADS = 16


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes, hex."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Bytes on disk, keyed by their sha256. Writing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha: str) -> Path:
        """Where the blob with this hash lives."""
        return self.root / sha[:2] / sha[2:4] / sha

    def write(self, data: bytes) -> str:
        """Store bytes atomically (temp file, fsync, rename); return the sha256."""
        sha = sha256_hex(data)
        target = self.path_for(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def write_many(self, datas: Iterable[bytes]) -> list[str]:
        """Store several blobs with the guarantee of `write` (a blob is on its final path only
        once its bytes are on disk), paying for the syncs together: every new blob is written
        to its temp file, all temp files are fsync'd at once, then each is renamed into place.
        A crash before a rename leaves only temp files (and the blob absent: written again by
        the next `write`). Returns the sha256 of each, in order."""
        shas: list[str] = []
        waiting: dict[str, tuple[Path, Path, int]] = {}
        try:
            for data in datas:
                sha = sha256_hex(data)
                shas.append(sha)
                target = self.path_for(sha)
                if sha in waiting or (target.exists() and target.stat().st_size == len(data)):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
                waiting[sha] = (Path(tmp_name), target, fd)
                with os.fdopen(os.dup(fd), "wb") as handle:
                    handle.write(data)
            if waiting:
                with ThreadPoolExecutor(min(SYNC_THREADS, len(waiting))) as threads:
                    list(threads.map(os.fsync, [fd for _, _, fd in waiting.values()]))
            for tmp, target, _ in waiting.values():
                tmp.replace(target)
        finally:
            for tmp, _, fd in waiting.values():
                os.close(fd)
                tmp.unlink(missing_ok=True)  # renamed: already gone; else not half-written in place
        return shas

    def read(self, sha: str) -> bytes:
        """The bytes of a stored blob."""
        return self.path_for(sha).read_bytes()


def record_blob(store: BlobStore, data: bytes, *, session: Session) -> str:
    """Write bytes to the store and record them (idempotent); their sha256. The caller commits."""
    sha = store.write(data)
    path = str(store.path_for(sha).relative_to(store.root))
    insert_ignore(session, Blob, {"sha256": sha, "size": len(data), "path": path, "created_at": utcnow()})
    return sha


def record_blobs(store: BlobStore, blobs: list[tuple[str, int]], *, session: Session) -> None:
    """Record blobs already written to the store, given as (sha256, size): one statement for
    all of them (idempotent). The caller commits."""
    at = utcnow()
    rows = {sha: {"sha256": sha, "size": size, "path": str(store.path_for(sha).relative_to(store.root)), "created_at": at} for sha, size in blobs}
    insert_ignore_many(session, Blob, list(rows.values()))


def store_blob(store: BlobStore, data: bytes, *, session: Session) -> Blob:
    """Write bytes to the store and record them (idempotent); the caller commits."""
    sha = record_blob(store, data, session=session)
    blob = session.get(Blob, sha)
    assert blob is not None
    return blob
