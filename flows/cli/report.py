"""`baocao report`: build the consolidated Word and Excel report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.base import (
    CampaignOpt,
    JsonOpt,
    UserError,
    cli,
    make_app,
    new_table,
    out,
    print_json,
)

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
    """Tổng hợp báo cáo (Word + Excel) từ bản hợp lệ mới nhất của mỗi đơn vị, cho mọi chiến
    dịch đang mở khi không chọn --campaign (--out: mỗi chiến dịch một thư mục con)."""
    from flows.report import (
        build_report,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from reports.errors import (
        ReportsError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    chosen = app.chosen_campaigns(campaign)
    several = len(chosen) > 1
    results = []
    for camp in chosen:
        folder = out_dir / camp.id if out_dir is not None and several else out_dir
        try:
            results.append(build_report(app, camp.id, out_dir=folder))
        except ReportsError as exc:
            raise UserError(f"{camp.id}: {exc}" if several else str(exc)) from exc
        except OSError as exc:
            raise UserError(f"không ghi được báo cáo vào {exc.filename or folder}: {exc.strerror}") from exc
    if as_json:
        print_json(results if several else results[0])
        return
    for result in results:
        if several:
            out.print(f"[bold]Chiến dịch {result['campaign']}[/]")
        print_summary(result)


def print_summary(result: dict[str, Any]) -> None:
    """Files written, the totals and who has not reported, in Vietnamese."""
    out.print(f"Đã tổng hợp báo cáo (tính đến {result['as_of'][:16].replace('T', ' ')}):")
    for path in result["files"]:
        out.print(f"  {path}")
    out.print(f"Bản mới nhất (để mở): {Path(result['latest'][0]).parent if result['latest'] else '-'}")
    table = new_table(title="Số liệu tổng hợp")
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
