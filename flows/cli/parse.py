"""`baocao parse FILE...`: read submissions against a campaign's outline, without the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.base import CampaignOpt, JsonOpt, cli, make_app, new_table, out, print_json

FilesArg = Annotated[list[Path], typer.Argument(help="Tệp cần đọc (Word, Excel, PDF, .doc/.xls/.odt, .zip).")]

KIND_NAMES = {"report": "báo cáo", "nil_report": "báo cáo không phát sinh", "not_a_report": "không phải báo cáo"}


@cli.command("parse")
def parse(files: FilesArg, campaign: CampaignOpt = None, as_json: JsonOpt = False) -> None:
    """Đọc tệp báo cáo theo đề cương của chiến dịch (không ghi vào cơ sở dữ liệu)."""
    results = parse_files(files, campaign)
    if as_json:
        print_json(results)
        return
    for result in results:
        print_result(result)


def parse_files(files: list[Path], campaign_id: str | None) -> list[dict[str, Any]]:
    """One JSON object per file, in order; a missing file is an error inside its object."""
    from flows.app import (
        outline_spec,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from flows.intake.context import trust_roots  # lazy: only this command needs it
    from parsers.api import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        empty_result,
        parse_path,
    )
    from parsers.model import (
        ParseError,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )
    from parsers.safety import (
        Limits,  # lazy: only this command needs it (keeps `baocao --help` fast)
    )

    app = make_app()
    spec = outline_spec(app.campaign(campaign_id))
    limits = Limits(max_file_bytes=app.settings.max_file_bytes)
    trust = trust_roots(app.settings.trust_dir)
    results = []
    for path in files:
        if not path.is_file():
            failed = empty_result(str(path), "unknown", spec)
            failed.error = ParseError("file_not_found", f"Không tìm thấy tệp «{path}».")
            results.append(failed.to_json())
            continue
        result = parse_path(path, spec, limits=limits, trust=trust)
        result.file = str(path)
        results.append(result.to_json())
    return results


def print_result(result: dict[str, Any]) -> None:
    """A readable Vietnamese summary of one parsed file."""
    from parsers.numbers import vn_number  # lazy: keeps `baocao --help` fast

    out.rule(f"[bold]{result['file']}[/]")
    if result["error"]:
        out.print(f"[red]Lỗi ({result['error']['code']}):[/] {result['error']['message']}")
        return
    agency = result["agency"]
    who = agency["name"] or "không rõ"
    if agency["id"]:
        who += f" (mã {agency['id']}, độ tin cậy {vn_number(agency['score'], 2)})"
    sections = result["sections"]
    answered = sum(1 for s in sections.values() if not s["empty"])
    rows = result["indicators"]
    filled = sum(1 for r in rows.values() if r["plan"] is not None or r["result"] is not None)
    out.print(f"Định dạng: {result['format']} · Loại: {KIND_NAMES.get(result['kind'], result['kind'])}")
    out.print(f"Đơn vị: {who} · Số: {result['doc_number'] or '—'} · Ngày: {result['doc_date'] or '—'}")
    out.print(f"Mục có nội dung: {answered}/{len(sections)} · Dòng bảng có số liệu: {filled}/{len(rows)}")
    out.print(f"Độ phủ đề cương: {result.get('coverage', 0):.0%} · Độ tin cậy: {result.get('confidence', 0):.0%}")
    if result.get("ocr"):
        ocr = result["ocr"]
        out.print(f"Bản quét: nhận dạng chữ (Tesseract, {ocr['language']}) {ocr['pages']}/{ocr['pages_total']} trang,"
                  f" {'/'.join(str(d) for d in ocr['dpi'][:1])} dpi, độ tin cậy trung bình {ocr['mean_confidence']:.0%},"
                  f" {vn_number(ocr['seconds'], 1)} giây", highlight=False)
    for sig in result.get("signatures", []):
        out.print(f"[{'green' if sig['ok'] else 'red'}]✎[/] {sig['summary']}", highlight=False)
    if filled or result["extra_rows"]:
        print_indicators(rows, result["extra_rows"])
    for problem in result["problems"]:
        where = f" [dim]({problem['where']})[/]" if problem["where"] else ""
        out.print(f"[yellow]•[/] {problem['message']}{where}", highlight=False)
    for member in result["members"]:
        print_result(member)


def _ocr(row: dict[str, Any], role: str) -> str:
    """" (OCR 87%)" after a figure read from a scan."""
    conf = (row.get("values", {}).get(role) or {}).get("ocr_confidence")
    return f" (OCR {conf:.0%})" if conf is not None and row.get(role) is not None else ""


def print_indicators(rows: dict[str, Any], extra: list[dict[str, Any]]) -> None:
    """The table as read: plan, result, rate per row."""
    table = new_table(show_lines=False)
    for heading in ("Dòng", "Kế hoạch", "Kết quả", "Tỷ lệ (%)", "Vị trí"):
        table.add_column(heading)
    for rid, row in rows.items():
        values = row.get("values") or {}
        cells = [_cell(row[role], values.get(role)) + _ocr(row, role) for role in ("plan", "result", "rate")]
        table.add_row(rid, *cells, row["where"])
    for row in extra:
        table.add_row(f"+ {row['label'][:40]}", _n(row["plan"]), _n(row["result"]), _n(row["rate"]), "")
    out.print(table)


# How a figure came to be, after the number: derived (computed), or the agency's explicit none.
SOURCE_MARKS = {"derived": " (tính)", "explicit_none": " (không có)"}


def _cell(value: float | None, provenance: dict[str, Any] | None) -> str:
    """A figure with its source: "—" when missing, "- (không có)" for an explicit none."""
    source = (provenance or {}).get("source", "")
    if source == "explicit_none" and value is None:
        return f"{(provenance or {}).get('raw') or '-'} (không có)"
    return _n(value) + SOURCE_MARKS.get(source, "")


def _n(value: float | None) -> str:
    from parsers.numbers import vn_number  # lazy: keeps `baocao --help` fast

    return vn_number(value, blank="—")
