"""Content-addressed blob store: bytes under DATA_DIR/blobs/ab/cd/<sha256>, written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from storage.models import Blob, utcnow
from storage.upsert import insert_ignore


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

    def read(self, sha: str) -> bytes:
        """The bytes of a stored blob."""
        return self.path_for(sha).read_bytes()


def store_blob(store: BlobStore, data: bytes, *, session: Session) -> Blob:
    """Write bytes to the store and record them (idempotent); the caller commits."""
    sha = store.write(data)
    path = str(store.path_for(sha).relative_to(store.root))
    insert_ignore(session, Blob, {"sha256": sha, "size": len(data), "path": path, "created_at": utcnow()})
    blob = session.get(Blob, sha)
    assert blob is not None
    return blob
