"""Serving the deployments from one process (`baocao serve`, the demo), and Prefect facts the
other rooms need without importing Prefect themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import serve
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL

from flows.runs.deployments import REPORT_CRON, runner_deployments


def profile_api_url() -> str | None:
    """PREFECT_API_URL from the active Prefect profile, if set there."""
    return PREFECT_API_URL.value() or None


def serve_campaign(deadline_at: dt.datetime | None, report_cron: str = REPORT_CRON, *, limit: int = 4) -> None:
    """Serve every deployment with the campaign's schedules until Ctrl-C (blocks)."""
    serve(*runner_deployments(deadline_at, report_cron), limit=limit, print_starting_message=False)


def deployment_count(deadline_at: dt.datetime | None) -> int:
    return len(runner_deployments(deadline_at))


def flush_api_logs(*_: Any) -> None:
    """Send the buffered run logs to the server (before a short-lived process exits)."""
    APILogHandler().flush()
