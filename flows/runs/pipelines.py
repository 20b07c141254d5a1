"""Prefect flows: thin shells over the same plain functions the CLI calls.

Each flow reads the settings once, calls a few tasks, publishes the dashboard artifacts
(flows/runs/dashboard.py) and returns a JSON-able summary. Tasks with retries wrap I/O only
(IMAP, SMTP, writing reports). One item's failure is recorded by the plain function and
reported in the summary while the run goes on; a run fails only when the run itself broke
(mailbox or database unreachable, configuration wrong). A failed run mails TĐC
(`BAOCAO_ALERT_EMAIL`) through flows.outbound.delivery.deliver, kind `alert`.

Two ingest runs never overlap: both ingest flows hold one slot of the global concurrency
limit `baocao-ingest` (limit 1, created on first use). The database's unique constraints
(IMAP uid, file sha256) remain the real guard against duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

from prefect import flow, get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from config.errors import ConfigError
from config.settings import Settings, load_settings
from flows.app import App, status_report
from flows.errors import FlowsError
from flows.intake.folder import ingest_folder
from flows.intake.health import source_health
from flows.intake.mail import ingest_mail
from flows.runs import dashboard
from flows.runs.alerts import notify_failure

INGEST_LIMIT = "baocao-ingest"
# One OCR queue run at a time (the `ocr-queue` deployment, or one started by an ingest run).
OCR_LIMIT = "baocao-ocr"
OCR_DEPLOYMENT = "ocr-queue/ocr-queue"
# How long an ingest run waits for another one to finish before giving up this turn.
INGEST_WAIT_SECONDS = 600.0


def make_app(settings: Settings | None = None) -> App:
    """The application over settings read once, at the flow's entry (the one place a run
    reads the environment; the failure hook and the full cycle use it too)."""
    return App(settings or load_settings())


def _to_json(result: Any) -> dict[str, Any]:
    """Reports of the plain functions are dataclasses with to_json() or already dicts."""
    return result.to_json() if hasattr(result, "to_json") else dict(result)


# --- tasks: I/O with retries -------------------------------------------------------------


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry I/O hiccups, not configuration mistakes (those fail at once and alert TĐC)."""
    try:
        state.result()
    except ConfigError:
        return False
    except Exception:  # noqa: BLE001 — result() re-raises whatever the task raised
        return True
    return True


IO_RETRY = {"cache_policy": NO_CACHE, "retry_condition_fn": worth_retrying}


@task(name="thu-thu-dien-tu", retries=2, retry_delay_seconds=[10, 60], **IO_RETRY)
def fetch_mail(app: App, campaign_id: str | None) -> dict[str, Any]:
    """One polling cycle of the official mailbox (IMAP)."""
    return _to_json(ingest_mail(app, campaign_id))


@task(name="quet-thu-muc", retries=2, retry_delay_seconds=[10, 60], **IO_RETRY)
def scan_folder(app: App, campaign_id: str | None) -> dict[str, Any]:
    """One scan of the shared drop folder."""
    return _to_json(ingest_folder(app, campaign_id))


@task(name="gui-thu-nhac", retries=2, retry_delay_seconds=[30, 120], **IO_RETRY)
def send_reminders(app: App, campaign_id: str | None, dry_run: bool, now: dt.datetime | None) -> dict[str, Any]:
    """Decide and send what reminders are due (exactly once per slot, by the database)."""
    from flows.outbound.reminders import remind  # lazy: an ingest run does not load the letters

    return _to_json(remind(app, campaign_id, now, dry_run=dry_run))


@task(name="lap-bao-cao", retries=1, retry_delay_seconds=30, **IO_RETRY)
def write_report(app: App, campaign_id: str | None, now: dt.datetime | None) -> dict[str, Any]:
    """Build and write the consolidated Word + Excel report."""
    from flows.report import build_report  # lazy: pandas and docxtpl only for a report run

    return _to_json(build_report(app, campaign_id, now=now))


