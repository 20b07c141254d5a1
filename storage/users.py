"""People who use the web workspace. Functions take `*, session` and never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import User, utcnow

ROLES = ("viewer", "editor", "admin")
ROLE_LABELS = {"viewer": "xem", "editor": "xử lý", "admin": "quản trị"}


class UserError(StorageError):
    """A user cannot be added or changed as asked (the message says why, in Vietnamese)."""


def user_by_name(name: str, *, session: Session) -> User | None:
    """One user by login name (case-insensitive: names are stored lowercase)."""
    return session.scalars(select(User).where(User.name == name.strip().lower())).one_or_none()


def add_user(name: str, role: str, password_hash: str, *, session: Session) -> User:
    """A new active user; refuses a taken name or an unknown role."""
    name = name.strip().lower()
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise UserError("tên đăng nhập không hợp lệ (không để trống, không có dấu cách)")
    if role not in ROLES:
        raise UserError(f"vai trò {role!r} không hợp lệ: chọn viewer, editor hoặc admin")
    if user_by_name(name, session=session) is not None:
        raise UserError(f"đã có người dùng {name!r}")
    user = User(name=name, role=role, password_hash=password_hash, active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def list_users(*, session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def disable_user(name: str, *, session: Session) -> User:
    """Mark a user inactive (kept for the audit trail); their sessions stop working."""
    user = user_by_name(name, session=session)
    if user is None:
        raise UserError(f"không có người dùng {name!r}")
    user.active = False
    user.session_version = (user.session_version or 0) + 1
    return user


def end_sessions(user_id: int, *, session: Session) -> None:
    """Invalidate every session cookie of this user issued so far (logout): the web checks the
    number a cookie carries against `User.session_version`."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1
