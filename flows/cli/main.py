"""The `baocao` entry point: registers every command module and turns user mistakes into
one line on stderr with exit code 2.

Start-up time matters (`baocao --help`, `baocao status` are run by hand): the command modules
import pandas, docxtpl, pdfplumber, Prefect and FastAPI only inside the commands that use
them, and SQLAlchemy's errors are imported only when something went wrong
(tests/flows/cli/test_startup.py checks it).
"""

from __future__ import annotations

import gc
import logging
import os

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
from storage.errors import StorageError


def main() -> None:
    """Entry point: user mistakes, configuration errors and a machine that cannot go on (disk
    full, read-only data directory, mailbox or database gone) become one line on stderr and
    exit code 2; `ingest` exits 1 itself when some items failed. Library and module logs
    stay off stderr (set BAOCAO_LOG_LEVEL=INFO or DEBUG to see them with tracebacks)."""
    _logging()
    try:
        _run()
    finally:
        # Nothing is needed once the command is done: freezing the heap spares the interpreter's
        # last garbage collections over every imported module (~0.2-0.3 s of `baocao status`,
        # bench/bench_startup.py). Atexit handlers, flushes and closes still run.
        gc.freeze()


def _run() -> None:
    try:
        cli()
    except (ConfigError, FlowsError) as exc:
        err.print(f"Lỗi: {_one_line(exc)}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except (FileExistsError, NotADirectoryError) as exc:
        if not exc.filename:
            raise
        # A folder baocao needs (BAOCAO_DATA_DIR, the shared folder…) is a file here.
        err.print(
            f"Lỗi: «{exc.filename}» là một tệp, không phải thư mục — kiểm tra BAOCAO_DATA_DIR và các đường dẫn thư mục trong cấu hình.",
            markup=False, highlight=False, soft_wrap=True,
        )
        raise SystemExit(2) from None
    except OSError as exc:
        from flows.intake.errors import describe_error, machine_os_error  # lazy: imports SQLAlchemy

        if machine_os_error(exc) is None and not isinstance(exc, PermissionError):
            raise
        err.print(f"Lỗi: {describe_error(exc)}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except StorageError as exc:
        err.print(f"Lỗi cơ sở dữ liệu: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except Exception as exc:
        line = _database_error(exc)
        if line is None:
            raise
        err.print(line, markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


def _database_error(exc: Exception) -> str | None:
    """The one line for a database error, None for anything else."""
    from sqlalchemy.exc import (  # lazy: only on errors (start-up time)
        OperationalError,
        SQLAlchemyError,
    )

    from flows.intake.errors import describe_error, machine_os_error  # lazy: imports SQLAlchemy

    if isinstance(exc, OperationalError):
        orig = str(exc.orig)
        full = machine_os_error(exc) or "disk" in orig or "readonly" in orig
        return f"Lỗi cơ sở dữ liệu: {describe_error(exc) if full else orig.strip().splitlines()[0]}"
    if isinstance(exc, SQLAlchemyError):
        return f"Lỗi cơ sở dữ liệu: {str(exc).splitlines()[0]} — hãy chạy 'baocao init'."
    return None


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
