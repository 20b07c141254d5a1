"""`baocao remind`, `baocao send-request`, `baocao history`: chasing recipients and their story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.base import (
    ActorOpt,
    CampaignOpt,
    JsonOpt,
    UserError,
    actor_name,
    cli,
    err,
    make_app,
    new_table,
    out,
    print_json,
)

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


ForceOpt = Annotated[bool, typer.Option("--force", help="Gửi cả khi công văn còn thiếu (số, ngày, tệp gửi kèm, người liên hệ).")]
PreviewOpt = Annotated[
    Path | None,
    typer.Option("--preview", metavar="DIR", help="Không gửi: ghi từng thư (.eml) và bản xem (.html) vào thư mục DIR."),
]


@cli.command()
def remind(
    campaign: CampaignOpt = None,
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    preview: PreviewOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Gửi thư nhắc đến hạn (ngày làm việc, trong khung giờ; mỗi lượt nhắc chỉ một lần), cho
    mọi chiến dịch đang mở khi không chọn --campaign (--preview: mỗi chiến dịch một thư mục con).

    Mã thoát: 0 mọi thư đã gửi; 1 có thư gửi không được; 2 lỗi cấu hình hoặc lệnh."""
    from flows.outbound.reminders import (
        remind as run,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    chosen = app.chosen_campaigns(campaign)
    several = len(chosen) > 1
    results = []
    for camp in chosen:
        folder = preview / camp.id if preview is not None and several else preview
        result = run(app, camp.id, parse_now(now), dry_run=dry_run, preview=folder)
        results.append(result)
        if as_json:
            continue
        if several:
            out.print(f"[bold]Chiến dịch {camp.id}[/]")
        if preview is not None:
            _print_preview(result)
            continue
        if result.get("reason"):
            out.print(f"Không có thư nhắc nào đến hạn: {result['reason']}.")
        else:
            from reports.reminders import slot_label  # lazy: keeps `baocao --help` fast

            when = dt.datetime.fromisoformat(result["now"])
            out.print(f"Lượt [bold]{slot_label(result['slot'])}[/] lúc {when:%H:%M %d/%m/%Y}")
        _print_delivery(result)
    if as_json:
        print_json(results if several else results[0])
    _exit_on_failures({"failed": [f for r in results for f in r.get("failed", [])]})


@cli.command("send-request")
def send_request(
    campaign: CampaignOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    preview: PreviewOpt = None,
    as_json: JsonOpt = False,
    actor: ActorOpt = None,
) -> None:
    """Gửi công văn đề nghị báo cáo (kèm đề cương .docx và biểu .xlsx) tới đơn vị chưa nhận.

    Trước khi gửi, kiểm tra công văn đã đủ số, ngày, tệp gửi kèm, người liên hệ (bỏ qua bằng
    --force). Mã thoát: 0 đã gửi; 1 có thư gửi không được; 2 công văn chưa đủ hoặc lỗi cấu hình."""
    from flows.outbound import (
        requests,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    try:
        result = requests.send_request(make_app(), campaign, dry_run=dry_run, check=not force, preview=preview,
                                       # a dry run or preview sends nothing: nobody to name
                                       actor="system" if dry_run or preview is not None else actor_name(actor))
    except requests.UnfinishedRequest as exc:
        lines = "\n".join(f"  - {gap}" for gap in exc.gaps)
        raise UserError(
            f"công văn chưa hoàn chỉnh, chưa gửi thư nào. Còn thiếu:\n{lines}\n"
            "Sửa tệp chiến dịch rồi chạy lại; xem trước bằng --preview THƯ_MỤC; vẫn gửi bằng --force."
        ) from None
    if as_json:
        print_json(result)
    elif preview is not None:
        _print_preview(result)
    else:
        _print_delivery(result)
    _exit_on_failures(result)


@cli.command()
def history(
    recipient: Annotated[str, typer.Argument(help="Mã đơn vị (hoặc địa chỉ email của đơn vị).")],
    campaign: CampaignOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mọi việc liên quan đến một đơn vị, theo thứ tự thời gian."""
    from flows.history import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        UnknownRecipient,
        entry_label,
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
    table = new_table(title=f"{head['name']} ({head['id']})")
    for heading in ("Thời gian", "Loại", "Nội dung"):
        table.add_column(heading)
    for entry in result["entries"]:
        # Already in the campaign's zone: dd/mm/yyyy HH:MM, the way staff write times.
        when = f"{dt.datetime.fromisoformat(entry['at']):%d/%m/%Y %H:%M}"
        table.add_row(when, entry_label(entry["kind"], entry.get("data")), entry["summary"])
    out.print(table)
    if not result["entries"]:
        out.print("Chưa có hoạt động nào với đơn vị này.")


def _print_warnings(result: dict[str, Any]) -> None:
    """What send-request found worth a second look (a deadline on a day off): it still sends."""
    from rich.markup import escape  # lazy: keeps `baocao --help` fast

    for warning in result.get("warnings") or []:
        out.print(f"[yellow]Lưu ý:[/] {escape(warning)}", highlight=False)


def _print_preview(result: dict[str, Any]) -> None:
    _print_warnings(result)
    written = result["written"]
    out.print(f"Đã ghi {len(written)} thư (.eml và .html) vào {result['preview']} — chưa gửi thư nào.")
    out.print(f"Mở {Path(result['preview']) / 'index.html'} để xem.")
    if result["gaps"]:
        out.print("[yellow]Công văn còn thiếu (send-request sẽ từ chối gửi):[/]")
        for gap in result["gaps"]:
            out.print(f"  - {gap}", markup=False)


def failure_lines(failed: list[dict[str, Any]]) -> list[str]:
    """One Vietnamese line per cause of failure, naming the recipients it hit."""
    by_error: dict[str, list[str]] = {}
    for entry in failed:
        by_error.setdefault(entry.get("error") or "không rõ lỗi", []).append(entry["recipient"] or ", ".join(entry["to"]))
    lines = []
    for error, who in by_error.items():
        names = ", ".join(who[:5]) + (f" và {len(who) - 5} đơn vị khác" if len(who) > 5 else "")
        lines.append(f"Lỗi: {len(who)} thư chưa gửi được ({names}): {error}. Sẽ gửi lại ở lần chạy sau.")
    return lines


def _exit_on_failures(result: dict[str, Any]) -> None:
    """Exit code 1, with one line per cause on stderr, when some mails could not be sent
    (the run's own, and the receipts an earlier ingest still owed)."""
    failed = [*result.get("failed", []), *((result.get("receipts") or {}).get("failed") or [])]
    if not failed:
        return
    for line in failure_lines(failed):
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _print_delivery(result: dict[str, Any]) -> None:
    from reports.reminders import slot_label  # lazy: keeps `baocao --help` fast

    _print_warnings(result)
    rows = [("Sẽ gửi", e) for e in result.get("would_send", [])]
    rows += [("Đã gửi", e) for e in result["sent"]] + [("Lỗi", e) for e in result["failed"]]
    if rows:
        table = new_table()
        for heading in ("", "Đơn vị", "Loại thư", "Lượt", "Tới", "Ghi chú"):
            table.add_column(heading)
        for label, e in rows:
            table.add_row(label, e["recipient"], KIND_NAMES.get(e["kind"], e["kind"]), slot_label(e["slot"]),
                          ", ".join(e["to"]),
                          e.get("error") or e.get("subject", "")[:60])
        out.print(table)
    held = [s for s in result.get("skipped", []) if s.get("held")]
    if held:  # waiting for a person: said, so nobody wonders why the agency was not reminded
        table = new_table()
        for heading in ("Tạm hoãn nhắc", "Lý do"):
            table.add_column(heading)
        for s in held:
            table.add_row(s["recipient"], s["reason"])
        out.print(table)
    for entry in result.get("skipped") or []:
        if entry.get("needs_address"):  # nothing reaches it: a person must find another address
            out.print(f"[yellow]Cần xử lý:[/] {entry['recipient']}: {entry['reason']}.", highlight=False)
    verb = "sẽ gửi" if result.get("dry_run") else "đã gửi"
    count = len(result.get("would_send", [])) if result.get("dry_run") else len(result["sent"])
    out.print(f"Tổng: {verb} {count}, bỏ qua {len(result['skipped'])}, lỗi {len(result['failed'])}.")


@cli.command("mail-resolve")
def mail_resolve(
    outbound_id: Annotated[int, typer.Argument(help="Số thư (outbound_id trong baocao history --json).")],
    sent: Annotated[
        bool, typer.Option("--sent/--resend", help="--sent: thư đã đi (không gửi lại); --resend: gửi lại lần sau.")
    ],
    as_json: JsonOpt = False,
    actor: ActorOpt = None,
) -> None:
    """Xử lý thư bị ngắt giữa chừng khi gửi (không rõ đã đi hay chưa)."""
    from flows.outbound.delivery import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        UnknownMail,
        resolve_mail,
    )

    try:
        result = resolve_mail(make_app(), outbound_id, sent=sent, actor=actor_name(actor))
    except UnknownMail as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json(result)
        return
    what = "đã ghi nhận là đã gửi" if sent else "sẽ được gửi lại ở lần chạy sau"
    out.print(f"Thư số {result['outbound_id']} ({result['kind']}, {result['slot']}): {what}.")
