"""The `baocao` entry point: registers every command module and turns user mistakes into
one line on stderr with exit code 2."""

from __future__ import annotations

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
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        err.print(f"Lỗi cơ sở dữ liệu: {reason}", markup=False, highlight=False)
        raise SystemExit(2) from None
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        err.print(f"Lỗi cơ sở dữ liệu: {reason} — hãy chạy 'baocao init'.", markup=False, highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
