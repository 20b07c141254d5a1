"""The shared folder (BAOCAO_DROP__DIR): stable files only, each ingested once, never deleted.

A file is taken when its size and mtime are unchanged since the previous scan (the previous
observations live in `<data_dir>/dropfolder-state.json`), so a file copied slowly over the
network is ingested exactly once, when complete. A first-level subfolder named after a
recipient id attributes its files. Handled files move to `processed/`, failures to `failed/`
with a `<name>.loi.txt` reason beside them. Received time = the file's mtime.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.errors import ConfigError
from flows.app import App
from parsers.mail import Attachment, safe_filename
from parsers.mail_classify import attribute
from storage.blobs import store_blob
from storage.ingest import file_seen, insert_file
from storage.models import Event, InboundFile, utcnow

if TYPE_CHECKING:
    from flows.ingest import Context, IngestReport

log = logging.getLogger(__name__)
PROCESSED, FAILED = "processed", "failed"
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx", ".dropfolder-state.json"}
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".crdownload", ".partial", ".download", ".swp", "~")


def is_ignored(name: str) -> bool:
    """Lock files, temp files and OS litter."""
    low = name.lower()
    return (
        low in IGNORED_NAMES
        or low.startswith(("~$", ".~lock", "~", "._"))
        or low.endswith(TEMP_SUFFIXES)
        or low.endswith(".loi.txt")
        or low.startswith(".")
    )


def is_open_elsewhere(path: Path) -> bool:
    """Someone has the file open in Word or LibreOffice (their lock file sits beside it)."""
    name = path.name
    locks = {f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~lock.{name}#"}
    return any((path.parent / lock).exists() for lock in locks)


def walk(root: Path) -> list[Path]:
    """Candidate files under root (recursively), skipping processed/, failed/ and litter."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        rel = Path(current).relative_to(root)
        dirs[:] = sorted(
            d for d in dirs if not is_ignored(d) and not (rel == Path() and d in (PROCESSED, FAILED))
        )
        found.extend(Path(current) / f for f in sorted(files) if not is_ignored(f))
    return found


def _state_path(app: App) -> Path:
    return app.settings.data_dir / "dropfolder-state.json"


