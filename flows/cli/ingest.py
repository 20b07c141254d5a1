"""`baocao ingest mail|folder`, `baocao review`, `baocao assign ITEM RECIPIENT`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flows.cli.base import (
    CampaignOpt,
    JsonOpt,
    UserError,
    cli,
    err,
    make_app,
    new_table,
    out,
    print_json,
)
from parsers.vocab import ItemStatus, MailKind

ingest_app = typer.Typer(help="Nhận báo cáo từ hộp thư hoặc thư mục chung.", no_args_is_help=True)
cli.add_typer(ingest_app, name="ingest")

OUTCOME_LABELS = ItemStatus.labels()
CLASS_LABELS: dict[str | None, str] = {**MailKind.shorts(), None: ""}


def _result_label(item: dict[str, Any]) -> str:
    label = _outcome_label(item)
    if item.get("received_from"):  # a mail saved into the shared folder (flows/intake/mailfile.py)
        label += f" — thư lưu thành tệp, ngày nhận = {item['received_from']}"
    return label


def _outcome_label(item: dict[str, Any]) -> str:
    status = item["status"]
    if status == "skipped":
        return f"bỏ qua: {item.get('reason')}"
    if item.get("error"):
        return f"lỗi: {item['error']}"
    if item.get("classification") == "bounce":
        return "đánh dấu địa chỉ lỗi: " + ", ".join(item.get("bounced") or [])
    if status == "processed" and item.get("classification") not in ("submission", "nil_report", "acknowledgement"):
        return "đã lưu, bỏ qua"
    if status == "review":
        ids = [str(x.get("review_item")) for x in [item, *(item.get("units") or [])] if x.get("review_item")]
        return f"chờ xem xét (mục {', '.join(ids)})" if ids else "chờ xem xét"
    return OUTCOME_LABELS.get(status, status)


def _print_report(data: dict[str, Any], what: str) -> None:
    c = data["counts"]
    table = new_table(title=f"Kết quả nhận {what} — chiến dịch {data['campaign']}")
    for heading in ("Nguồn", "Người gửi / tệp", "Loại", "Đơn vị", "Kết quả"):
        table.add_column(heading)
    for item in data["items"]:
        units = item.get("units") or [item]
        recipients = ", ".join(u.get("recipient") or "" for u in units if u.get("recipient"))
        table.add_row(
            str(item.get("uid") or item.get("path") or ""),
            str(item.get("from") or item.get("path") or ""),
            CLASS_LABELS.get(item.get("classification"), str(item.get("classification") or "")),
            recipients,
            _result_label(item),
        )
    if data["items"]:
        out.print(table)
    out.print(
        f"Mới ghi nhận {c['new']}, trùng {c['duplicate']}, chờ xem xét {c['review']},"
        f" lỗi {c['failed']}, không làm thay đổi tình trạng {c['ignored']} (tổng {c['total']})."
        + (f" Đang chờ đọc bản quét {c['queued']}." if c.get("queued") else "")
    )
    if data.get("ocr"):
        o = data["ocr"]["counts"]
        out.print(f"Đọc bản quét sau lượt: xong {o['done']}, không đọc được {o['failed']}.")
    for error in data["errors"]:
        out.print(f"[yellow]{error}[/]")


@ingest_app.command("mail")
def ingest_mail_cmd(campaign: CampaignOpt = None, as_json: JsonOpt = False,
                    no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Không đọc bản quét đang chờ sau lượt này.")] = False) -> None:
    """Một lượt đọc hộp thư chính thức: thư mới được lưu, phân loại, gán đơn vị, ghi nhận."""
    ocr = not no_ocr
    from flows.adapters.imap import (
        MailboxError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from flows.intake.errors import (
        RunBroken,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from flows.intake.mail import (
        ingest_mail,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    try:
        report = ingest_mail(app, campaign).to_json()
    except MailboxError as exc:
        raise UserError(str(exc)) from exc
    except RunBroken as exc:
        raise UserError(str(exc)) from exc
    _after_batch(app, report, ocr=ocr)
    _finish(report, "thư", as_json=as_json)


NoOcrOpt = Annotated[bool, typer.Option("--no-ocr", help="Không đọc bản quét đang chờ sau lượt này (để `baocao ocr` đọc).")]


@ingest_app.command("folder")
def ingest_folder_cmd(campaign: CampaignOpt = None, as_json: JsonOpt = False, no_ocr: NoOcrOpt = False) -> None:
    """Một lượt quét thư mục chung (chỉ nhận tệp đã chép xong); bản quét được đọc riêng sau cùng."""
    from flows.intake.folder import (
        ingest_folder,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    report = ingest_folder(app, campaign).to_json()
    _after_batch(app, report, ocr=not no_ocr)
    _finish(report, "tệp", as_json=as_json)


def _after_batch(app: Any, report: dict[str, Any], *, ocr: bool) -> None:
    """The rest of the batch is recorded: the scans it queued are read now, one at a time."""
    if not ocr or not report["counts"].get("queued"):
        return
    from flows.intake.ocr_run import run_queue  # lazy, as above

    report["ocr"] = run_queue(app).to_json()


@cli.command()
def ocr(as_json: JsonOpt = False, max_jobs: Annotated[int | None, typer.Option("--max", help="Đọc nhiều nhất ngần này mục.")] = None) -> None:
    """Đọc các bản quét đang chờ (từng tệp một, thời gian theo số trang), rồi ghi nhận như thường."""
    from flows.intake.ocr_run import run_queue  # lazy, as above

    data = run_queue(make_app(), max_jobs=max_jobs).to_json()
    if as_json:
        print_json(data)
    else:
        for item in data["items"]:
            what = f"thư {item['inbound_mail_id']}" if item.get("inbound_mail_id") else f"tệp {item.get('inbound_file_id')}"
            state = "đã đọc, " + OUTCOME_LABELS.get(item.get("outcome") or "", str(item.get("outcome"))) if item["status"] == "done" else f"không đọc được: {item.get('error')}"
            out.print(f"Bản quét ({what}, {item['pages']} trang): {state}", markup=False, highlight=False)
        c = data["counts"]
        out.print(f"Đọc bản quét: xong {c['done']}, không đọc được {c['failed']} (tổng {c['total']}).")
    if data["counts"]["failed"]:
        raise typer.Exit(1)


def _finish(report: dict[str, Any], what: str, *, as_json: bool) -> None:
    """Print the run; exit code 1 when some items failed (each listed on stderr, one line)."""
    if as_json:
        print_json(report)
    else:
        _print_report(report, what)
    failed = [i for i in report["items"] if i.get("status") == ItemStatus.FAILED]
    if not failed:
        return
    for item in failed:
        source = f"thư UID {item['uid']}" if item.get("uid") else f"tệp {item.get('path')}"
        again = " (sẽ thử lại ở lần chạy sau)" if item.get("retry") else ""
        err.print(f"Lỗi: {source}: {item.get('error')}{again}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@cli.command()
def review(campaign: CampaignOpt = None, as_json: JsonOpt = False) -> None:
    """Các mục chờ cán bộ xem xét (đơn vị gửi, thay thế báo cáo, số liệu, tệp lỗi)."""
    from flows.app import (
        review_json,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    chosen = app.chosen_campaigns(campaign)
    camp = chosen[0]
    with app.session() as session:
        # Several open campaigns: one queue for all of them (a route item belongs to none yet).
        items = review_json(camp.id if len(chosen) == 1 else None, session=session, tz=camp.tz)
    if as_json:
        print_json(items)
        return
    if not items:
        out.print("Không có mục nào chờ xem xét.")
        return
    table = new_table(title="Mục chờ xem xét")
    from parsers.vocab import ReviewKind  # lazy, as above

    kinds = ReviewKind.shorts()
    for heading in ("Số", "Loại", "Nguồn", "Lý do", "Có thể là", "Nhận lúc"):
        table.add_column(heading)
    for item in items:
        cands = ", ".join(f"{c.get('code') or c.get('campaign')} ({c.get('score')})" if c.get("score") is not None else str(c.get("code") or c.get("campaign"))
                          for c in item["candidates"]) or "—"
        kind = kinds.get(item.get("kind") or "attribution", item.get("kind") or "")
        table.add_row(str(item["item"]), kind, item["source"], item["reason"], cands, item["received_at"][:16].replace("T", " "))
    out.print(table)
    out.print("Gán cho đơn vị: baocao assign SỐ MÃ_ĐƠN_VỊ; thư chưa rõ chiến dịch: baocao assign SỐ [MÃ_ĐƠN_VỊ] --campaign ID")


@cli.command()
def assign(
    item: Annotated[int, typer.Argument(help="Số của mục chờ xem xét (xem: baocao review).")],
    recipient: Annotated[str | None, typer.Argument(help="Mã đơn vị (ma_don_vi); với thư chưa rõ chiến dịch có thể bỏ trống.")] = None,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Chiến dịch của thư (khi thư chưa rõ thuộc chiến dịch nào).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Gán một mục chờ xem xét cho một đơn vị (và chiến dịch): ghi nhận báo cáo của đơn vị đó."""
    from flows.intake.review import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        ReviewError,
        assign_item,
    )

    try:
        result = assign_item(make_app(), item, recipient, campaign_id=campaign)
    except ReviewError as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        print_json(result)
    elif "name" in result:
        out.print(f"Đã gán mục {result['item']} cho {result['name']} ({result['recipient']}).")
    else:
        out.print(f"Đã xếp thư của mục {result['item']} vào chiến dịch {result['campaign']} ({result['status']}).")


@cli.command()
def dismiss(
    item: Annotated[int, typer.Argument(help="Số của mục chờ xem xét (xem: baocao review).")],
    reason: Annotated[str, typer.Option("--ly-do", help="Lý do bỏ qua (ghi vào nhật ký).")] = "",
) -> None:
    """Bỏ qua một mục chờ xem xét (không phải báo cáo của đơn vị nào trong danh sách)."""
    from flows.intake.review import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        ReviewError,
        dismiss_item,
    )

    try:
        dismiss_item(make_app(), item, reason)
    except ReviewError as exc:
        raise UserError(str(exc)) from exc
    out.print(f"Đã bỏ qua mục {item}.")
