"""Serving the deployments from one process (`baocao serve`, the demo), and Prefect facts the
other rooms need without importing Prefect themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import serve
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL

from config.campaign import Campaign
from flows.runs.deployments import deployment_specs, runner_deployments


def profile_api_url() -> str | None:
    """PREFECT_API_URL from the active Prefect profile, if set there."""
    return PREFECT_API_URL.value() or None


def serve_campaigns(campaigns: Sequence[Campaign], *, limit: int = 4) -> None:
    """Serve every deployment of these campaigns (one mailbox and folder poll for all, reminders
    and the report for each, in its timezone) until Ctrl-C."""
    serve(*runner_deployments(campaigns), limit=limit, print_starting_message=False)


def deployment_names(campaigns: Sequence[Campaign]) -> list[str]:
    """The deployments `serve_campaigns` serves."""
    return [spec["name"] for spec in deployment_specs(campaigns)]


def flush_api_logs(*_: Any) -> None:
    """Send the buffered run logs to the server (before a short-lived process exits)."""
    APILogHandler().flush()
