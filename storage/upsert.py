"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL: idempotency as a database fact.

The statements are built once per (dialect, table) and executed with the row's values as
parameters: building `insert(...).values(**row)` for every row made SQLAlchemy derive a cache
key from every value, the larger part of a small insert's cost (issue 14, first pass)."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")


@cache
def _insert(dialect: str, model: Any, *, returning_row: bool, returning: bool = True) -> Any:
    """INSERT INTO model's table … ON CONFLICT DO NOTHING RETURNING the primary key (Core: the
    table) or the mapped row (`returning_row`: the ORM object); nothing returned for several
    rows at once (`returning=False`)."""
    dialect_module: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects import (
            postgresql,  # lazy: imports every PostgreSQL driver module (asyncio…)
        )

        dialect_module = postgresql
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite  # lazy, like the PostgreSQL one above

        dialect_module = sqlite
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)
    if returning_row:
        return dialect_module.insert(model).on_conflict_do_nothing().returning(model)
    table = model.__table__
    if not returning:
        return dialect_module.insert(table).on_conflict_do_nothing()
    return dialect_module.insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def insert_ignore(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique constraint already holds it; True when inserted."""
    # rowcount is not reliable for ON CONFLICT DO NOTHING on psycopg 3 (reports 1 when
    # nothing was inserted): ask for the inserted key instead.
    return insert_key(session, model, values) is not None


def insert_key(session: Session, model: type[Any], values: dict[str, Any]) -> Any:
    """Insert a row unless a unique constraint already holds it; its primary key (one column:
    the value; several: the row of them), None when it existed. No ORM object is made."""
    stmt = _insert(session.get_bind().dialect.name, cast(Any, model), returning_row=False)
    session.flush()  # what the ORM statement did on its own (autoflush); a Core one does not
    # On the session's connection (its transaction): a Core statement on a table needs none of
    # the ORM's execution layer, which was a third of a first pass's cost per message.
    row = session.connection().execute(stmt, values).first()
    if row is None:
        return None
    return row[0] if len(row) == 1 else row


def insert_ignore_many(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert several rows (same keys) in one statement, skipping those a unique constraint
    already holds."""
    if not rows:
        return
    stmt = _insert(session.get_bind().dialect.name, cast(Any, model), returning_row=False, returning=False)
    session.flush()
    session.connection().execute(stmt, rows)


def insert_new(session: Session, model: type[T], values: dict[str, Any]) -> T | None:
    """Insert a row unless a unique constraint already holds it; the new ORM object (one
    statement: INSERT … ON CONFLICT DO NOTHING RETURNING the row), None when it existed."""
    stmt = _insert(session.get_bind().dialect.name, cast(Any, model), returning_row=True)
    return session.scalars(stmt, values).first()
