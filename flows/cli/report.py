"""`baocao report`: build the consolidated Word and Excel report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.cli.base import CampaignOpt, JsonOpt, UserError, cli, make_app, out, print_json

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Thư mục lưu báo cáo (mặc định: <thư mục dữ liệu>/reports/<chiến dịch>/).",
        file_okay=False,
    ),
]


@cli.command("report")
def report(campaign: CampaignOpt = None, out_dir: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Tổng hợp báo cáo (Word + Excel) từ bản hợp lệ mới nhất của mỗi đơn vị."""
    from flows.report import (
        build_report,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from reports.errors import (
        ReportsError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    try:
        result = build_report(app, campaign, out_dir=out_dir)
    except ReportsError as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"không ghi được báo cáo vào {exc.filename or out_dir}: {exc.strerror}") from exc
    if as_json:
        print_json(result)
        return
    print_summary(result)


def print_summary(result: dict[str, Any]) -> None:
    """Files written, the totals and who has not reported, in Vietnamese."""
    out.print(f"Đã tổng hợp báo cáo (tính đến {result['as_of'][:16].replace('T', ' ')}):")
    for path in result["files"]:
        out.print(f"  {path}")
    out.print(f"Bản mới nhất (để mở): {Path(result['latest'][0]).parent if result['latest'] else '-'}")
    table = Table(title="Số liệu tổng hợp")
    for heading in ("TT", "Kế hoạch", "Kết quả", "Tỷ lệ (%)"):
        table.add_column(heading, justify="right")
    from reports.consolidate import (
        vn_number,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    for row_id, row in result["totals"].items():
        table.add_row(row_id, vn_number(row["plan"]), vn_number(row["result"]), vn_number(row["rate"], 1))
    out.print(table)
    s = result["stats"]
    out.print(
        f"Đã báo cáo {s['responded']}/{s['total']} đơn vị (trễ hạn {s['late']},"
        f" không phát sinh {s['nil_report']}); chưa báo cáo {len(result['not_responded'])}."
    )
    if result["not_responded"]:
        names = ", ".join(a["name"] for a in result["not_responded"])
        out.print(f"Chưa báo cáo: {names}.", highlight=False)
    if result["problems"]:
        out.print(f"[yellow]{len(result['problems'])} vấn đề cần xem xét[/] (trang 'Vấn đề' của tệp Excel).")
