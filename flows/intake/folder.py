"""The shared folder's cycle (BAOCAO_DROP__DIR): each stable file is one unit of work.

Store the file's bytes (raw first), parse and decide (pure), write the outcome in one
transaction, then move the file to processed/ or failed/. Received time = the file's mtime.
A mail message saved as a file (.eml, Outlook's .msg) is handled as mail instead, received at
its Date header (flows/intake/mailfile.py).

Which campaign: one scan feeds every open campaign. A first-level subfolder named after a
campaign id (`de-an-996/…`) puts its files in that campaign; with one open campaign (or the
campaign named by `--campaign`) every other file goes to it; otherwise the document itself
decides, as for mail (parsers/routing.py: the request's number or subject in the file's path
or text, how much of each outline it follows). A file no campaign clearly claims opens a review
item naming the candidates — nothing is recorded until a person chooses.

Which agency, inside the campaign's part of the folder: a subfolder named after a recipient id
attributes its files; so does a folder or file name that names the agency.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.errors import ConfigError
from flows.adapters.dropfolder import (
    FAILED,
    PROCESSED,
    NotTaken,
    Skipped,
    Taken,
    drop_root,
    leftovers,
    load_state,
    move_file,
    put_back,
    save_state,
    stable_files,
    take,
)
from flows.app import App
from flows.intake.context import Context, IngestReport, ParseFn, log_run
from flows.intake.documents import (
    ParsedFile,
    candidates,
    open_files_to_check,
    open_unreadable,
    parse_files,
    rejected_files,
    settle_unit,
    store_raw_files,
    write_documents,
)
from flows.intake.errors import describe_error, is_transient
from flows.intake.health import poll_failed, poll_succeeded
from flows.intake.inbox import inbox_context, route_file
from flows.intake.mailfile import damaged_mail_file, record_mail_file
from flows.intake.scanq import enqueue, is_queued, queued_outcome
from flows.outbound.receipts import deliver_pending_receipts
from parsers import lo_server
from parsers.lo_server import warm_libreoffice
from parsers.mail import Attachment, safe_filename
from parsers.mail_classify import Attribution, attribute
from parsers.mail_file import MailFile, MailFileError, read_mail_file
from parsers.model import ProblemCode
from parsers.responses import Unit, appendix_of, belongs_with
from parsers.scan import scan_pages
from parsers.vocab import ItemStatus, MailKind, ReviewKind
from storage.blobs import store_blob
from storage.ingest import file_seen, insert_file, open_review
from storage.models import Document, Event, InboundFile, utcnow

log = logging.getLogger(__name__)
STATE_FILE = "dropfolder-state.json"
REPORTED_FILE = "dropfolder-reported.json"


def ingest_folder(app: App, campaign_id: str | None = None, *, parse: ParseFn | None = None) -> IngestReport:
    """One scan of the shared folder for every open campaign (`campaign_id`: where files outside
    a campaign's subfolder go): remember what changed, ingest what stayed the same."""
    ctx = inbox_context(app, campaign_id, parse)
    if campaign_id is None and len(ctx.every) > 1:
        ctx.routing = True  # files outside a campaign's subfolder: the document decides
    name = str(app.settings.drop.dir or "")
    report = IngestReport("folder", ctx.campaign.id)
    limit = app.settings.max_file_bytes
    state_path = app.settings.data_dir / STATE_FILE
    try:  # mailbox health (flows/intake/health.py): a folder that cannot be read is an outage
        root = drop_root(app.settings.drop.dir).resolve()
        ready, current, skipped = stable_files(root, load_state(state_path))
    except (ConfigError, OSError) as err:
        if app.settings.drop.dir is not None:
            poll_failed(app, "folder", name, str(err))
        raise
    # Two or more files LibreOffice converts: one warm LibreOffice for them (parsers/lo_server.py).
    legacy = sum(lo_server.needs_libreoffice(p.name) for p, _, _ in ready)
    with warm_libreoffice() if app.settings.lo_warm and legacy >= 2 else contextlib.nullcontext():
        for taken in leftovers(root, limit):  # a crashed scan's files, moved but maybe not recorded
            report.add(_one_file(ctx, root, taken))
        for path, rel, st in ready:
            lo_server.ensure_alive()
            try:
                taken = take(root, rel, st, limit)
            except NotTaken as why:
                report.add(_not_taken(ctx, root, path, rel, str(why), refuse=why.refuse))
                continue
            report.add(_one_file(ctx, root, taken))
    _report_skipped(ctx, skipped, report)
    save_state(state_path, current)
    poll_succeeded(app, "folder", name, len(current))
    log_run(ctx, report)
    try:  # owed by a mail run that died, or by this scan's files: every open campaign's
        receipts = [deliver_pending_receipts(app, c.campaign) for c in ctx.every]
        report.receipts = receipts[0] if len(receipts) == 1 else {c.campaign.id: r for c, r in zip(ctx.every, receipts, strict=True)}
    except Exception as err:  # noqa: BLE001 — receipts are a courtesy: the scan itself succeeded
        log.exception("receipts failed")
        report.errors.append(f"không gửi được thư xác nhận (sẽ gửi lại ở lần chạy sau): {err}")
    return report


def _one_file(ctx: Context, root: Path, taken: Taken) -> dict[str, Any]:
    ctx.load()  # the recipients, read once per scan before the first unit of work (not when idle)
    try:
        return handle_file(ctx, root, taken)
    except Exception as err:  # noqa: BLE001 — one bad file must not stop the scan
        log.exception("file %s failed", taken.rel)
        error = describe_error(err)
        if is_transient(err):
            put_back(root, taken.path, taken.rel)  # the disk or the database: try again next scan
            return {"path": taken.rel, "status": ItemStatus.FAILED, "error": error, "transient": True, "retry": True}
        move_file(root, taken.path, taken.rel, FAILED, error)
        return {"path": taken.rel, "status": ItemStatus.FAILED, "error": error}


def _not_taken(ctx: Context, root: Path, path: Path, rel: str, reason: str, *, refuse: bool) -> dict[str, Any]:
    """A file that changed under us (looked at again later) or is refused unread (too large)."""
    if not refuse:
        return {"path": rel, "status": "skipped", "reason": reason}
    moved = move_file(root, path, rel, FAILED, reason) if not path.is_symlink() else None
    target, _ = place(ctx, rel)
    with ctx.app.session() as session:
        session.add(Event(campaign_id=(target or ctx).campaign.id, kind="ingest_failed", message=f"Không nhận tệp {rel}: {reason}", data={"path": rel}))
    return {"path": rel, "status": ItemStatus.FAILED, "error": reason, "moved_to": moved}


def _report_skipped(ctx: Context, skipped: list[Skipped], report: IngestReport) -> None:
    """Each skipped file once (symlink, hidden, FIFO, empty), with the reason, in the run and
    in the log; reported again only if it goes away and comes back."""
    path = ctx.app.settings.data_dir / REPORTED_FILE
    before = {k: v[0] for k, v in load_state(path).items()}  # type: ignore[misc]
    now = {s.rel: s.reason for s in skipped}
    fresh = [s for s in skipped if before.get(s.rel) != s.reason]
    for s in fresh:
        report.add({"path": s.rel, "status": "skipped", "reason": s.reason})
    if fresh:
        with ctx.app.session() as session:
            for s in fresh:
                session.add(Event(campaign_id=ctx.campaign.id, kind="drop_skipped", message=f"Bỏ qua {s.rel}: {s.reason}", data={"path": s.rel}))
    save_state(path, {k: [v] for k, v in now.items()})  # type: ignore[misc]


def place(ctx: Context, rel: str) -> tuple[Context | None, str]:
    """The campaign a dropped file belongs to, by its folder, and its path inside that
    campaign's part of the folder; None when the document must decide (several open
    campaigns, no campaign subfolder)."""
    first, _, rest = rel.partition("/")
    by_id = {c.campaign.id.lower(): c for c in ctx.every}
    if rest and first.lower() in by_id:
        return by_id[first.lower()], rest
    return (None, rel) if ctx.routing else (ctx, rel)


def handle_file(ctx: Context, root: Path, taken: Taken) -> dict[str, Any]:
    """Store, parse, attribute and record one file taken into working/; then move it on.

    Raw first, as mail does (`_fail_mail`): the bytes and the ledger row are committed before
    anything is parsed, so a step that raises leaves the file in the database (failed, with the
    reason and a review item), never only in failed/ on disk."""
    rel, data = taken.rel, taken.data
    target, inner = place(ctx, rel)
    mtime = dt.datetime.fromtimestamp(taken.st.st_mtime_ns / 1e9, dt.UTC)
    name = safe_filename(rel.rsplit("/", 1)[-1])
    with ctx.app.session() as session:
        blob = store_blob(ctx.app.blobs, data, session=session)
        row, created = insert_file(
            {
                "campaign_id": target.campaign.id if target is not None else None,
                "path": rel,
                "sha256": blob.sha256,
                "size": len(data),
                "mtime": mtime,
                "status": ItemStatus.RECEIVED,
            },
            session=session,
        )
        row_id, sha256, prior = row.id, blob.sha256, row.status
    outcome: dict[str, Any] = {"path": rel, "inbound_file_id": row_id}
    if not created and prior != ItemStatus.RECEIVED:  # settled by an earlier scan (moved, not yet recorded so)
        outcome.update(status=prior, seen=True)
    else:  # new, or stored raw by a scan that stopped before settling it
        try:
            outcome.update(_settle_file(ctx, row_id, target, rel, inner, name, data, mtime))
        except Exception as err:
            if is_transient(err):
                raise  # put back (_one_file); the row stays `received` and the next scan settles it
            log.exception("file %s failed", rel)
            outcome.update(_fail_file(ctx, row_id, target, rel, sha256, mtime, describe_error(err)))
    target = FAILED if outcome["status"] == ItemStatus.FAILED else PROCESSED
    moved = move_file(root, taken.path, rel, target, outcome.get("error"))
    with ctx.app.session() as session:
        stored = session.get(InboundFile, row_id)
        if stored is not None:
            stored.moved_to = moved
    outcome["moved_to"] = moved
    return outcome


def _settle_file(
    ctx: Context, row_id: int, target: Context | None, rel: str, inner: str, name: str, data: bytes, mtime: dt.datetime
) -> dict[str, Any]:
    """Parse, decide and write a stored file's outcome in one transaction."""
    with ctx.app.session() as session:
        row = session.get(InboundFile, row_id)
        assert row is not None
        outcome: dict[str, Any] = {}
        if file_seen(row.sha256, row.id, session=session):
            outcome.update(status=ItemStatus.DUPLICATE, classification=None)
        elif (saved := _saved_mail(data, name)) is not None:  # a message saved as .eml/.msg: as mail
            if isinstance(saved, MailFileError):
                attribution = path_attribution(ctx, inner, name, [])
                outcome.update(damaged_mail_file(ctx, target, row, attribution, name, saved, mtime, session=session))
            else:
                outcome.update(record_mail_file(ctx, target, row, rel, saved, mtime, session=session))
        elif target is None:
            outcome.update(_route_file(ctx, row, inner, name, data, mtime, session=session))
        else:
            outcome.update(_record_file(target, row, inner, name, data, mtime, session=session))
        row.status = outcome["status"]
        row.error = outcome.get("error")
        row.processed_at = row.processed_at or utcnow()
        if row.status == ItemStatus.FAILED:
            session.add(Event(campaign_id=row.campaign_id, kind="ingest_failed", message=f"Không xử lý được tệp {rel}: {row.error}"))
        return outcome


def _fail_file(
    ctx: Context, row_id: int, target: Context | None, rel: str, sha256: str, mtime: dt.datetime, error: str
) -> dict[str, Any]:
    """A stored file whose processing raised: failed with the reason on its row, and a review
    item so a person sees it (the bytes are kept; assigning it records it for an agency)."""
    campaign_id = (target or ctx).campaign.id
    with ctx.app.session() as session:
        row = session.get(InboundFile, row_id)
        assert row is not None
        row.status, row.error, row.processed_at = ItemStatus.FAILED, error[:4000], utcnow()
        row.campaign_id = row.campaign_id or campaign_id
        item = open_review(
            {
                "campaign_id": campaign_id,
                "source_key": f"file:{row_id}",
                "kind": ReviewKind.UNREADABLE,
                "inbound_file_id": row_id,
                "reason": f"không xử lý được tệp {rel} trong thư mục chung: {error[:500]}",
                "candidates": [],
                "plan": {"kind": "report", "document_id": None, "member": None, "content_key": f"file:{sha256}",
                         "received_at": mtime.isoformat(), "channel": "folder", "failed": True},
            },
            session=session,
        )
        session.add(Event(campaign_id=campaign_id, kind="ingest_failed", message=f"Không xử lý được tệp {rel}: {error[:500]}",
                          data={"path": rel, "inbound_file_id": row_id, "review_item": item.id}))
        return {"status": ItemStatus.FAILED, "error": error, "review_item": item.id}


def _saved_mail(data: bytes, name: str) -> MailFile | MailFileError | None:
    """The mail message a dropped file holds (flows/intake/mailfile.py), why a file saved as
    one cannot be read, or None (no message: a document)."""
    try:
        return read_mail_file(data, name)
    except MailFileError as err:
        return err


def decide_file(ctx: Context, rel: str, name: str, files: list[ParsedFile]) -> Unit | str:
    """The response a dropped file forms (attributed), or why it cannot count (pure)."""
    if files[0].rejection is not None:
        return files[0].rejection[1] or files[0].rejection[0]
    answers = sorted((c for c in candidates(files) if c.is_answer), key=lambda c: c.rank)
    if not answers:
        return "không nhận ra báo cáo theo đề cương trong tệp"
    best = answers[0]
    attribution = path_attribution(ctx, rel, name, [(best.result.agency.id, best.result.agency.score)])
    # The other files of a dropped zip that complete the report (its appendix, a signed copy)
    # join it as a mail's attachments do.
    companions = [c for c in answers[1:] if belongs_with(c.result, best.result)]
    return Unit(best.result.kind, best.content_key, attribution, best, companions=companions,
                appendix_of=appendix_of(best, candidates(files)))


def path_attribution(ctx: Context, rel: str, name: str, document_agencies: list[tuple[str | None, float]]) -> Attribution:
    """Who sent a dropped file: its subfolder (a recipient id, or a folder or file name that
    names the agency: "So Tu phap/", "BC_SoTuPhap.docx") and what the document says (pure)."""
    folder = rel.split("/", 1)[0] if "/" in rel else None
    codes = {a.code for a in ctx.agencies}
    folder_code = folder.lower() if folder and folder.lower() in codes else None
    return attribute(
        ctx.agencies,
        sender=None,
        document_agencies=document_agencies,
        folder_code=folder_code,
        path=f"{folder or ''}/{name}" if folder_code is None else "",
    )


def _attachment(ctx: Context, name: str, data: bytes) -> Attachment:
    att = Attachment(filename=name, content_type="application/octet-stream", data=data, size=len(data))
    if len(data) > ctx.app.settings.max_file_bytes:
        att.rejected = f"tệp quá lớn ({len(data)} byte)"
    return att


def _route_file(
    ctx: Context, row: InboundFile, rel: str, name: str, data: bytes, mtime: dt.datetime, *, session: Session
) -> dict[str, Any]:
    """A file outside every campaign's subfolder while several are open: the document decides
    (its path and text citing a request's number or subject, its coverage of each outline),
    as a message's would; in doubt, a review item naming the candidates."""
    att = _attachment(ctx, name, data)
    store_raw_files(ctx, [att], session=session)
    parsed = {c.campaign.id: parse_files(c, [att]) for c in ctx.every}
    first = next(iter(parsed.values()))[0]
    if is_queued(first.result):  # a scan: the OCR queue routes it once it is read
        return _queue_file(row, parsed[ctx.campaign.id], None, session=session)
    if first.rejection is not None:  # unreadable whatever the campaign: the first one keeps it
        row.campaign_id = ctx.campaign.id
        return _record_file(ctx, row, rel, name, data, mtime, session=session, files=parsed[ctx.campaign.id])
    route = route_file(ctx, rel, parsed)
    chosen = route.files.get(0) or route.campaign_id
    if chosen is None or route.doubt:
        names = ", ".join(route.candidates)
        titles = {c.campaign.id: c.campaign.title for c in ctx.every}
        item = open_review(
            {
                "campaign_id": None,
                "source_key": f"route-file:{row.id}",
                "inbound_file_id": row.id,
                "reason": (f"không rõ tệp {rel} thuộc chiến dịch nào (có thể: {names}); chọn chiến dịch, "
                           "hoặc lần sau đặt tệp vào thư mục con mang mã chiến dịch"),
                "candidates": [{"campaign": cid, "title": titles.get(cid, cid), "score": route.scores.get(cid, 0)}
                               for cid in route.candidates],
                "plan": {"kind": "route", "campaigns": route.candidates, "received_at": mtime.isoformat(), "channel": "folder"},
            },
            session=session,
        )
        return {"status": ItemStatus.REVIEW, "review_item": item.id, "campaigns": route.candidates,
                "reason": "không rõ chiến dịch"}
    target = next(c for c in ctx.every if c.campaign.id == chosen)
    row.campaign_id = chosen
    return _record_file(target, row, rel, name, data, mtime, session=session, files=parsed[chosen])


def record_routed_file(ctx: Context, row: InboundFile, forced: Attribution | None, *, session: Session) -> dict[str, Any]:
    """A file in doubt between campaigns, recorded in the campaign a person chose (ctx), for
    the agency they chose (forced) or the one the file names."""
    data = ctx.app.blobs.read(row.sha256)
    row.campaign_id = ctx.campaign.id
    rel = row.path.split("/", 1)[1] if row.path.split("/", 1)[0].lower() == ctx.campaign.id.lower() else row.path
    outcome = _record_file(ctx, row, rel, safe_filename(rel.rsplit("/", 1)[-1]), data, row.mtime, session=session,
                           forced=forced)
    row.status = outcome["status"]
    row.error = outcome.get("error")
    return outcome


def _record_file(
    ctx: Context, row: InboundFile, rel: str, name: str, data: bytes, mtime: dt.datetime, *, session: Session,
    files: list[ParsedFile] | None = None, forced: Attribution | None = None,
) -> dict[str, Any]:
    owner = {"inbound_file_id": row.id}
    if files is None:
        att = _attachment(ctx, name, data)
        store_raw_files(ctx, [att], session=session)
        files = parse_files(ctx, [att])
    if any(is_queued(f.result) for f in files):
        return _queue_file(row, files, ctx.campaign.id, session=session)
    decision = decide_file(ctx, rel, name, files)
    if forced is not None and not isinstance(decision, str):
        decision.attribution = forced
    docs = write_documents(ctx, files, owner, session=session)
    if isinstance(decision, str):
        unrelated = files[0].rejection is None
        if unrelated:  # readable, no outline report: a person looks when it is an agency's
            held = _file_to_check(ctx, row, rel, name, docs, decision, mtime, owner, session=session, files=files)
            if held is not None:
                return held
        outcome: dict[str, Any] = {"status": ItemStatus.FAILED, "classification": MailKind.UNRELATED if unrelated else None, "error": decision}
        if not unrelated:  # req. 8: an unreadable file of a known agency is not a report yet
            outcome.update(_unreadable_file(ctx, row, rel, name, files, mtime, owner, session=session))
        return outcome
    decision.source_key = f"file:{row.id}"
    outcome = settle_unit(ctx, decision, docs, received_at=mtime, channel="folder", owner=owner, session=session)
    if decision.attribution.recipient_id is not None:
        row.recipient_id, row.attributed_by = decision.attribution.recipient_id, decision.attribution.attributed_by
    classification = MailKind.SUBMISSION if decision.kind == "report" else MailKind.NIL_REPORT
    return {**outcome, "classification": classification}


def _queue_file(row: InboundFile, files: list[ParsedFile], campaign_id: str | None, *, session: Session) -> dict[str, Any]:
    """A scan left to the OCR queue: stored raw (already), queued, nothing recorded yet."""
    scans = [{"filename": f.attachment.filename, "sha256": f.sha256, "pages": scan_pages(f.attachment.data) or 1}
             for f in files if is_queued(f.result)]
    job = enqueue(campaign_id, scans, inbound_file_id=row.id, session=session)
    return {**queued_outcome(scans), "ocr_job": job.id}


def record_queued_file(ctx: Context, row: InboundFile, *, session: Session) -> dict[str, Any]:
    """A dropped file whose scan the OCR queue has read (ctx.parse holds the reading): placed,
    attributed and recorded as its poll would have (flows/intake/scanq.py)."""
    if row.campaign_id is None and len(ctx.every) > 1:
        ctx.routing = True
    target, inner = place(ctx, row.path)
    name = safe_filename(row.path.rsplit("/", 1)[-1])
    data = ctx.app.blobs.read(row.sha256)
    if target is None:
        outcome = _route_file(ctx, row, inner, name, data, row.mtime, session=session)
    else:
        outcome = _record_file(target, row, inner, name, data, row.mtime, session=session)
    row.status = outcome["status"]
    row.error = outcome.get("error")
    row.processed_at = utcnow()
    if row.status == ItemStatus.FAILED:
        session.add(Event(campaign_id=row.campaign_id, kind="ingest_failed", message=f"Không xử lý được tệp {row.path}: {row.error}"))
    return {"path": row.path, "inbound_file_id": row.id, "campaign": row.campaign_id, **outcome}


def _file_to_check(
    ctx: Context, row: InboundFile, rel: str, name: str, docs: list[Document], why: str, mtime: dt.datetime,
    owner: dict[str, int], *, session: Session, files: Sequence[ParsedFile] = (),
) -> dict[str, Any] | None:
    """A readable file that is no outline report, dropped where (or named as) an agency's:
    meant as its answer, as a mail's files would be (`files_to_check`). A person opens it;
    assigning the item records it as the agency's report (re-read), dismissing leaves the
    agency as it was; nothing is counted meanwhile. None: the file names no agency."""
    # A document naming its agency and holding the outline's content the parser could not read
    # as a report (`report_not_recognised`) is that agency's, wherever it was dropped.
    named = [
        (c.result.agency.id, c.result.agency.score) for c in candidates(files)
        if c.result.agency.id is not None and any(p.code == ProblemCode.REPORT_NOT_RECOGNISED for p in c.result.problems)
    ]
    attribution = path_attribution(ctx, rel, name, named)
    if not attribution.candidates:
        return None
    item = open_files_to_check(
        ctx, attribution, docs[0] if docs else None, member=None,
        reason=f"tệp trong thư mục chung chưa giống báo cáo theo đề cương ({why}): {rel}",
        source_key=f"file:{row.id}", content_key=f"file:{row.sha256}", received_at=mtime, channel="folder",
        owner=owner, session=session,
    )
    row.recipient_id, row.attributed_by = attribution.recipient_id, attribution.attributed_by
    return {
        "status": ItemStatus.REVIEW,
        "classification": MailKind.FILES_TO_CHECK,
        "review_item": item.id,
        "to_check": True,
        "recipient": ctx.code_of(attribution.recipient_id),
        "reason": why,
    }


def _unreadable_file(
    ctx: Context, row: InboundFile, rel: str, name: str, files: list[ParsedFile], mtime: dt.datetime,
    owner: dict[str, int], *, session: Session,
) -> dict[str, Any]:
    """A dropped file that could not be read (corrupt, bomb, unsupported) whose name or
    subfolder names an agency: as for mail, the agency stays "Chưa nộp – tệp lỗi" (kept in
    the reminders) and a person looks; the file itself still goes to failed/."""
    attribution = path_attribution(ctx, rel, name, [])
    if not attribution.candidates:
        return {}
    item = open_unreadable(
        ctx, attribution, rejected_files(files), source_key=f"file:{row.id}", content_key=f"file:{row.sha256}",
        received_at=mtime, channel="folder", owner=owner, session=session,
    )
    row.recipient_id, row.attributed_by = attribution.recipient_id, attribution.attributed_by
    return {"unreadable": True, "review_item": item.id, "recipient": ctx.code_of(attribution.recipient_id)}
