"""A failed scheduled run mails TĐC (`BAOCAO_ALERT_EMAIL`) once, through the outbound ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect.settings import PREFECT_UI_URL

from config.errors import ConfigError
from config.settings import Settings
from flows.app import App
from flows.outbound.delivery import Draft, deliver


def alert_text(flow_name: str, run_name: str, message: str, when: dt.datetime, ui_url: str | None) -> tuple[str, str]:
    """Subject and body of the mail telling TĐC a scheduled run failed."""
    subject = f"[baocao] Lỗi khi chạy tác vụ {flow_name}"
    lines = [
        "Kính gửi phòng TĐC,",
        "",
        f"Tác vụ tự động “{flow_name}” (lượt {run_name}) đã thất bại lúc"
        f" {when:%H:%M ngày %d/%m/%Y}.",
        "",
        f"Nguyên nhân: {message or '(không rõ)'}",
        "",
        "Các lượt chạy sau vẫn tiếp tục theo lịch; dữ liệu đã ghi nhận không bị mất.",
        "Xin kiểm tra hộp thư, cơ sở dữ liệu hoặc cấu hình rồi chạy lại nếu cần.",
    ]
    if ui_url:
        lines += ["", f"Xem chi tiết trên bảng điều khiển: {ui_url}"]
    lines += ["", "— Thư tự động của hệ thống baocao, xin đừng trả lời thư này."]
    return subject, "\n".join(lines) + "\n"


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """on_failure hook: mail TĐC once per failed run (slot = the run id)."""
    settings = Settings()
    if not settings.alert_email or getattr(flow_run, "parent_task_run_id", None):
        return  # nobody to tell, or a sub-run: the parent run tells TĐC once
    app = App(settings)
    try:
        try:
            campaign = app.campaign((flow_run.parameters or {}).get("campaign_id"))
        except ConfigError:  # the run may have failed on this very id: still tell TĐC
            campaign = app.campaigns[0]
        ui = PREFECT_UI_URL.value()
        subject, text = alert_text(
            flow.name,
            flow_run.name,
            str(state.message or ""),
            app.now(),
            f"{ui}/runs/flow-run/{flow_run.id}" if ui else None,
        )
        draft = Draft(
            campaign_id=campaign.id,
            recipient_id=None,
            kind="alert",
            slot=str(flow_run.id),
            to=[settings.alert_email],
            subject=subject,
            text=text,
        )
        deliver(app, [draft])
    finally:
        app.engine.dispose()
