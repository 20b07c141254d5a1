"""`baocao remind`, `baocao send-request`, `baocao history`: chasing recipients and their story."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli.base import CampaignOpt, JsonOpt, UserError, cli, make_app, out, print_json

NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="Thời điểm xét (ISO-8601, ví dụ 2025-08-18T09:00:00+07:00); mặc định: bây giờ."),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Chỉ cho xem thư sẽ gửi, không gửi gì.")]
KIND_NAMES = {"request": "Công văn", "reminder": "Nhắc gửi", "reminder_incomplete": "Nhắc bổ sung"}


def parse_now(value: str | None) -> dt.datetime | None:
    """An ISO-8601 moment from the command line (naive = the campaign's time zone)."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--now không đúng dạng ISO-8601: {value!r} (ví dụ 2025-08-18T09:00:00+07:00)") from None


@cli.command()
def remind(campaign: CampaignOpt = None, now: NowOpt = None, dry_run: DryRunOpt = False, as_json: JsonOpt = False) -> None:
    """Gửi thư nhắc đến hạn (ngày làm việc, trong khung giờ; mỗi lượt nhắc chỉ một lần)."""
    from flows.outbound.reminders import (
        remind as run,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    result = run(make_app(), campaign, parse_now(now), dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    if result.get("reason"):
        out.print(f"Không có thư nhắc nào đến hạn: {result['reason']}.")
    else:
        out.print(f"Lượt nhắc [bold]{result['slot']}[/] lúc {result['now'][:16].replace('T', ' ')}")
    _print_delivery(result)


@cli.command("send-request")
def send_request(campaign: CampaignOpt = None, dry_run: DryRunOpt = False, as_json: JsonOpt = False) -> None:
    """Gửi công văn đề nghị báo cáo (kèm đề cương .docx và biểu .xlsx) tới đơn vị chưa nhận."""
    from flows.outbound.requests import (
        send_request as run,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    result = run(make_app(), campaign, dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    _print_delivery(result)


@cli.command()
def history(
    recipient: Annotated[str, typer.Argument(help="Mã đơn vị (hoặc địa chỉ email của đơn vị).")],
    campaign: CampaignOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mọi việc liên quan đến một đơn vị, theo thứ tự thời gian."""
    from flows.history import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        UnknownRecipient,
        recipient_history,
    )

    try:
        result = recipient_history(make_app(), recipient, campaign)
    except UnknownRecipient as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json(result)
        return
    head = result["recipient"]
    table = Table(title=f"{head['name']} ({head['id']})")
    for heading in ("Thời gian", "Loại", "Nội dung"):
        table.add_column(heading)
    for entry in result["entries"]:
        table.add_row(entry["at"][:16].replace("T", " "), entry["kind"], entry["summary"])
    out.print(table)
    if not result["entries"]:
        out.print("Chưa có hoạt động nào với đơn vị này.")


def _print_delivery(result: dict[str, Any]) -> None:
    rows = [("Sẽ gửi", e) for e in result.get("would_send", [])]
    rows += [("Đã gửi", e) for e in result["sent"]] + [("Lỗi", e) for e in result["failed"]]
    if rows:
        table = Table()
        for heading in ("", "Đơn vị", "Loại thư", "Lượt", "Tới", "Ghi chú"):
            table.add_column(heading)
        for label, e in rows:
            table.add_row(label, e["recipient"], KIND_NAMES.get(e["kind"], e["kind"]), e["slot"], ", ".join(e["to"]),
                          e.get("error") or e.get("subject", "")[:60])
        out.print(table)
    verb = "sẽ gửi" if result.get("dry_run") else "đã gửi"
    count = len(result.get("would_send", [])) if result.get("dry_run") else len(result["sent"])
    out.print(f"Tổng: {verb} {count}, bỏ qua {len(result['skipped'])}, lỗi {len(result['failed'])}.")
    if result["failed"]:
        out.print("[yellow]Thư lỗi sẽ được gửi lại ở lần chạy sau.[/]")


@cli.command("mail-resolve")
def mail_resolve(
    outbound_id: Annotated[int, typer.Argument(help="Số thư (outbound_id trong baocao history --json).")],
    sent: Annotated[
        bool, typer.Option("--sent/--resend", help="--sent: thư đã đi (không gửi lại); --resend: gửi lại lần sau.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Xử lý thư bị ngắt giữa chừng khi gửi (không rõ đã đi hay chưa)."""
    from flows.outbound.delivery import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        UnknownMail,
        resolve_mail,
    )

    try:
        result = resolve_mail(make_app(), outbound_id, sent=sent)
    except UnknownMail as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json(result)
        return
    what = "đã ghi nhận là đã gửi" if sent else "sẽ được gửi lại ở lần chạy sau"
    out.print(f"Thư số {result['outbound_id']} ({result['kind']}, {result['slot']}): {what}.")