@task(name="doc-ban-quet", cache_policy=NO_CACHE)
def read_scans(app: App, max_jobs: int | None) -> dict[str, Any]:
    """The OCR queue: queued scans read one at a time, each under its own budget, then recorded
    (no retries: a job left half-done is taken again by the next queue run)."""
    from flows.intake.ocr_run import run_queue  # lazy: an idle poll does not load it

    return _to_json(run_queue(app, max_jobs=max_jobs))


@task(name="cap-nhat-bang-theo-doi", cache_policy=NO_CACHE)
def publish_status(app: App, campaign_id: str | None) -> dict[str, Any]:
    """Who has answered: the status table, the progress bar and the review queue."""
    status = status_report(app, campaign_id)
    status["sources"] = [h.to_json(app.now().tzinfo) for h in source_health(app)]  # mailbox health
    base_url = app.settings.web.base_url
    keyed = artifact_campaign(app, status["campaign"])
    dashboard.publish_status(status, base_url, keyed=keyed)
    dashboard.publish_review(status["review"], base_url, keyed=keyed)
    return status


def artifact_campaign(app: App, campaign_id: str) -> str | None:
    """The campaign an artifact key names: none with one open campaign (the keys stay as they
    were), the campaign's id when several are open (each has its own status and report)."""
    return campaign_id if len(app.active_campaigns()) > 1 else None


def each_campaign(app: App, campaign_id: str | None) -> list[str]:
    """The campaign named, else every open one (one deployment per campaign names it; a run
    without one, e.g. the full cycle, acts on each)."""
    return [c.id for c in app.chosen_campaigns(campaign_id)]


def _named(app: App, campaign_id: str, line: str) -> str:
    """A log line, led by the campaign when several are open."""
    return f"{campaign_id}: {line}" if artifact_campaign(app, campaign_id) else line


def per_campaign(results: dict[str, Any]) -> Any:
    """One campaign: its result as before; several: {campaign id: result}."""
    return next(iter(results.values())) if len(results) == 1 else results


def _run_name(label: str) -> Callable[[], str]:
    """A flow-run name that says what and when (local time of the configured timezone)."""
    return lambda: dashboard.run_name(label, make_app().now())


# --- plain helpers ------------------------------------------------------------------------


def ensure_ingest_limit(name: str = INGEST_LIMIT) -> None:
    """Create the global concurrency limit (1 slot) shared by both ingest flows (or `name`)."""
    # Another run may create it between our read and our create: fine.
    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.upsert_global_concurrency_limit_by_name(name, 1)


@contextmanager
def ingest_slot(wait: float = INGEST_WAIT_SECONDS, name: str = INGEST_LIMIT) -> Iterator[bool]:
    """Hold the single ingest slot (or `name`'s); yields False when another run held it too long."""
    ensure_ingest_limit(name)
    with ExitStack() as stack:
        try:
            stack.enter_context(
                concurrency(name, occupy=1, timeout_seconds=wait, strict=True)
            )
        except TimeoutError:
            yield False
            return
        yield True


def summary(**parts: Any) -> dict[str, Any]:
    """A flow's return value: what each step did, JSON-able."""
    return {k: v for k, v in parts.items() if v is not None}


def _counts(status: dict[str, Any]) -> dict[str, Any]:
    return status["counts"]


def _ingest(source: str, campaign_id: str | None) -> dict[str, Any]:
    """Body shared by the two ingest flows."""
    logger = get_run_logger()
    app = make_app()
    try:
        with ingest_slot() as held:
            if not held:
                logger.warning("Một lượt thu nhận khác đang chạy quá lâu; bỏ qua lượt này.")
                return summary(skipped="đang có lượt thu nhận khác chạy")
            fetch = fetch_mail if source == "mail" else scan_folder
            result = fetch(app, campaign_id)
        dashboard.publish_ingest(source, result)
        # One poll fed every open campaign: each campaign's board is brought up to date.
        counts = {cid: _counts(publish_status(app, cid)) for cid in each_campaign(app, campaign_id)}
        logger.info(dashboard.ingest_markdown(source, result).splitlines()[2])
        ocr = start_ocr_queue(app) if result["counts"].get("queued") else None
        return summary(ingest=result, counts=per_campaign(counts), ocr=ocr)
    finally:
        app.engine.dispose()


