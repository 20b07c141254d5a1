"""Deployments: one table for `baocao serve`, checked against prefect.yaml by a test.

Schedules are in the campaign timezone (Asia/Ho_Chi_Minh by default, `BAOCAO_TIMEZONE`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron, RRule

from flows.runs.pipelines import (
    build_report_flow,
    full_cycle_flow,
    ingest_folder_flow,
    ingest_mail_flow,
    send_reminders_flow,
)

DEFAULT_TZ = "Asia/Ho_Chi_Minh"  # prefect.yaml is written in it; `baocao serve` uses the campaign's
INGEST_CRON = "*/5 7-17 * * 1-5"  # every 5 minutes in working hours, Monday–Friday
REMINDER_CRON = "0 8 * * *"  # 08:00 daily: remind() sends only on working days (holidays, make-up Saturdays)
REPORT_CRON = "0 17 * * *"  # 17:00 every day


def deadline_rrule(deadline_at: dt.datetime) -> str:
    """A one-shot RRULE firing right after the deadline (local time), for the report."""
    after = (deadline_at + dt.timedelta(seconds=1)).replace(second=0, microsecond=0)
    return f"DTSTART:{after:%Y%m%dT%H%M%S}\nRRULE:FREQ=DAILY;COUNT=1"


def deployment_specs(
    deadline_at: dt.datetime | None, report_cron: str = REPORT_CRON, tz: str = DEFAULT_TZ
) -> list[dict[str, Any]]:
    """Name, flow, schedules (cron/rrule strings) and concurrency of each deployment."""
    report: list[dict[str, str]] = [{"cron": report_cron}]
    if deadline_at is not None:
        report.append({"rrule": deadline_rrule(deadline_at.astimezone(ZoneInfo(tz)))})
    return [
        {"name": "ingest-mail", "flow": ingest_mail_flow, "schedules": [{"cron": INGEST_CRON}], "limit": 1},
        {"name": "ingest-folder", "flow": ingest_folder_flow, "schedules": [{"cron": INGEST_CRON}], "limit": 1},
        {"name": "send-reminders", "flow": send_reminders_flow, "schedules": [{"cron": REMINDER_CRON}], "limit": 1},
        {"name": "build-report", "flow": build_report_flow, "schedules": report, "limit": 1},
        {"name": "full-cycle", "flow": full_cycle_flow, "schedules": [], "limit": 1},
    ]


def runner_deployments(
    deadline_at: dt.datetime | None, report_cron: str = REPORT_CRON, tz: str = DEFAULT_TZ
) -> list[Any]:
    """RunnerDeployments for prefect.serve, schedules in the campaign's timezone."""
    deployments = []
    for spec in deployment_specs(deadline_at, report_cron, tz):
        schedules = [
            Cron(s["cron"], timezone=tz) if "cron" in s else RRule(s["rrule"], timezone=tz)
            for s in spec["schedules"]
        ]
        limit = ConcurrencyLimitConfig(
            limit=spec["limit"], collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        )
        deployments.append(
            spec["flow"].to_deployment(
                name=spec["name"], schedules=schedules, concurrency_limit=limit, tags=["baocao"]
            )
        )
    return deployments
