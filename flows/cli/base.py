"""The `baocao` command line (Typer). `--json` writes only JSON to stdout; people get Rich."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.errors import FlowsError

if TYPE_CHECKING:
    from rich.console import Console

cli = typer.Typer(
    name="baocao",
    help="Thu thập, theo dõi và tổng hợp báo cáo của các cơ quan, đơn vị.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class _LazyConsole:
    """A Rich console made on its first use: `--json` output and `--help` draw nothing with
    it, and rich.console is ~20 ms of start-up (bench/bench_startup.py)."""

    def __init__(self, make: Callable[[], Console]) -> None:
        self._make = make
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            self._console = self._make()
        return getattr(self._console, name)


def _out() -> Console:
    from rich.console import Console  # lazy: see _LazyConsole

    # Piped output (files, other programs) is not cut to 80 columns.
    return Console(width=None if sys.stdout.isatty() else 150)


def _err() -> Console:
    from rich.console import Console  # lazy: see _LazyConsole

    return Console(stderr=True, soft_wrap=True)  # an error stays one line, never cut at 80 columns


out: Any = _LazyConsole(_out)
err: Any = _LazyConsole(_err)

CampaignOpt = Annotated[
    str | None, typer.Option("--campaign", "-c", help="Mã chiến dịch (mặc định: chiến dịch duy nhất).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON (chỉ JSON trên stdout).")]
ActorOpt = Annotated[
    str | None,
    typer.Option(
        "--nguoi", "--actor", envvar="BAOCAO_ACTOR", show_envvar=True,
        help="Người thực hiện, ghi vào nhật ký (mặc định: BAOCAO_ACTOR, rồi tên đăng nhập máy trừ root).",
    ),
]
# Login names that are not a person: the audit log would say nothing about who did it.
NOT_A_PERSON = frozenset({"root", "system", "admin", "administrator"})


class UserError(FlowsError):
    """A mistake the user can fix; printed as one line, exit code 2."""


def actor_name(given: str | None) -> str:
    """The person a manual command is done for, as the audit log names them (NFC): `--nguoi`,
    else BAOCAO_ACTOR (Typer reads it into `given`), else the operating-system login, as `git`
    and `sudo` name whoever runs them. A shared account (root) names nobody: the command refuses
    and asks for a name rather than write an anonymous line."""
    import getpass  # lazy: only manual commands need it
    import unicodedata  # lazy, as getpass

    name = unicodedata.normalize("NFC", (given or "").strip())
    if not name:
        try:
            name = getpass.getuser().strip()
        except (KeyError, OSError):  # no login name (a container without a passwd entry)
            name = ""
    if not name or name.lower() in NOT_A_PERSON:
        shown = f" (tài khoản máy '{name}' không phải tên một người)" if name else ""
        raise UserError(f"cần tên người thực hiện để ghi nhật ký{shown}: thêm --nguoi TÊN hoặc đặt BAOCAO_ACTOR=TÊN")
    return name


def make_app() -> Any:
    """The application over settings read once from the environment.

    The settings and campaign models are built without looking for Pydantic plugins, as
    Typer builds its own: the look-up reads the entry points of every installed package
    (~10 ms of each command's start-up, bench/bench_startup.py) and baocao uses none."""
    with _no_pydantic_plugins():
        from config.settings import load_settings  # lazy: not for --help
        from flows.app import App  # lazy: not for --help

        return App(load_settings())


@contextmanager
def _no_pydantic_plugins() -> Iterator[None]:
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def new_table(*args: Any, **kwargs: Any) -> Any:
    """A Rich table; rich.table loads on first use (`--json` and `--help` output need none)."""
    from rich.table import Table  # lazy: start-up time

    return Table(*args, **kwargs)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
