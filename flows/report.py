"""Build the consolidated report (Word + Excel) from the latest valid submissions.

`build_report` is what `baocao report` and the Prefect flow call. Each build goes to its own
timestamped folder `<reports_dir>/<campaign>/<YYYYmmdd-HHMMSS>/` (a suffix `-2`, `-3` … when
that name is taken: nothing is ever overwritten) and is then copied whole to `…/moi-nhat/`,
the stable place staff open; that copy is swapped in by rename, so it is never half-written.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign
from flows.app import App, deadline_end
from parsers.model import BLOCKING_PROBLEMS, BY_GROUP, REVIEW_PROBLEMS, Problem
from parsers.numbers import vn_number
from parsers.vocab import ReviewKind, display_id, group_answer_mark
from reports.consolidate import (
    AgencyReport,
    Consolidation,
    ExtraFigures,
    Figures,
    ProblemNote,
    ReviewNote,
    consolidate,
    json_number,
    shown_rate,
    vn_rate,
)
from reports.status import RecipientFacts, Response, recipient_status
from storage.blobs import store_blob
from storage.deadlines import deadline_built, record_deadline_run
from storage.models import Event
from storage.reporting import RecipientReport, report_data
from storage.submissions import open_problem_counts, problem_key
from storage.workspace import inbound_files, inbound_mails

log = logging.getLogger(__name__)
LATEST = "moi-nhat"
WORD_NAME = "bao-cao-tong-hop-{campaign}.docx"
EXCEL_NAME = "so-lieu-tong-hop-{campaign}.xlsx"
FIELDS = ("plan", "result", "rate")


def build_report(
    app: App,
    campaign_id: str | None = None,
    out_dir: Path | None = None,
    now: dt.datetime | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Write the Word and Excel report; return the `baocao report --json` contract.

    The two files are also kept in the blob store (the event names their hashes), so every
    build stays downloadable by content hash."""
    campaign = app.campaign(campaign_id)
    as_of = (now or app.now(campaign)).astimezone(campaign.tz)
    model = load_model(app, campaign, as_of)
    base = (Path(out_dir) if out_dir else app.settings.reports_dir / campaign.id).resolve()
    folder = new_build_dir(base, as_of)
    files = write_files(model, folder)
    latest = publish_latest(folder, base / LATEST)
    result = report_json(model, folder, files, latest)
    with app.session() as session:
        blobs = {p.name: store_blob(app.blobs, p.read_bytes(), session=session).sha256 for p in files}
        session.add(Event(
            campaign_id=campaign.id, kind="report_built", actor=actor,
            message=f"Đã tổng hợp báo cáo: {model.stats.responded}/{model.stats.total} đơn vị đã báo cáo",
            data={"dir": result["dir"], "files": result["files"], "stats": result["stats"], "blobs": blobs},
        ))
    log.info("report %s built in %s", campaign.id, folder)
    return result


def load_model(app: App, campaign: Campaign, as_of: dt.datetime) -> Consolidation:
    """Read the database once and build the pure model."""
    with app.session() as session:
        data = report_data(campaign.id, session=session)
        open_counts = open_problem_counts([r.latest.id for r in data.recipients if r.latest], session=session)
        # The problem review items still open, by key: each problem of a submission is open
        # or settled on its own (one settled, its neighbours still open).
        open_keys = {item.source_key for item in data.review if item.kind == ReviewKind.PROBLEM}
        agencies = [agency_report(r, campaign, open_counts, open_keys) for r in data.recipients]
        names = {r.recipient.id: r.recipient.name for r in data.recipients}
        review = [
            ReviewNote(
                item.id, item.source_key, item.reason, item.created_at, item.kind,
                # The agency only when it is known (a candidate of an attribution item is not).
                names.get(item.candidates[0].get("recipient_id"), "")
                if item.candidates and item.kind in (ReviewKind.PROBLEM, ReviewKind.REPLACE)
                else "",
            )
            for item in data.review
        ]
        sources = source_labels(campaign, [r.source for r in review], session=session)
    return consolidate(campaign, agencies, review, as_of=as_of, sources=sources)