def start_ocr_queue(app: App) -> dict[str, Any]:
    """After the batch, the scans it queued get their own unit of work: a run of the `ocr-queue`
    deployment, started without waiting for it (the next poll is not held up by the OCR).
    Without that deployment (a flow called in process: the demo, tests) the queue is run here,
    as a subflow, after the rest of the batch was recorded."""

    try:
        run = run_deployment(OCR_DEPLOYMENT, timeout=0, as_subflow=False)
    except ObjectNotFound:
        return {"inline": ocr_queue_flow()}
    return {"started": str(run.id)}


HOOKS: dict[str, Any] = {"on_failure": [notify_failure]}


# --- flows --------------------------------------------------------------------------------


@flow(name="ingest-mail", flow_run_name=_run_name("Thu nhận thư"), log_prints=True, **HOOKS)
def ingest_mail_flow(campaign_id: str | None = None) -> dict[str, Any]:
    """Thu nhận thư trả lời từ hộp thư chính thức."""
    return _ingest("mail", campaign_id)


@flow(name="ingest-folder", flow_run_name=_run_name("Quét thư mục chung"), log_prints=True, **HOOKS)
def ingest_folder_flow(campaign_id: str | None = None) -> dict[str, Any]:
    """Thu nhận các tệp được đặt vào thư mục dùng chung."""
    return _ingest("folder", campaign_id)