def _load_state(app: App) -> dict[str, list[int]]:
    try:
        return json.loads(_state_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(app: App, state: dict[str, list[int]]) -> None:
    path = _state_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def drop_root(app: App) -> Path:
    """The configured folder, which must exist."""
    root = app.settings.drop.dir
    if root is None:
        raise ConfigError("chưa cấu hình thư mục chung (BAOCAO_DROP__DIR)")
    if not root.is_dir():
        raise ConfigError("không tìm thấy thư mục chung", root)
    return root


def scan_folder(app: App, ctx: Context) -> IngestReport:
    """One scan: remember what changed, ingest what stayed the same since the last scan."""
    from flows.ingest import IngestReport

    root = drop_root(app)
    report = IngestReport("folder", ctx.campaign.id)
    previous = _load_state(app)
    current: dict[str, list[int]] = {}
    for path in walk(root):
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat
        seen = [st.st_size, st.st_mtime_ns]
        if previous.get(rel) != seen or st.st_size == 0 or is_open_elsewhere(path):
            current[rel] = seen  # new or still changing: look again next scan
            continue
        try:
            outcome = handle_file(ctx, root, path, rel, st.st_size, st.st_mtime_ns)
        except Exception as err:  # one bad file must not stop the scan
            log.exception("file %s failed", rel)
            outcome = {"path": rel, "status": "failed", "error": f"{type(err).__name__}: {err}"}
            _move(root, path, rel, FAILED, outcome["error"])
        report.add(outcome)
    _save_state(app, current)
    from flows.ingest import log_run

    log_run(ctx, report)
    return report


def handle_file(ctx: Context, root: Path, path: Path, rel: str, size: int, mtime_ns: int) -> dict[str, Any]:
    """Store, parse, attribute and record one stable file; then move it."""
    data = path.read_bytes()
    mtime = dt.datetime.fromtimestamp(mtime_ns / 1e9, dt.UTC)
    name = safe_filename(path.name)
    folder = rel.split("/", 1)[0] if "/" in rel else None
    codes = {a.code for a in ctx.agencies}
    folder_code = folder.lower() if folder and folder.lower() in codes else None
    # A folder named after the agency ("Sở Tư pháp/") names it, as a subject line would.
    naming = f"{folder or ''} {name.rsplit('.', 1)[0]}"
    with ctx.app.session() as session:
        blob = store_blob(ctx.app.blobs, data, session=session)
        row, created = insert_file(
            {
                "campaign_id": ctx.campaign.id,
                "path": rel,
                "sha256": blob.sha256,
                "size": len(data),
                "mtime": mtime,
                "status": "received",
            },
            session=session,
        )
        outcome: dict[str, Any] = {"path": rel, "inbound_file_id": row.id}
        if not created:
            outcome.update(status=row.status, seen=True)
        elif file_seen(blob.sha256, row.id, session=session):
            outcome.update(status="duplicate", classification=None)
        else:
            outcome.update(_record_file(ctx, row, name, data, folder_code, naming, mtime, session=session))
        row.status = outcome["status"]
        row.error = outcome.get("error")
        row.processed_at = row.processed_at or utcnow()
        if row.status == "failed":
            session.add(Event(campaign_id=ctx.campaign.id, kind="ingest_failed", message=f"Không xử lý được tệp {rel}: {row.error}"))
    target = FAILED if outcome["status"] == "failed" else PROCESSED
    moved = _move(root, path, rel, target, outcome.get("error"))
    with ctx.app.session() as session:
        stored = session.get(InboundFile, row.id)
        if stored is not None:
            stored.moved_to = moved
    outcome["moved_to"] = moved
    return outcome


def _record_file(
    ctx: Context,
    row: InboundFile,
    name: str,
    data: bytes,
    folder_code: str | None,
    naming: str,
    mtime: dt.datetime,
    *,
    session: Any,
) -> dict[str, Any]:
    from flows.ingest import Unit, settle_unit, store_documents

    owner = {"inbound_file_id": row.id}
    att = Attachment(filename=name, content_type="application/octet-stream", data=data, size=len(data))
    if len(data) > ctx.app.settings.max_file_bytes:
        att.rejected = f"tệp quá lớn ({len(data)} byte)"
    candidates, rejected = store_documents(ctx, [att], owner, session=session)
    answers = sorted((c for c in candidates if c.result.kind in ("report", "nil_report")), key=lambda c: c.rank)
    if rejected:
        return {"status": "failed", "classification": None, "error": rejected[0]["reason"]}
    if not answers:
        return {"status": "failed", "classification": "unrelated", "error": "không nhận ra báo cáo theo đề cương trong tệp"}
    best = answers[0]
    attribution = attribute(
        ctx.agencies,
        sender=None,
        document_agencies=[(best.result.agency.id, best.result.agency.score)],
        text=naming,
        folder_code=folder_code,
    )
    unit = Unit(best.result.kind, best.content_key, attribution, best, f"file:{row.id}")
    outcome = settle_unit(ctx, unit, received_at=mtime, channel="folder", owner=owner, session=session)
    if attribution.recipient_id is not None:
        row.recipient_id, row.attributed_by = attribution.recipient_id, attribution.attributed_by
    classification = "submission" if best.result.kind == "report" else "nil_report"
    return {**outcome, "classification": classification}


def _move(root: Path, path: Path, rel: str, target: str, reason: str | None) -> str | None:
    """Move a file under root/target keeping its subpath; never overwrite, never delete."""
    if not path.exists():
        return None
    dest = root / target / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix, n = dest.stem, dest.suffix, 1
    while dest.exists():
        dest = dest.with_name(f"{stem}-{n}{suffix}")
        n += 1
    path.replace(dest)
    if reason:
        dest.with_name(dest.name + ".loi.txt").write_text(f"{reason}\n", encoding="utf-8")
    return dest.relative_to(root).as_posix()
