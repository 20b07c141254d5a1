"""The consolidated report as Word: a docxtpl template staff can edit, filled from the model."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateError

from reports.consolidate import (
    NO_DATA,
    Consolidation,
    NarrativeLine,
    clean_text,
    section_label,
    vn_date,
    vn_number,
    vn_rate,
)
from reports.errors import ReportTemplateError

TEMPLATE = Path(__file__).parent / "templates" / "bao-cao-tong-hop.docx"
# Entries of `Nơi nhận` that are internal (not whom the report is addressed to).
_INTERNAL = ("lưu", "gđ", "pgđ", "như trên")
# After a row's label: its total includes figures from a submission with open problems.
DOUBTFUL_MARK = " (*)"


def render_word(model: Consolidation, template: bytes, template_name: str = TEMPLATE.name) -> bytes:
    """The .docx of the model, filled into the template's bytes (the caller reads the template
    and writes the result: no file here); errors name the template."""
    try:
        doc = DocxTemplate(io.BytesIO(template))
        doc.render(word_context(model), autoescape=True)
    except TemplateError as err:
        raise ReportTemplateError(
            f"mẫu báo cáo {template_name} có thẻ hỏng ({err}); hãy sửa lại thẻ {{{{ … }}}} / "
            "{%p … %} hoặc chạy 'python -m reports.templates.make_template' để tạo lại mẫu"
        ) from err
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def word_context(model: Consolidation) -> dict[str, Any]:
    """Everything the template prints, as strings formatted the Vietnamese way."""
    campaign, stats = model.campaign, model.stats
    request, schedule = campaign.request, campaign.report
    as_of = model.as_of
    block = [b for b in schedule.recipients_block if b]
    return {
        "issuer_parent": request.issuer_parent.upper(),
        "issuer": request.issuer.upper(),
        "issuer_name": request.issuer,
        "number": schedule.number,
        "place": request.place,
        "date_text": vn_date(as_of.date()),
        "title": unbroken(report_subject(schedule.title or campaign.title), request.place),
        "request_number": request.number,
        "request_date_text": f"ngày {request.date:%d/%m/%Y}" if request.date else "",
        "request_subject": re.sub(r"^V/v\s+", "về việc ", request.subject),
        "as_of_text": f"{as_of:%H} giờ {as_of:%M} ngày {as_of:%d/%m/%Y}",
        "report_to": ", ".join(b for b in block if not b.lower().startswith(_INTERNAL)) or "cấp trên",
        "stats": {
            **stats.to_json(),
            "nil": len(stats.nil),
            "not_reported": len(stats.acknowledged) + len(stats.not_responded),
            "with_figures": int(model.matrix["code"].nunique()),
        },
        "parts": _parts(model),
        "table_number": _table_number(model),
        "table_title": campaign.outline.table.title,
        "columns": campaign.outline.table.columns.model_dump(),
        "table_groups": _table_groups(model),
        **_totals_notes(model),
        "doubtful_note": _doubtful_note(model),
        "late_names": _names(model, stats.late),
        "nil_names": _names(model, stats.nil),
        "not_reported": _not_reported(model),
        "closing": _closing(model),
        "attention": _attention(model),
        "recipients_block": [f"{b}{'.' if i == len(block) - 1 else ';'}" for i, b in enumerate(block)],
        "signer_lines": [s.strip() for s in re.split(r"\s+[—–-]\s+", request.signer_title) if s.strip()],
        "signer": request.signer,
        **_annex_parts(model),
    }


_KIND_WORD = re.compile(r"^\s*báo\s+cáo\b[\s:.,–-]*", re.IGNORECASE)


def report_subject(title: str) -> str:
    """The title as the trích yếu under «BÁO CÁO» (NĐ 30): without its own leading «Báo cáo»,
    which the line above already says ("Báo cáo sơ kết …" → "Sơ kết …")."""
    title = clean_text(title)
    rest = _KIND_WORD.sub("", title, count=1)
    if not rest:
        return title
    return rest[:1].upper() + rest[1:]


NBSP = "\u00a0"


def unbroken(title: str, place: str = "") -> str:
    """A centred title that never breaks inside the place name ("Quảng Ngãi") nor leaves its
    last word alone on a line: those spaces become non-breaking."""
    words = (place or "").split()
    if len(words) > 1:
        title = title.replace(" ".join(words), NBSP.join(words))
    head, sep, last = title.rpartition(" ")
    return f"{head}{NBSP}{last}" if sep and head else title


def _totals_notes(model: Consolidation) -> dict[str, Any]:
    """Under the table: what was counted (the same words as the Excel note), then the rows
    whose figures come from fewer agencies than reported, and the rows nobody filled."""
    basis = {rid: t["basis"] for rid, t in model.totals_json().items()}
    lines = [f"Dòng {rid}: {text}." for rid, text in basis.items() if text and text != NO_DATA]
    empty = [rid for rid, text in basis.items() if text == NO_DATA]
    if empty:
        lines.append(f"Chưa có số liệu: dòng {', '.join(empty)}.")
    return {
        "totals_note": model.totals_note,
        "totals_basis": lines,
    }


def _doubtful_note(model: Consolidation) -> str:
    """Under the table: which agencies' figures are not checked yet (rows marked (*))."""
    names = model.doubtful_agencies
    if not model.doubtful or not names:
        return ""
    return (
        f"(*) Dòng có dấu (*) gồm số liệu chưa được kiểm tra của: {_names(model, names)}"
        " (xem trang «Vấn đề» của tệp Excel)."
    )