def source_labels(campaign: Campaign, keys: list[str], *, session: Session) -> dict[str, str]:
    """'mail:19' → 'thư từ a@b «subject», nhận 12/08/2025 22:10', 'file:3' → 'tệp sotp/bc.docx
    trong thư mục chung, nhận …': people know a mail by its sender and subject and a file by
    its name, never by its number in the database."""
    def local(at: dt.datetime) -> str:
        return f"{(at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(campaign.tz):%d/%m/%Y %H:%M}"

    wanted = {kind: {int(k.split(":", 1)[1]): k for k in keys if k.startswith(f"{kind}:") and k.split(":", 1)[1].isdigit()}
              for kind in ("mail", "file")}
    labels: dict[str, str] = {}
    for mid, mail in inbound_mails(list(wanted["mail"]), session=session).items():
        at = mail.date_header or mail.internal_date or mail.created_at
        labels[wanted["mail"][mid]] = (f"thư từ {mail.from_addr or 'người gửi không rõ'} «{mail.subject or '(không tiêu đề)'}», "
                                       f"nhận {local(at)}")
    for fid, dropped in inbound_files(list(wanted["file"]), session=session).items():
        labels[wanted["file"][fid]] = f"tệp {dropped.path} trong thư mục chung, nhận {local(dropped.mtime or dropped.created_at)}"
    return labels


def agency_report(
    record: RecipientReport, campaign: Campaign, open_counts: dict[int, int] | None = None,
    open_keys: set[str] | None = None,
) -> AgencyReport:
    """Storage rows of one recipient as the plain input of the model (`open_keys`: the source
    keys of the open problem review items, which mark each blocking problem open or settled;
    None: not known)."""
    rec, latest = record.recipient, record.latest
    facts = RecipientFacts(
        id=rec.id,
        code=rec.code,
        name=rec.name,
        group=rec.group,
        emails=(),
        responses=tuple(
            Response(s.id, s.kind, s.received_at, s.status, s.channel) for s in record.responses
        ),
    )
    deadline = deadline_end(campaign, record.deadline) if record.deadline else campaign.deadline_at
    status = recipient_status(facts, deadline)
    shown = latest or (record.responses[-1] if record.responses else None)
    return AgencyReport(
        code=rec.code,
        name=rec.name,
        group=rec.group,
        state=status.state,
        late=status.late,
        received_at=shown.received_at if shown else None,
        channel=shown.channel if shown else None,
        files=tuple(record.files),
        sections=corrected_sections(record),
        figures=corrected_figures(record),
        extra_text=latest.extra_text if latest else "",
        closing=closing_parts(record),
        provenance=figure_provenance(record),
        typed_closing=bool(latest and latest.confidence is not None),
        extra_rows=tuple(_extra_rows(latest.extra_rows if latest else [])),
        problems=tuple(_problems(latest.problems if latest else [], latest.id if latest else None, open_keys,
                                 (open_counts or {}).get(latest.id, 0) if latest else 0)),
        doc_number=latest.doc_number if latest else None,
        submission_id=latest.id if latest else None,
        open_problems=(open_counts or {}).get(latest.id, 0) if latest else 0,
        confidence=latest.confidence if latest else None,
        signed=tuple(record.signed),
        corrections=tuple(correction_notes(record)),
    )


FIELD_NAMES = {"plan": "kế hoạch", "result": "kết quả", "rate": "tỷ lệ", "text": "nội dung"}


def correction_notes(record: RecipientReport) -> list[str]:
    """Each correction in use, in words: 'dòng 5, kết quả: 2.335 → 2.400 (cán bộ canbo sửa;
    lý do: …)'; a section's text is named, not quoted."""
    out = []
    for row in record.correction_rows:
        what = FIELD_NAMES.get(row.field, row.field)
        by = f"cán bộ {row.actor} sửa" + (f"; lý do: {row.reason.strip()}" if (row.reason or "").strip() else "")
        if row.target == "section":
            out.append(f"mục {display_id(row.item_id)}: {what} do {by}")
            continue
        old, new = (_figure_words((v or {}).get("value"), row.field) for v in (row.old_value, row.new_value))
        out.append(f"dòng {row.item_id}, {what}: {old} → {new} ({by})")
    return out


