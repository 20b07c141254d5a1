"""Engines, sessions and migrations. Callers own the unit of work (`with session.begin()`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as err:  # missing driver, bad options
        raise DatabaseUnavailable(f"không tạo được kết nối cơ sở dữ liệu: {err}") from err


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory that does not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to this engine (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema with the migrations."""
    try:
        with engine.connect():
            pass
    except OperationalError as err:
        raise DatabaseUnavailable(f"không kết nối được cơ sở dữ liệu: {err.orig}") from err
    command.upgrade(alembic_config(engine), revision)


def check_schema(engine: Engine) -> None:
    """Fail with a clear message unless the database is at the newest migration."""
    try:
        current = current_revision(engine)
    except OperationalError as err:
        raise DatabaseUnavailable(f"không kết nối được cơ sở dữ liệu: {err.orig}") from err
    if current is None:
        raise DatabaseUnavailable("cơ sở dữ liệu chưa được khởi tạo — hãy chạy 'baocao init'")
    if current != head_revision():
        raise DatabaseUnavailable(
            f"cơ sở dữ liệu ở phiên bản {current}, mã nguồn cần {head_revision()} — hãy chạy 'baocao init'"
        )


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the schema (tests and emergencies only)."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None when empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
