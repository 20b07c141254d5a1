"""`baocao serve`: every deployment served from one process (one-machine install)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flows.cli.base import CampaignOpt, UserError, cli, make_app, out

SERVER_HINT = (
    "'baocao serve' cần một Prefect server đang chạy (nếu không, lịch không bao giờ được kích"
    " hoạt): chạy 'prefect server start --host 127.0.0.1 --port 4200' rồi đặt"
    " PREFECT_API_URL=http://127.0.0.1:4200/api."
)


@cli.command()
def serve(
    campaign: CampaignOpt = None,
    limit: Annotated[int, typer.Option(help="Số lượt chạy cùng lúc tối đa.")] = 4,
) -> None:
    """Chạy theo lịch mọi tác vụ (thu thư, quét thư mục, nhắc, lập báo cáo) trong một tiến trình."""
    api_url = os.environ.get("PREFECT_API_URL") or _profile_api_url()
    if not api_url:
        raise UserError(SERVER_HINT)
    app = make_app()
    chosen = app.campaign(campaign)
    from prefect import serve as prefect_serve

    from flows.runs.deployments import runner_deployments

    deployments = runner_deployments(chosen.deadline_at, chosen.report.cron)
    from flows.web.server import maybe_start

    web = maybe_start(app)  # BAOCAO_WEB__PORT set: the web workspace runs beside the schedules
    if web:
        out.print(f"Giao diện web: {web[0]}")
    out.print(
        f"Phục vụ {len(deployments)} tác vụ cho chiến dịch [bold]{chosen.id}[/] qua {api_url}"
        " (giờ Việt Nam). Ctrl-C để dừng (lịch sẽ tạm ngưng)."
    )
    prefect_serve(*deployments, limit=limit, print_starting_message=False)


def _profile_api_url() -> str | None:
    """PREFECT_API_URL from the active Prefect profile, if set there."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None