def _figure_words(value: Any, field: str) -> str:
    if value is None or value == "":
        return "(trống)"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return vn_rate(number) if field == "rate" else vn_number(number)


def corrected_figures(record: RecipientReport) -> dict[str, Figures]:
    """Table values as read, each field a person corrected replaced by the correction (and
    named in `Figures.corrected`, so the model recomputes a rate made stale by it)."""
    return current_figures(record.indicators, record.corrections)


def current_figures(indicators: Iterable[Any], corrections: Mapping[tuple[str, str], Mapping[str, Any]]) -> dict[str, Figures]:
    """The figures of one submission as they stand now: its indicator rows as read with each
    field a person corrected replaced (`corrections`: (target, item id) → field → value, as
    `overrides_for` gives them). The report, the Excel/Word files and every web page start
    from this; the rate they print is `shown_figures`'s."""
    rows = list(indicators)
    read = {v.row_id: {k: getattr(v, k) for k in FIELDS} for v in rows}
    derived = {v.row_id for v in rows if v.rate_computed}
    units = {v.row_id: _unit(v.values) for v in rows}
    corrected: dict[str, frozenset[str]] = {}
    for (target, item_id), values in corrections.items():
        if target == "indicator":
            read.setdefault(item_id, dict.fromkeys(FIELDS)).update(values)
            corrected[item_id] = frozenset(k for k in values if k in FIELDS)
    return {
        rid: Figures(*(_float(row.get(k)) for k in FIELDS), corrected=corrected.get(rid, frozenset()),
                     rate_derived=rid in derived, unit=units.get(rid, ""))
        for rid, row in read.items()
    }


@dataclass(frozen=True)
class ShownFigures:
    """One table row as every page prints it: plan and result after people's corrections and
    the rate the report prints (`shown_rate`: recomputed once plan or result was corrected)."""

    plan: float | None
    result: float | None
    rate: float | None
    # Why the printed rate is not the one given (None when it is), in Vietnamese.
    rate_note: str | None
    # The printed rate was recomputed from corrected figures (the file's rate is stale).
    rate_recomputed: bool
    corrected: frozenset[str]


def shown_figures(indicators: Iterable[Any], corrections: Mapping[tuple[str, str], Mapping[str, Any]]) -> dict[str, ShownFigures]:
    """`current_figures` with the rate decided the way the report decides it, per row id."""
    out = {}
    for rid, fig in current_figures(indicators, corrections).items():
        rate, note = shown_rate(fig)
        recomputed = "rate" not in fig.corrected and bool(fig.corrected & {"plan", "result"}) and rate != fig.rate
        out[rid] = ShownFigures(fig.plan, fig.result, rate, note, recomputed, fig.corrected)
    return out


def _unit(values: Any) -> str:
    """The unit the agency gave for a row's figures (plan's, else result's), "" when none."""
    for role in ("plan", "result"):
        value = (values or {}).get(role)
        if isinstance(value, dict) and value.get("unit"):
            return str(value["unit"])
    return ""


ROLE_NAMES = {"plan": "kế hoạch", "result": "kết quả", "rate": "tỷ lệ"}


def figure_provenance(record: RecipientReport) -> dict[str, str]:
    """Per row: the place its figures were read, and which were derived, an explicit none or
    corrected by a person."""
    out: dict[str, str] = {}
    for v in record.indicators:
        notes = _read_at(v.where or "", v.values or {})
        for role, value in (v.values or {}).items():
            source = value.get("source") if isinstance(value, dict) else None
            if source == "derived":
                notes.append(f"{ROLE_NAMES.get(role, role)} tự tính")
            elif source == "explicit_none":
                notes.append(f"{ROLE_NAMES.get(role, role)}: đơn vị ghi «{value.get('raw') or '-'}» (không có)")
        if ("indicator", v.row_id) in record.corrections:
            notes.append("cán bộ đã sửa")
        out[v.row_id] = "; ".join(n for n in notes if n)
    return out


