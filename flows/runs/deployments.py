"""Deployments: one table for `baocao serve`, checked against prefect.yaml by a test.

Schedules are in the campaign timezone (Asia/Ho_Chi_Minh by default, `BAOCAO_TIMEZONE`).
No schedule names a date: the report right after a deadline is the `deadline-check` flow's
(every 15 minutes it builds the report of each open campaign whose deadline, as its
configuration says at that moment, has passed — once per campaign and deadline, by the
database), so a second campaign or an edited deadline needs no new deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron, RRule

from config.campaign import Campaign
from flows.runs.pipelines import (
    build_report_flow,
    deadline_check_flow,
    full_cycle_flow,
    ingest_folder_flow,
    ingest_mail_flow,
    ocr_queue_flow,
    send_reminders_flow,
)

DEFAULT_TZ = "Asia/Ho_Chi_Minh"  # prefect.yaml is written in it; `baocao serve` uses each campaign's
INGEST_CRON = "*/5 7-17 * * 1-5"  # every 5 minutes in working hours, Monday–Friday
REMINDER_CRON = "0 8 * * *"  # 08:00 daily: remind() sends only on working days (holidays, make-up Saturdays)
REPORT_CRON = "0 17 * * *"  # 17:00 every day
DEADLINE_CRON = "*/15 * * * *"  # every 15 minutes, every day: a deadline may fall on any day
OCR_CRON = "*/10 7-18 * * 1-5"  # scans the polls queued and did not start a run for (a crash, no server)


def deployment_specs(campaigns: Sequence[Campaign]) -> list[dict[str, Any]]:
    """Name, flow, parameters, schedules (cron/rrule strings, timezone) and concurrency of each
    deployment. The mailbox and the shared folder are polled once for every open campaign (one
    poll routes each message to its campaign); reminders and the report follow each campaign's
    own policy, deadline and timezone: with one campaign they keep their plain names, with
    several each campaign gets its own pair, "send-reminders-<id>" and "build-report-<id>".
    The report after each deadline, and the scans a poll queued, are one deployment each for
    every campaign ("deadline-check", "ocr-queue")."""
    shared_tz = campaigns[0].timezone if campaigns else DEFAULT_TZ
    specs: list[dict[str, Any]] = [
        {"name": "ingest-mail", "flow": ingest_mail_flow, "parameters": {}, "tz": shared_tz,
         "schedules": [{"cron": INGEST_CRON}], "limit": 1},
        {"name": "ingest-folder", "flow": ingest_folder_flow, "parameters": {}, "tz": shared_tz,
         "schedules": [{"cron": INGEST_CRON}], "limit": 1},
    ]
    several = len(campaigns) > 1
    for campaign in campaigns:
        suffix, params = (f"-{campaign.id}", {"campaign_id": campaign.id}) if several else ("", {})
        report: list[dict[str, str]] = [{"cron": campaign.report.cron}]
        specs += [
            {"name": f"send-reminders{suffix}", "flow": send_reminders_flow, "parameters": params,
             "tz": campaign.timezone, "schedules": [{"cron": REMINDER_CRON}], "limit": 1},
            {"name": f"build-report{suffix}", "flow": build_report_flow, "parameters": params,
             "tz": campaign.timezone, "schedules": report, "limit": 1},
        ]
    specs += [
        {"name": "deadline-check", "flow": deadline_check_flow, "parameters": {}, "tz": shared_tz,
         "schedules": [{"cron": DEADLINE_CRON}], "limit": 1},
        {"name": "ocr-queue", "flow": ocr_queue_flow, "parameters": {}, "tz": shared_tz,
         "schedules": [{"cron": OCR_CRON}], "limit": 1},
        {"name": "full-cycle", "flow": full_cycle_flow, "parameters": {}, "tz": shared_tz,
         "schedules": [], "limit": 1},
    ]
    return specs


def runner_deployments(campaigns: Sequence[Campaign]) -> list[Any]:
    """RunnerDeployments for prefect.serve, each schedule in its campaign's timezone."""
    deployments = []
    for spec in deployment_specs(campaigns):
        tz = spec["tz"]
        schedules = [
            Cron(s["cron"], timezone=tz) if "cron" in s else RRule(s["rrule"], timezone=tz)
            for s in spec["schedules"]
        ]
        limit = ConcurrencyLimitConfig(
            limit=spec["limit"], collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
        )
        deployments.append(
            spec["flow"].to_deployment(
                name=spec["name"], schedules=schedules, concurrency_limit=limit, tags=["baocao"],
                parameters=spec["parameters"],
            )
        )
    return deployments
