"""The intake package's root exception (review refusals, folder problems), and how a failure
of one item is told apart: transient (the disk, the database, the server: retried on later
runs) or permanent (the item itself is bad: recorded for a person)."""

from __future__ import annotations

import errno
import imaplib

from sqlalchemy.exc import DBAPIError, OperationalError

from flows.errors import FlowsError

# I/O failures of the machine, not of the file: a full or read-only disk, an I/O error.
MACHINE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EMFILE, errno.ENFILE, errno.ENOMEM}
DISK_WORDS = {errno.ENOSPC: "ổ đĩa dữ liệu đã đầy", errno.EDQUOT: "đã hết hạn mức ổ đĩa", errno.EROFS: "thư mục dữ liệu chỉ cho đọc"}


class IntakeError(FlowsError):
    """Something about incoming mail or files that a person must fix (message in Vietnamese)."""


class RunBroken(IntakeError):
    """The run cannot go on (it cannot even record a failure); what was committed stays."""


def is_transient(err: BaseException) -> bool:
    """True when trying again later may succeed: I/O, database or mail server trouble."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | OperationalError | imaplib.IMAP4.abort):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if any(w in str(current) for w in ("database or disk is full", "disk I/O error", "readonly database")):
            return True
        current = current.__cause__ or current.__context__
    return False


def machine_os_error(err: BaseException) -> OSError | None:
    """The OSError of the machine (disk full, read-only…) behind an exception, if any."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in MACHINE_ERRNOS:
            return current
        current = current.__cause__ or current.__context__
    return None


def describe_error(err: BaseException) -> str:
    """One line for people: disk problems in Vietnamese, else the exception's first line."""
    os_err = machine_os_error(err)
    if os_err is not None:
        what = DISK_WORDS.get(os_err.errno or 0, f"lỗi vào/ra ({os_err.strerror})")
        where = f" ({os_err.filename})" if os_err.filename else ""
        return f"{what}{where}"
    text = str(getattr(err, "orig", None) or err).strip().splitlines()
    joined = " ".join(text)
    if "database or disk is full" in joined:
        return "ổ đĩa dữ liệu đã đầy (cơ sở dữ liệu không ghi được)"
    if "readonly database" in joined or "read-only file system" in joined.lower():
        return "thư mục dữ liệu chỉ cho đọc (cơ sở dữ liệu không ghi được)"
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")
