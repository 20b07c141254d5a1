"""Engines, sessions and migrations. Callers own the unit of work (`with session.begin()`)."""

from __future__ import annotations

import logging
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from storage.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w-]+|None)['\"]?", re.M)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseUnavailable(f"địa chỉ cơ sở dữ liệu không hợp lệ: {url!r}") from err
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        _SYNC[engine] = _SyncMode()
        event.listen(engine, "checkout", _SYNC[engine].apply)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as err:  # missing driver, bad options
        raise DatabaseUnavailable(f"không tạo được kết nối cơ sở dữ liệu: {err}") from err


class _SyncMode:
    """Whether the commits of an SQLite engine wait for the disk (FULL, the default) or not
    (NORMAL, inside `deferred_sync`); applied to each connection as it is checked out."""

    def __init__(self) -> None:
        self.deferred = 0

    def apply(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        wanted = "NORMAL" if self.deferred else "FULL"
        if record.info.get("synchronous") != wanted:
            dbapi_connection.execute(f"PRAGMA synchronous={wanted}")
            record.info["synchronous"] = wanted


_SYNC: weakref.WeakKeyDictionary[Engine, _SyncMode] = weakref.WeakKeyDictionary()


@contextmanager
def deferred_sync(engine: Engine) -> Iterator[None]:
    """Commits inside do not each wait for the disk; all of them are on disk when it ends.

    SQLite in WAL mode with synchronous=NORMAL: a committed transaction survives a crash of the
    process (it is in the WAL file), and a power cut can only drop the latest commits, never one
    before a kept one (the WAL is replayed up to its first incomplete frame). Leaving the block
    restores FULL and fsyncs the WAL and the database file, so a caller that acts on the commits
    outside the database (flags a message on the server, sends a mail) does it only after they
    are durable. PostgreSQL and unknown back-ends: commits stay synchronous, nothing changes."""
    mode = _SYNC.get(engine)
    if mode is None or not engine.url.database or engine.url.database == ":memory:":
        yield
        return
    mode.deferred += 1
    try:
        yield
    finally:
        mode.deferred -= 1
        if not mode.deferred:
            _fsync_files(Path(engine.url.database + "-wal"), Path(engine.url.database))


def _fsync_files(*paths: Path) -> None:
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory that does not expire objects on commit."""
    from sqlalchemy.orm import sessionmaker  # lazy: commands that only read need no ORM

    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


class HeldConnection:
    """Units of work on one connection kept for a loop of many (a poll's messages, one commit
    each): the pool's check-out, reset and check-in per unit were a tenth of a short mail's
    cost on a first pass. Each unit is still its own transaction (begin, commit, or roll back
    on error). A unit that fails lets its connection go (closed: back to the pool, or dropped
    if it broke), and the next unit takes a fresh one: a dead connection never fails more than
    the message it failed in."""

    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.factory = factory
        self.conn: Connection | None = None

    @contextmanager
    def unit(self) -> Iterator[Session]:
        if self.conn is None:
            self.conn = self.engine.connect()
        try:
            with self.factory(bind=self.conn) as session, session.begin():
                yield session
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the connection back (the loop's end, or a failed unit)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> HeldConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """One transaction on a Core connection, for reads only: rolled back when it ends."""
    with engine.connect() as conn:
        yield conn


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to this engine (no alembic.ini needed)."""
    from alembic.config import Config  # lazy: every command checks the schema, few migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def _unreachable(engine: Engine, err: OperationalError) -> DatabaseUnavailable:
    """One line naming the server (never the password) and the driver's first line."""
    url = engine.url
    where = f"{url.host or 'localhost'}:{url.port or ''}".rstrip(":") if url.get_backend_name() != "sqlite" else str(url.database)
    first = (str(err.orig).strip().splitlines() or [""])[0]
    return DatabaseUnavailable(f"không kết nối được cơ sở dữ liệu tại {where}: {first}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema with the migrations."""
    try:
        with engine.connect():
            pass
    except OperationalError as err:
        raise _unreachable(engine, err) from err
    from alembic import command  # lazy: only migrations need Alembic (start-up time)

    command.upgrade(alembic_config(engine), revision)


def check_schema(engine: Engine) -> None:
    """Fail with a clear message unless the database is at the newest migration."""
    try:
        current = current_revision(engine)
    except OperationalError as err:
        raise _unreachable(engine, err) from err
    if current is None:
        raise DatabaseUnavailable("cơ sở dữ liệu chưa được khởi tạo — hãy chạy 'baocao init'")
    if current != head_revision():
        raise DatabaseUnavailable(
            f"cơ sở dữ liệu ở phiên bản {current}, mã nguồn cần {head_revision()} — hãy chạy 'baocao init'"
        )


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the schema (tests and emergencies only)."""
    from alembic import command  # lazy: only migrations need Alembic (start-up time)

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None when empty). One plain query on Alembic's
    own table, so a command that only reads does not import Alembic."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except ProgrammingError:
            return None


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this code: the revision no other one builds on (read
    from the scripts' `revision` / `down_revision` lines; storage/migrations has one chain)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision") not in (None, "None"):
                parents.add(found["down_revision"])
    heads = sorted(revisions - parents)
    return heads[-1] if heads else None
