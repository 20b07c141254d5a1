"""Serving the deployments from one process (`baocao serve`, the demo), and Prefect facts the
other rooms need without importing Prefect themselves."""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL

from config.campaign import Campaign
from flows.runs.deployments import deployment_specs, runner_deployments


def profile_api_url() -> str | None:
    """PREFECT_API_URL from the active Prefect profile, if set there."""
    return PREFECT_API_URL.value() or None


def serve_campaign(campaign: Campaign, *, limit: int = 4) -> None:
    """Serve every deployment with the campaign's schedules (its timezone) until Ctrl-C."""
    deployments = runner_deployments(campaign.deadline_at, campaign.report.cron, campaign.timezone)
    serve(*deployments, limit=limit, print_starting_message=False)


def deployment_count(campaign: Campaign) -> int:
    """How many deployments `serve_campaign` serves."""
    return len(deployment_specs(campaign.deadline_at, campaign.report.cron, campaign.timezone))


def flush_api_logs(*_: Any) -> None:
    """Send the buffered run logs to the server (before a short-lived process exits)."""
    APILogHandler().flush()