@flow(name="send-reminders", flow_run_name=_run_name("Gửi thư nhắc"), log_prints=True, **HOOKS)
def send_reminders_flow(
    campaign_id: str | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Gửi thư nhắc các đơn vị chưa nộp (chỉ ngày làm việc, mỗi đợt một lần)."""
    app = make_app()
    try:
        results, counts = {}, {}
        for cid in each_campaign(app, campaign_id):  # each campaign under its own policy and calendar
            results[cid] = result = send_reminders(app, cid, dry_run, now)
            dashboard.publish_reminders(result, dry_run=dry_run, keyed=artifact_campaign(app, cid))
            counts[cid] = _counts(publish_status(app, cid))
            get_run_logger().info(_named(app, cid, dashboard.reminders_summary(result, dry_run=dry_run)))
        return summary(reminders=per_campaign(results), counts=per_campaign(counts))
    finally:
        app.engine.dispose()


@flow(name="build-report", flow_run_name=_run_name("Lập báo cáo"), log_prints=True, **HOOKS)
def build_report_flow(campaign_id: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Lập báo cáo tổng hợp (Word + Excel) từ các báo cáo hợp lệ mới nhất."""
    app = make_app()
    try:
        results, counts = {}, {}
        for cid in each_campaign(app, campaign_id):
            results[cid], counts[cid] = _report_for(app, cid, now)
        return summary(report=per_campaign(results), counts=per_campaign(counts))
    finally:
        app.engine.dispose()


def _report_for(app: App, cid: str, now: dt.datetime | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One campaign's report written and published on the dashboard; (report, counts)."""
    result = write_report(app, cid, now)
    status = publish_status(app, cid)
    labels = {r.id: r.label for r in app.campaign(cid).outline.table.rows}
    dashboard.publish_report(result, status["review"], labels, app.settings.web.base_url,
                             keyed=artifact_campaign(app, cid))
    get_run_logger().info(_named(app, cid, dashboard.report_summary(result, status)))
    return result, _counts(status)


@flow(name="deadline-check", flow_run_name=_run_name("Xét hạn nộp"), log_prints=True, **HOOKS)
def deadline_check_flow(now: dt.datetime | None = None) -> dict[str, Any]:
    """Lập báo cáo ngay sau hạn nộp của từng chiến dịch (hạn đọc từ cấu hình mỗi lần chạy; mỗi hạn một lần)."""

    app = make_app()
    try:
        from flows.report import deadline_reports  # lazy: pandas and docxtpl only for a report run

        built, counts = deadline_reports(app, now or app.now(), lambda cid: _report_for(app, cid, now))
        if not built:
            get_run_logger().info("Chưa chiến dịch nào vừa hết hạn nộp (hoặc đã lập báo cáo sau hạn).")
        return summary(deadline_reports=built, counts=counts or None)
    finally:
        app.engine.dispose()


@flow(name="ocr-queue", flow_run_name=_run_name("Đọc bản quét"), log_prints=True, **HOOKS)
def ocr_queue_flow(max_jobs: int | None = None) -> dict[str, Any]:
    """Đọc các bản quét đang chờ (từng tệp một, thời gian theo số trang) rồi ghi nhận như thường."""
    logger = get_run_logger()
    app = make_app()
    try:
        with ingest_slot(wait=5.0, name=OCR_LIMIT) as held:
            if not held:
                logger.info("Một lượt đọc bản quét khác đang chạy; lượt này bỏ qua (lượt kia đọc hết hàng đợi).")
                return summary(skipped="đang có lượt đọc bản quét khác chạy")
            result = read_scans(app, max_jobs)
        if result["items"]:
            counts = {cid: _counts(publish_status(app, cid)) for cid in each_campaign(app, None)}
        else:
            counts = {}
        c = result["counts"]
        logger.info(f"Đọc bản quét: xong {c['done']}, không đọc được {c['failed']}.")
        return summary(ocr=result, counts=per_campaign(counts) if counts else None)
    finally:
        app.engine.dispose()


@flow(name="full-cycle", flow_run_name=_run_name("Vòng đầy đủ"), log_prints=True, **HOOKS)
def full_cycle_flow(
    campaign_id: str | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Một vòng đầy đủ: thu thư, quét thư mục, gửi nhắc, lập báo cáo."""
    settings = make_app().settings
    plan: list[tuple[str, Any, tuple[Any, ...]]] = []
    if settings.imap.host:
        plan.append(("mail", ingest_mail_flow, (campaign_id,)))
    if settings.drop.dir:
        plan.append(("folder", ingest_folder_flow, (campaign_id,)))
    plan.append(("ocr", ocr_queue_flow, ()))  # scans the ingest steps queued (none: a quick no-op)
    plan.append(("reminders", send_reminders_flow, (campaign_id, dry_run, now)))
    plan.append(("report", build_report_flow, (campaign_id, now)))
    # Each step runs even when an earlier one failed; the cycle fails at the end if any did.
    states = {name: step(*args, return_state=True) for name, step, args in plan}
    failed = [name for name, s in states.items() if s.is_failed()]
    get_run_logger().info(
        f"Một vòng đầy đủ: {len(states) - len(failed)}/{len(states)} bước thành công"
        + (f"; lỗi ở {', '.join(failed)}." if failed else ".")
    )
    return cycle_result(states)


class CycleStepFailed(FlowsError, RuntimeError):
    """One or more steps of a full cycle failed (each is its own run with its error)."""


def cycle_result(states: dict[str, Any]) -> dict[str, Any]:
    """The steps' summaries; raises when a step failed, naming which and why."""
    failed = {name: s.message or "" for name, s in states.items() if s.is_failed()}
    if failed:
        reasons = "; ".join(f"{name}: {why}" for name, why in failed.items())
        raise CycleStepFailed(f"{len(failed)} bước thất bại — {reasons}")
    return {name: s.result() for name, s in states.items()}


