"""`baocao init` and `baocao status`."""

from __future__ import annotations

from typing import Any

from flows.cli.base import CampaignOpt, JsonOpt, cli, make_app, new_table, out, print_json
from parsers.vocab import display_id
from reports.status import STATE_ORDER, STATE_SHORT, counts_sentence


@cli.command()
def init() -> None:
    """Tạo/nâng cấp cơ sở dữ liệu và nạp mọi chiến dịch cùng danh sách đơn vị."""
    from flows import app as service  # lazy: keeps `baocao --help` fast

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
    from sqlalchemy import make_url  # lazy: start-up time
    from sqlalchemy.exc import ArgumentError  # lazy, like make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(không hợp lệ)"


@cli.command()
def status(campaign: CampaignOpt = None, as_json: JsonOpt = False) -> None:
    """Tình hình nộp báo cáo: mỗi đơn vị một dòng (mọi chiến dịch đang mở khi không chọn --campaign).

    --json: một đối tượng khi chỉ có một chiến dịch, một danh sách (mỗi chiến dịch một đối tượng) khi nhiều."""
    app = make_app()  # first: it imports the models of the settings and campaigns (see make_app)
    from flows import app as service  # lazy: keeps `baocao --help` fast

    reports = service.status_reports(app, campaign)
    if as_json:
        print_json(reports[0] if len(reports) == 1 else reports)
        return
    for index, report in enumerate(reports):
        if len(reports) > 1:
            out.print(("\n" if index else "") + f"[bold]Chiến dịch {report['campaign']}[/]")
        print_status_table(report)


STATE_COLOURS = {"not_responded": "red", "acknowledged": "yellow", "nil_report": "cyan", "submitted": "green"}


def print_status_table(report: dict[str, Any]) -> None:
    """A readable Vietnamese table sorted by state, with totals."""
    from rich.box import SIMPLE_HEAD  # lazy: only tables need it

    rows = sorted(report["recipients"], key=lambda r: (STATE_ORDER[r["state"]], r["name"]))
    table = new_table(
        title=f"{report['title']} — hạn nộp {_day(report['deadline'])}", box=SIMPLE_HEAD
    )
    table.add_column("Mã", no_wrap=True)
    table.add_column("Đơn vị", ratio=3)
    table.add_column("Tình trạng", no_wrap=True)
    table.add_column("Trễ", no_wrap=True)
    table.add_column("Nhận lúc", no_wrap=True)
    table.add_column("Ghi chú", ratio=2)
    for r in rows:
        notes = []
        if r.get("draft"):
            notes.append("bản dự thảo (chưa có số, ngày)")
        if r.get("incomplete"):
            notes.append("thiếu " + ", ".join(display_id(i) for i in r["incomplete"]))
        if r.get("answered_by_group"):
            notes.append("trả lời chung " + ", ".join(display_id(i) for i in r["answered_by_group"]))
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
            f"[{STATE_COLOURS[r['state']]}]{r['state_label'] if r.get('failed_file') or r.get('to_check') else STATE_SHORT[r['state']]}[/]",
            "có" if r["late"] else "",
            f"{when[8:10]}/{when[5:7]} {when[11:16]}" if when else "",
            "; ".join(notes),
        )
    out.print(table)
    c = report["counts"]
    out.print(
        f"Tổng {counts_sentence(c)};"
        f" trễ hạn {c['late']}, còn thiếu nội dung {c['incomplete']}"
        + (f", gửi tệp lỗi (chưa nộp) {c['failed_file']}" if c.get("failed_file") else "")
        + (f", đã gửi tệp chờ kiểm tra {c['to_check']}" if c.get("to_check") else "")
        + "."
    )
    for r in rows:
        if r.get("needs_address"):  # no mail reaches it (every address bounced): not reminded
            out.print(f"[yellow]Chưa nhắc được[/] {r['name']} ({r['id']}): {r['needs_address']}.", highlight=False)
    if report["review"]:
        out.print(f"[yellow]{len(report['review'])} mục chờ cán bộ xem xét[/] (baocao review).")
    for item in report.get("ocr_queue") or []:
        out.print(f"[cyan]Đang chờ đọc bản quét[/] {item['source']} ({item['pages']} trang: {', '.join(item['files'])};"
                  " baocao ocr)", markup=True, highlight=False)
    for item in report.get("failed") or []:
        when = f"sẽ thử lại, đã thử {item['attempts']} lần" if item["retry"] else "cần cán bộ xem"
        out.print(f"[red]Lỗi[/] {item['source']} ({when}): {item['error']}", markup=True, highlight=False)


def _day(iso: str) -> str:
    """`2025-08-15` → `15/08/2025` (the way the mails and the web write a date)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if len(iso) >= 10 and iso[4] == "-" else iso
