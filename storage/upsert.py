"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL: idempotency as a database fact."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique constraint already holds it; True when inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(dialect)
    # rowcount is not reliable for ON CONFLICT DO NOTHING on psycopg 3 (reports 1 when
    # nothing was inserted): ask for the inserted key instead.
    stmt = stmt.returning(*model.__table__.primary_key.columns)
    return session.execute(stmt).first() is not None
