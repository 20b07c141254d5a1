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
    chosen = app.chosen_campaigns(campaign)  # every open campaign unless one is named
    # lazy: Prefect and the web server load only for this command (keeps `baocao --help` fast)
    from flows.runs.serving import deployment_names, serve_campaigns  # noqa: PLC0415 — see above
    from flows.web.server import maybe_start  # noqa: PLC0415 — see above

    web = maybe_start(app)  # BAOCAO_WEB__PORT set: the web workspace runs beside the schedules
    if web:
        out.print(f"Giao diện web: {web[0]}")
    names = ", ".join(c.id for c in chosen)
    out.print(
        f"Phục vụ {len(deployment_names(chosen))} tác vụ cho {len(chosen)} chiến dịch [bold]{names}[/] qua {api_url}"
        " (giờ Việt Nam; hộp thư và thư mục chung quét một lần cho mọi chiến dịch). Ctrl-C để dừng (lịch sẽ tạm ngưng)."
    )
    serve_campaigns(chosen, limit=limit)


def _profile_api_url() -> str | None:
    """PREFECT_API_URL from the active Prefect profile, if set there."""
    from flows.runs.serving import profile_api_url  # noqa: PLC0415 — lazy: loads Prefect

    return profile_api_url()
