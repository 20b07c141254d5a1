"""Engines, sessions and migrations. Callers own the unit of work (`with session.begin()`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

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
    from alembic.config import Config  # lazy: every command checks the schema, few migrate

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
    from alembic import command  # lazy: only migrations need Alembic (start-up time)

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
