"""The `baocao` entry point: registers every command module and turns user mistakes into
one line on stderr with exit code 2.

Start-up time matters (`baocao --help`, `baocao status` are run by hand): the command modules
import pandas, docxtpl, pdfplumber, Prefect and FastAPI only inside the commands that use
them, and SQLAlchemy's errors are imported only when something went wrong
(tests/flows/cli/test_startup.py checks it).
"""

from __future__ import annotations

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
from flows.cli.base import UserError, cli, err
from storage.errors import StorageError


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2."""
    try:
        cli()
    except (ConfigError, UserError) as exc:
        err.print(f"Lỗi: {exc}", markup=False, highlight=False)
        raise SystemExit(2) from None
    except StorageError as exc:
        err.print(f"Lỗi cơ sở dữ liệu: {exc}", markup=False, highlight=False)
        raise SystemExit(2) from None
    except Exception as exc:
        line = _database_error(exc)
        if line is None:
            raise
        err.print(line, markup=False, highlight=False)
        raise SystemExit(2) from None


def _database_error(exc: Exception) -> str | None:
    """The one line for a database error, None for anything else."""
    from sqlalchemy.exc import (  # lazy: only on errors (start-up time)
        OperationalError,
        SQLAlchemyError,
    )

    if isinstance(exc, OperationalError):
        return f"Lỗi cơ sở dữ liệu: {str(exc.orig).strip().splitlines()[0]}"
    if isinstance(exc, SQLAlchemyError):
        return f"Lỗi cơ sở dữ liệu: {str(exc).splitlines()[0]} — hãy chạy 'baocao init'."
    return None


if __name__ == "__main__":
    main()