def _paragraphs(text: str) -> str:
    """Paragraph breaks become docxtpl's `\\a` (a new paragraph with the same formatting)."""
    return "\a".join(p for p in clean_text(text).split("\n") if p.strip())


def _line(line: NarrativeLine) -> dict[str, str]:
    return {"who": line.who, "text": _paragraphs(line.text)}


def _closing(model: Consolidation) -> list[dict[str, str]]:
    """Each agency's assessment and proposals; past `report.narrative_in_word_max` agencies,
    one line sending the reader to the Excel sheet «Nội dung» (row «khác») instead."""
    if len(model.closing) <= model.campaign.report.narrative_in_word_max:
        return [{"name": n, "text": _paragraphs(t)} for n, t in model.closing]
    return [{
        "name": f"{vn_number(len(model.closing))} cơ quan, đơn vị",
        "text": "có đánh giá, khó khăn, vướng mắc và kiến nghị, trình bày đầy đủ tại trang «Nội dung»"
                " (mục «khác») của tệp Excel gửi kèm Báo cáo.",
    }]


def _section_lines(model: Consolidation, lines: list[NarrativeLine]) -> list[dict[str, str]]:
    """A section's lines; past `report.narrative_in_word_max` agencies answering it (province
    scale: 3,000 agencies × 17 sections is thousands of pages), the shared answers with how
    many agencies gave them, and one line sending the reader to the Excel sheet «Nội dung»
    for the agencies' own texts."""
    limit = model.campaign.report.narrative_in_word_max
    if sum(len(x.names) for x in lines) <= limit:
        return [_line(x) for x in lines]
    shared = [x for x in lines if x.stock]
    own = sum(len(x.names) for x in lines if not x.stock)
    out = [{"who": f"{vn_number(len(x.names))} cơ quan, đơn vị", "text": _paragraphs(x.text)} for x in shared]
    if own:
        out.append({
            "who": f"{vn_number(own)} cơ quan, đơn vị{' khác' if shared else ''}",
            "text": "có nội dung riêng, trình bày đầy đủ tại trang «Nội dung» của tệp Excel gửi kèm Báo cáo.",
        })
    return out


def _parts(model: Consolidation) -> list[dict[str, Any]]:
    """Groups and sections in outline order, each group heading before its first section."""
    outline = model.campaign.outline
    headings = {g.id: g.heading for g in outline.groups}
    parts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for section in outline.sections:
        pieces = section.id.split(".")
        for depth in range(1, len(pieces)):
            gid = ".".join(pieces[:depth])
            if gid in headings and gid not in seen:
                seen.add(gid)
                parts.append({"group": True, "label": section_label(gid), "heading": headings[gid]})
        lines = _section_lines(model, model.narrative.get(section.id, []))
        parts.append(
            {"group": False, "label": section_label(section.id), "heading": section.heading, "lines": lines}
        )
    return parts


def _table_number(model: Consolidation) -> str:
    """The table comes after the top-level groups: `3.` when the groups are 1 and 2."""
    tops = [g.id for g in model.campaign.outline.groups if g.id.isdigit()]
    return f"{max(int(t) for t in tops) + 1}." if tops else ""


def _row_values(plan: Any, result: Any, rate: Any) -> dict[str, str]:
    return {"plan": vn_number(plan), "result": vn_number(result), "rate": vn_rate(rate)}


def _table_groups(model: Consolidation) -> list[dict[str, Any]]:
    table = model.campaign.outline.table
    groups = table.groups or []
    labels = {g.id: g.label for g in groups}
    order = [g.id for g in groups] or list(dict.fromkeys(r.group for r in table.rows))
    out = []
    for gid in order:
        rows = [
            {"id": rid, "label": row["label"] + (DOUBTFUL_MARK if str(rid) in model.doubtful else ""),
             **_row_values(row["plan"], row["result"], row["rate"])}
            for rid, row in model.totals[model.totals["group"] == gid].iterrows()
        ]
        out.append({"id": gid, "label": labels.get(gid, ""), "rows": rows})
    return out


ON_STATUS_SHEET = "danh sách tại trang «Tình hình nộp» của tệp Excel gửi kèm Báo cáo"