def _read_at(row_where: str, values: dict[str, Any]) -> list[str]:
    """Where a row's figures were read, from each figure's own provenance: the row's place when
    every figure was read there, else each role's place (a row joined from two files)."""
    places = {role: str(value["where"]) for role, value in values.items()
              if isinstance(value, dict) and value.get("where") and value.get("source") in ("read", "explicit_none")}
    if not places or (row_where and all(w.startswith(row_where) for w in places.values())):
        return [row_where]
    rows = {w.rsplit(", cột ", 1)[0] for w in places.values()}
    if len(rows) == 1:
        return [rows.pop()]
    return [f"{ROLE_NAMES.get(role, role)}: {w}" for role, w in places.items()]


def closing_parts(record: RecipientReport) -> dict[str, str]:
    """The typed closing parts (khó khăn, kiến nghị …) as read, with people's corrections."""
    texts = {a.section_id: a.text for a in record.sections if a.part == "closing" and not a.empty and a.text}
    for (target, item_id), values in record.corrections.items():
        if target == "section" and item_id in texts and "text" in values:
            texts[item_id] = values["text"] or ""
    return {k: v for k, v in texts.items() if v}


def corrected_sections(record: RecipientReport) -> dict[str, str]:
    """Section texts as read, with people's corrections in place of the originals. A section
    answered by a group answer shows the group's text, marked with the sections it covers."""
    texts = {a.section_id: a.text for a in record.sections if a.part == "section" and not a.empty and a.text}
    shared: dict[str, list[str]] = {}
    for a in record.sections:
        if a.part == BY_GROUP and not a.empty and a.text:
            shared.setdefault(a.text, []).append(a.section_id)
    for text, ids in shared.items():
        for sid in ids:
            texts.setdefault(sid, f"{group_answer_mark(ids)} {text}")
    for (target, item_id), values in record.corrections.items():
        if target == "section" and "text" in values:
            texts[item_id] = values["text"] or ""
    return {k: v for k, v in texts.items() if v}


def _extra_rows(rows: list[Any]) -> list[ExtraFigures]:
    out = []
    for row in rows:
        if isinstance(row, dict) and row.get("label"):
            figures = Figures(*(_float(row.get(k)) for k in ("plan", "result", "rate")))
            out.append(ExtraFigures(str(row["label"]), figures))
    return out


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _problems(
    items: list[Any], submission_id: int | None = None, open_keys: set[str] | None = None, open_items: int = 0,
) -> list[ProblemNote]:
    """The stored problems; each blocking one marked open or settled by the review item
    `open_problem_reviews` opened for exactly it. When the open items of the submission are
    not all found that way (a problem stored in other words), none is marked: the model falls
    back to "open while any is" rather than hide an open one."""
    out = []
    for item in items:
        if isinstance(item, dict):
            code, message, where = (str(item.get(k, "")) for k in ("code", "message", "where"))
            state = None
            if open_keys is not None and submission_id is not None and code in REVIEW_PROBLEMS:
                state = problem_key(submission_id, Problem(code, message, where)) in open_keys
            out.append(ProblemNote(code, message, where, open=state))
        elif isinstance(item, str):
            out.append(ProblemNote("", item))
    if sum(1 for n in out if n.open and n.code in BLOCKING_PROBLEMS) != open_items:
        out = [ProblemNote(n.code, n.message, n.where) for n in out]
    return out


