"""`baocao user add|list|disable`: who may use the web workspace."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from flows.cli.base import (
    ActorOpt,
    JsonOpt,
    UserError,
    actor_name,
    cli,
    make_app,
    new_table,
    out,
    print_json,
)

user = typer.Typer(help="Quản lý người dùng giao diện web (xem / xử lý / quản trị).", no_args_is_help=True)
cli.add_typer(user, name="user")


def _read_password(from_stdin: bool) -> str:
    from flows.web.security import (
        MIN_PASSWORD,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
    return password


@user.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Tên đăng nhập (không dấu cách).")],
    role: Annotated[str, typer.Option("--role", help="viewer (xem), editor (xử lý) hoặc admin (quản trị).")] = "viewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ một dòng trên stdin.")] = False,
    actor: ActorOpt = None,
) -> None:
    """Thêm người dùng (mật khẩu được băm bằng argon2, không lưu bản rõ)."""
    from flows.web.security import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        hash_password,
        login_name,
    )
    from storage.outbound import add_event  # lazy: only this command needs it
    from storage.users import (
        ROLE_LABELS,
        add_user,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from storage.users import (
        UserError as StoreUserError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    who = actor_name(actor)
    password = _read_password(password_stdin)
    app = make_app()
    try:
        with app.session() as session:
            # NFC, as the login form looks it up (a decomposed 'ễ' would be another name).
            row = add_user(login_name(name), role, hash_password(password), session=session)
            shown = (row.name, row.role)
            add_event(None, None, "user_added", f"Thêm người dùng {row.name} ({ROLE_LABELS.get(row.role, row.role)})",
                      {"user": row.name, "role": row.role}, session=session, actor=who)
    except StoreUserError as err:
        raise UserError(str(err)) from None
    out.print(f"Đã thêm người dùng [bold]{shown[0]}[/] với vai trò {ROLE_LABELS.get(shown[1], shown[1])}.")


@user.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Danh sách người dùng."""
    from storage.users import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        ROLE_LABELS,
        list_users,
    )

    app = make_app()
    tz = ZoneInfo(app.settings.timezone)  # the office's clock, as the web and `history` show it
    with app.session() as session:
        rows = [
            {"name": u.name, "role": u.role, "active": u.active,
             "last_login_at": _aware(u.last_login_at).astimezone(tz).isoformat() if u.last_login_at else None}
            for u in list_users(session=session)
        ]
    if as_json:
        print_json(rows)
        return
    table = new_table()
    for heading in ("Tên", "Vai trò", "Tình trạng", "Đăng nhập gần nhất"):
        table.add_column(heading)
    for u in rows:
        table.add_row(u["name"], ROLE_LABELS[u["role"]], "đang dùng" if u["active"] else "đã khóa",
                      (u["last_login_at"] or "")[:16].replace("T", " "))
    out.print(table)


@user.command("disable")
def disable(name: Annotated[str, typer.Argument(help="Tên đăng nhập.")], actor: ActorOpt = None) -> None:
    """Khóa người dùng (giữ lại cho nhật ký; phiên đăng nhập đang mở hết hiệu lực ngay)."""
    from flows.web.security import login_name  # lazy: only this command needs it
    from storage.outbound import add_event  # lazy: only this command needs it
    from storage.users import (
        UserError as StoreUserError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from storage.users import (
        disable_user,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    who = actor_name(actor)
    name = login_name(name)
    app = make_app()
    try:
        with app.session() as session:
            disable_user(name, session=session)
            add_event(None, None, "user_disabled", f"Khóa người dùng {name}", {"user": name}, session=session, actor=who)
    except StoreUserError as err:
        raise UserError(str(err)) from None
    out.print(f"Đã khóa người dùng {name}.")


def _aware(at: dt.datetime) -> dt.datetime:
    """A stored time (UTC; SQLite gives it back naive) made aware."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