def _names(model: Consolidation, names: Sequence[str]) -> str:
    """Agency names for one sentence; past `report.narrative_in_word_max` names, their number
    and where the list is (the Excel sheet «Tình hình nộp» has every agency's state)."""
    if len(names) <= model.campaign.report.narrative_in_word_max:
        return ", ".join(names)
    return f"{vn_number(len(names))} cơ quan, đơn vị ({ON_STATUS_SHEET})"


def _attention(model: Consolidation) -> list[str]:
    """«Những điểm cần lưu ý»: what a reader of the Word file must know about the figures,
    the same facts as the Excel «Vấn đề» sheet — per agency its problems (a draft with no
    number or date, figures not checked…) and the corrections staff made (old → new, by
    whom), then the mail or files whose sender is not known yet. Past
    `report.narrative_in_word_max` lines, their number and where the list is."""
    by_agency: dict[str, list[str]] = {}
    unknown: list[str] = []
    for p in model.problems:
        text = clean_text(p.message).rstrip(".;")
        if p.open:
            text += " (chưa kiểm tra)"
        if p.agency:
            if text not in by_agency.setdefault(p.agency, []):
                by_agency[p.agency].append(text)
        else:
            where = model.sources.get(p.where, p.where)
            unknown.append(f"{where}: {text}" if where else text)
    for a in model.agencies:
        if a.corrections:
            by_agency.setdefault(a.name, []).append("số liệu do cán bộ sửa: " + "; ".join(a.corrections))
    order = {a.name: i for i, a in enumerate(model.agencies)}
    lines = [f"{name}: {'; '.join(texts)}" for name, texts in sorted(by_agency.items(), key=lambda kv: order.get(kv[0], len(order)))]
    lines += [f"Chưa rõ cơ quan, đơn vị gửi (đang chờ cán bộ xem xét), {u}" for u in unknown]
    limit = model.campaign.report.narrative_in_word_max
    if len(lines) > limit:
        return [f"{vn_number(len(lines))} điểm, trình bày đầy đủ tại trang «Vấn đề» của tệp Excel gửi kèm Báo cáo."]
    return [f"{line}{'.' if i == len(lines) - 1 else ';'}" for i, line in enumerate(lines)]


def _not_reported(model: Consolidation) -> list[dict[str, str]]:
    promised = set(model.stats.acknowledged)
    missing = [a for a in model.agencies if not a.responded]
    if len(missing) > model.campaign.report.narrative_in_word_max:
        return [{"name": f"{vn_number(len(missing))} cơ quan, đơn vị", "note": f" ({ON_STATUS_SHEET})"}]
    return [
        {"name": a.name, "note": " (đã hẹn gửi)" if a.name in promised else "", "end": "." if i == len(missing) - 1 else ";"}
        for i, a in enumerate(missing)
    ]


def _annex_parts(model: Consolidation) -> dict[str, Any]:
    """The per-agency annex, or past the campaign's threshold a note sending the reader to Excel."""
    with_figures = int(model.matrix["code"].nunique())
    limit = model.campaign.report.annex_in_word_max
    if with_figures <= limit:
        return {"annex": _annex(model), "annex_in_excel": ""}
    return {
        "annex": [],
        "annex_in_excel": (
            f"Số liệu của từng cơ quan, đơn vị ({vn_number(with_figures)} cơ quan, đơn vị đã gửi số liệu,"
            f" nhiều hơn {vn_number(limit)}) không in trong Phụ lục này mà được trình bày tại trang"
            " «Chi tiết» của tệp Excel gửi kèm Báo cáo."
        ),
    }


def _annex(model: Consolidation) -> list[dict[str, Any]]:
    """Per agency that sent a report: its rows as reported (rate computed when missing)."""
    by_code = {a.code: a for a in model.agencies}
    out = []
    for index, (code, frame) in enumerate(model.matrix.groupby("code", sort=False), start=1):
        agency = by_code[code]
        rows = [
            {"id": r.row, "label": r.label, **_row_values(r.plan, r.result, r.rate)}
            for r in frame.itertuples(index=False)
        ]
        rows += [
            {"id": "", "label": f"{x.label} (đơn vị bổ sung)", **_row_values(x.figures.plan, x.figures.result, x.figures.rate)}
            for x in agency.extra_rows
        ]
        note = " (trễ hạn)" if agency.late else ""
        if count := model.open_count(agency):  # the same count as «Vấn đề» and «Tình hình nộp»
            note += f" (số liệu có {count} vấn đề chưa kiểm tra)"
        if agency.corrections:
            note += " (có số liệu cán bộ đã sửa)"
        if agency.problems or agency.corrections:
            note += " (xem «Những điểm cần lưu ý»)"
        out.append({"index": index, "name": frame["name"].iloc[0], "note": note, "rows": rows})
    return out
