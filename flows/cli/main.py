"""The `baocao` entry point: registers every command module and turns user mistakes into
one line on stderr with exit code 2."""

from __future__ import annotations

import logging
import os

from sqlalchemy.exc import OperationalError, SQLAlchemyError

# command modules (each registers its commands on `cli`)
import flows.cli.ingest
import flows.cli.parse
import flows.cli.remind
import flows.cli.report
import flows.cli.serve
import flows.cli.status
import flows.cli.users
import flows.cli.web  # noqa: F401
from config.errors import ConfigError
from flows.cli.base import cli, err
from flows.errors import FlowsError
from flows.intake.errors import describe_error, machine_os_error
from storage.errors import StorageError


def main() -> None:
    """Entry point: user mistakes, configuration errors and a machine that cannot go on (disk
    full, read-only data directory, mailbox or database gone) become one line on stderr and
    exit code 2; `ingest` exits 1 itself when some items failed. Library and module logs
    stay off stderr (set BAOCAO_LOG_LEVEL=INFO or DEBUG to see them with tracebacks)."""
    _logging()
    try:
        cli()
    except (ConfigError, FlowsError) as exc:
        err.print(f"Lỗi: {_one_line(exc)}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except OSError as exc:
        if machine_os_error(exc) is None and not isinstance(exc, PermissionError):
            raise
        err.print(f"Lỗi: {describe_error(exc)}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except StorageError as exc:
        err.print(f"Lỗi cơ sở dữ liệu: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except OperationalError as exc:
        reason = describe_error(exc) if machine_os_error(exc) or "disk" in str(exc.orig) or "readonly" in str(exc.orig) else str(exc.orig).strip().splitlines()[0]
        err.print(f"Lỗi cơ sở dữ liệu: {reason}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        err.print(f"Lỗi cơ sở dữ liệu: {reason} — hãy chạy 'baocao init'.", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


def _logging() -> None:
    level = os.environ.get("BAOCAO_LOG_LEVEL", "").upper()
    root = logging.getLogger()
    if level:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    elif not root.handlers:
        root.addHandler(logging.NullHandler())  # no traceback under the one-line error


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    main()