def new_build_dir(base: Path, as_of: dt.datetime) -> Path:
    """A new, empty folder named after the build time (suffixed if the name is taken)."""
    base.mkdir(parents=True, exist_ok=True)
    stem = as_of.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = base / (stem if n == 1 else f"{stem}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"quá nhiều bản báo cáo cùng thời điểm trong {base}")


def write_files(model: Consolidation, folder: Path) -> list[Path]:
    """The .docx and the .xlsx of one build: the builders return bytes, written here."""
    from reports.excel import render_excel  # noqa: PLC0415 — lazy: openpyxl loads only when a report is written
    from reports.word import TEMPLATE, render_word  # noqa: PLC0415 — lazy: docxtpl loads only when a report is written

    cid = model.campaign.id
    word, excel = folder / WORD_NAME.format(campaign=cid), folder / EXCEL_NAME.format(campaign=cid)
    word.write_bytes(render_word(model, read_template(TEMPLATE)))
    excel.write_bytes(render_excel(model))
    return [word, excel]


def read_template(path: Path) -> bytes:
    """The Word template's bytes; a missing one is a ReportTemplateError naming it."""
    from reports.errors import ReportTemplateError  # noqa: PLC0415 — lazy, as the builders

    try:
        return path.read_bytes()
    except OSError as err:
        raise ReportTemplateError(f"không tìm thấy mẫu báo cáo {path}") from err


def publish_latest(folder: Path, latest: Path) -> list[Path]:
    """Copy a build to the stable folder, swapping it in by rename (never half-written)."""
    staging = latest.with_name(f".{latest.name}.{folder.name}.moi")  # per build: no clash
    old = latest.with_name(f".{latest.name}.{folder.name}.cu")
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(folder, staging)
    (staging / "NGUON.txt").write_text(f"Bản sao của lần tổng hợp {folder.name}\n", encoding="utf-8")
    if latest.exists():
        latest.rename(old)
    staging.rename(latest)
    if old.exists():
        shutil.rmtree(old)
    return sorted(p for p in latest.iterdir() if p.suffix in (".docx", ".xlsx"))


def report_json(model: Consolidation, folder: Path, files: list[Path], latest: list[Path]) -> dict[str, Any]:
    """The contract of `baocao report --json`."""
    tz = model.campaign.tz
    return {
        "campaign": model.campaign.id,
        "as_of": model.as_of.isoformat(),
        "dir": str(folder),
        "files": [str(p) for p in files],
        "latest": [str(p) for p in latest],
        "totals": model.totals_json(),
        "responded": [
            {
                "id": a.code,
                "name": a.name,
                "state": a.state,
                "late": a.late,
                "received_at": a.received_at.astimezone(tz).isoformat() if a.received_at else None,
                "open_problems": model.open_count(a),
                "confidence": a.confidence,
            }
            for a in model.agencies
            if a.responded
        ],
        "doubtful": {row: list(names) for row, names in model.doubtful.items()},
        "not_responded": [
            {"id": a.code, "name": a.name, "state": a.state} for a in model.agencies if not a.responded
        ],
        "stats": model.stats.to_json(),
        "problems": [
            {"kind": p.kind, "agency": p.agency, "code": p.code, "message": p.message, "where": p.where, "open": p.open}
            for p in model.problems
        ],
        "sections_answered": {
            sid: sum(len(line.names) for line in lines) for sid, lines in model.narrative.items()
        },
        "figures_from": int(json_number(model.matrix["code"].nunique()) or 0),
    }


def due_deadlines(app: App, at: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The open campaigns whose deadline (as their configuration says now) has passed at `at`
    and whose report after it was not built yet: (campaign id, deadline in UTC)."""
    due = []
    with app.session() as session:
        for campaign in app.active_campaigns():
            deadline = campaign.deadline_at
            if deadline is None or at < deadline:
                continue
            deadline = deadline.astimezone(dt.UTC)
            if not deadline_built(campaign.id, deadline, session=session):
                due.append((campaign.id, deadline))
    return due


def deadline_reports(
    app: App, at: dt.datetime, build: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The report after each deadline passed at `at`, once per deadline (the `deadline-check`
    flow; `build(campaign id)` writes and publishes one, returning (report, counts)). Each is
    recorded only after it is written: a crash before the record builds it again, never skips it."""
    built: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for cid, deadline in due_deadlines(app, at):
        result, counts[cid] = build(cid)
        with app.session() as session:
            record_deadline_run(cid, deadline, {"deadline": deadline.isoformat(), "report": result}, session=session)
        built[cid] = result
    return built, counts
