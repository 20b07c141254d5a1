"""The `baocao` command line (Typer). `--json` writes only JSON to stdout; people get Rich."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from config.errors import ConfigError
from config.settings import Settings
from storage.errors import StorageError

cli = typer.Typer(
    name="baocao",
    help="Thu thập, theo dõi và tổng hợp báo cáo của các cơ quan, đơn vị.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output (files, other programs) is not cut to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)

CampaignOpt = Annotated[
    str | None, typer.Option("--campaign", "-c", help="Mã chiến dịch (mặc định: chiến dịch duy nhất).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON (chỉ JSON trên stdout).")]


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2."""


def make_app() -> Any:
    """The application over settings read once from the environment."""
    from flows.app import App

    return App(Settings())


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


@cli.command()
def init() -> None:
    """Tạo/nâng cấp cơ sở dữ liệu và nạp mọi chiến dịch cùng danh sách đơn vị."""
    from flows import app as service

    app = make_app()
    for report in service.init(app):
        if report.created:
            what = "đã tạo"
        elif report.changed:
            what = "đã cập nhật"
        else:
            what = "không thay đổi"
        out.print(
            f"Chiến dịch [bold]{report.campaign_id}[/]: {what}"
            f" (thêm {len(report.recipients_added)}, sửa {len(report.recipients_updated)},"
            f" ngừng {len(report.recipients_deactivated)} đơn vị)"
        )
    out.print(f"Cơ sở dữ liệu: {_safe_url(app.settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(không hợp lệ)"


@cli.command()
def status(campaign: CampaignOpt = None, as_json: JsonOpt = False) -> None:
    """Tình hình nộp báo cáo: mỗi đơn vị một dòng."""
    from flows import app as service

    app = make_app()
    report = service.status_report(app, campaign)
    if as_json:
        print_json(report)
        return
    print_status_table(report)


STATE_COLOURS = {"not_responded": "red", "acknowledged": "yellow", "nil_report": "cyan", "submitted": "green"}


def print_status_table(report: dict[str, Any]) -> None:
    """A readable Vietnamese table sorted by state, with totals."""
    from reports.status import STATE_ORDER, STATE_SHORT

    rows = sorted(report["recipients"], key=lambda r: (STATE_ORDER[r["state"]], r["name"]))
    table = Table(
        title=f"{report['title']} — hạn nộp {report['deadline'][:10]}", box=box.SIMPLE_HEAD
    )
    table.add_column("Mã", no_wrap=True)
    table.add_column("Đơn vị", ratio=3)
    table.add_column("Tình trạng", no_wrap=True)
    table.add_column("Trễ", no_wrap=True)
    table.add_column("Nhận lúc", no_wrap=True)
    table.add_column("Ghi chú", ratio=2)
    for r in rows:
        notes = []
        if r.get("incomplete"):
            notes.append("thiếu " + ", ".join(r["incomplete"]))
        if r.get("bouncing"):
            notes.append("thư bị trả lại")
        if r.get("mail_failed"):
            notes.append("gửi thư lỗi")
        if r.get("reminders_sent"):
            notes.append(f"đã nhắc {r['reminders_sent']}")
        when = r["last_response_at"] or ""
        table.add_row(
            r["id"],
            r["name"],
            f"[{STATE_COLOURS[r['state']]}]{STATE_SHORT[r['state']]}[/]",
            "có" if r["late"] else "",
            f"{when[8:10]}/{when[5:7]} {when[11:16]}" if when else "",
            "; ".join(notes),
        )
    out.print(table)
    c = report["counts"]
    out.print(
        f"Tổng {c['total']} đơn vị: đã nộp {c['submitted']}, không phát sinh {c['nil_report']},"
        f" hẹn gửi {c['acknowledged']}, chưa trả lời {c['not_responded']};"
        f" trễ hạn {c['late']}, còn thiếu nội dung {c['incomplete']}."
    )
    if report["review"]:
        out.print(f"[yellow]{len(report['review'])} mục chờ cán bộ xem xét[/] (baocao review).")


# command modules (each registers its commands on `cli`)
import flows.cli_ingest  # noqa: E402, F401
import flows.cli_parse  # noqa: E402, F401
import flows.cli_remind  # noqa: E402, F401
import flows.cli_report  # noqa: E402, F401
import flows.cli_serve  # noqa: E402, F401

# Until flows/cli/ becomes the package: its modules load as submodules of this one.
__path__ = [str(__import__("pathlib").Path(__file__).with_suffix(""))]
import flows.cli.users  # noqa: E402, F401
import flows.cli.web  # noqa: E402, F401


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
