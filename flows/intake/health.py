"""Mailbox health: each poll of a mailbox folder or the shared folder records its outcome;
when nothing could be fetched for BAOCAO_ALERT_AFTER_HOURS working hours, TĐC is mailed once
(`BAOCAO_ALERT_EMAIL`, through the outbound ledger: kind `alert`, one slot per outage)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from flows.app import App
from flows.outbound.delivery import Draft, deliver
from parsers.numbers import vn_number
from reports.health import Health, needs_alert, working_hours_between
from reports.workdays import WorkCalendar
from storage.health import health_rows, mark_alerted, record_poll_failure, record_poll_success
from storage.models import SourceHealth, utcnow

log = logging.getLogger(__name__)


def poll_succeeded(app: App, kind: str, name: str, waiting: int, now: dt.datetime | None = None) -> None:
    """A poll reached the source (the outage, if any, is over)."""
    with app.session() as session:
        record_poll_success(kind, name, now or utcnow(), waiting, session=session)


def poll_failed(app: App, kind: str, name: str, error: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """A poll fetched nothing: record it, and alert TĐC when the outage has lasted long enough.
    Never raises: the poll's own error is what the run reports."""
    now = now or utcnow()
    try:
        with app.session() as session:
            row = record_poll_failure(kind, name, now, error, session=session)
            health = _health(app, row, now)
            due = needs_alert(health.hours_failing, app.settings.alert_after_hours, alerted=row.alerted_at is not None)
            row_id = row.id
        if not due or not app.settings.alert_email:
            return None
        sent = deliver(app, [_alert_draft(app, health)]).to_json()
        if sent["sent"] or sent["skipped"]:
            with app.session() as session:
                mark_alerted(row_id, now, session=session)
        return sent
    except Exception:  # noqa: BLE001 — health is a report on the failure, never a second one
        log.exception("recording the poll failure of %s failed", name)
        return None


def _calendar(app: App) -> WorkCalendar:
    policy = app.campaigns[0].reminders if app.campaigns else None
    return WorkCalendar(policy.extra_days_off, policy.extra_working_days) if policy else WorkCalendar()


def _health(app: App, row: SourceHealth, now: dt.datetime) -> Health:
    tz = app.now().tzinfo
    assert tz is not None
    hours = 0.0
    if row.failing_since is not None:
        # Counted from the last good poll (or the first failure when none ever succeeded).
        start = row.last_success_at or row.failing_since
        hours = working_hours_between(start, now, _calendar(app), tz)
    return Health(row.kind, row.name, row.last_success_at, row.last_error, row.last_error_at, row.failing_since, row.waiting, hours)


def source_health(app: App, now: dt.datetime | None = None) -> list[Health]:
    """Every polled source with its state, for the dashboard and the board."""
    now = now or utcnow()
    with app.session() as session:
        return [_health(app, row, now) for row in health_rows(session=session)]


def alert_text(health: Health, after_hours: float, tz: dt.tzinfo) -> tuple[str, str]:
    """Subject and body of the mail telling TĐC a source has been unreachable for hours."""
    def when(at: dt.datetime | None) -> str:
        return at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y") if at else "chưa từng"

    subject = f"[baocao] {health.label} không đọc được đã {vn_number(round(after_hours, 1))} giờ làm việc"
    lines = [
        "Kính gửi phòng TĐC,",
        "",
        f"{health.label} {health.name} không đọc được thư/tệp nào trong khoảng"
        f" {vn_number(round(health.hours_failing, 1))} giờ làm việc.",
        f"Lần đọc được gần nhất: {when(health.last_success_at)}.",
        f"Lỗi gần nhất ({when(health.last_error_at)}): {health.last_error or '(không rõ)'}",
        "",
        "Báo cáo các đơn vị gửi về trong thời gian này chưa được ghi nhận. Xin kiểm tra mật khẩu,"
        " kết nối tới máy chủ thư hoặc thư mục dùng chung.",
        "",
        "— Thư tự động của hệ thống baocao, xin đừng trả lời thư này.",
    ]
    return subject, "\n".join(lines) + "\n"


def _alert_draft(app: App, health: Health) -> Draft:
    tz = app.now().tzinfo
    assert tz is not None and app.settings.alert_email
    subject, text = alert_text(health, app.settings.alert_after_hours, tz)
    began = (health.failing_since or utcnow()).isoformat()
    digest = hashlib.sha256(f"{health.kind}:{health.name}:{began}".encode()).hexdigest()[:24]
    campaign = next((c for c in app.campaigns if c.active), app.campaigns[0])
    return Draft(
        campaign_id=campaign.id,
        recipient_id=None,
        kind="alert",
        slot=f"health:{digest}",
        to=[app.settings.alert_email],
        subject=subject,
        text=text,
    )
