"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL: idempotency as a database fact."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def _insert(session: Session, model: type[Any], values: dict[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import (
            postgresql,  # lazy: imports every PostgreSQL driver module (asyncio…)
        )

        return postgresql.insert(model).values(**values).on_conflict_do_nothing()
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite  # lazy, like the PostgreSQL one above

        return sqlite.insert(model).values(**values).on_conflict_do_nothing()
    raise NotImplementedError(dialect)  # pragma: no cover - only the two supported backends


def insert_ignore(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique constraint already holds it; True when inserted."""
    stmt = _insert(session, model, values)
    # rowcount is not reliable for ON CONFLICT DO NOTHING on psycopg 3 (reports 1 when
    # nothing was inserted): ask for the inserted key instead.
    stmt = stmt.returning(*model.__table__.primary_key.columns)
    return session.execute(stmt).first() is not None


def insert_new(session: Session, model: type[T], values: dict[str, Any]) -> T | None:
    """Insert a row unless a unique constraint already holds it; the new ORM object (one
    statement: INSERT … ON CONFLICT DO NOTHING RETURNING the row), None when it existed."""
    stmt = _insert(session, model, values).returning(model)
    return session.scalars(stmt).first()
