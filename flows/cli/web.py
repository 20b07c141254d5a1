"""`baocao web`: the staff web workspace in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.base import cli, make_app, out


@cli.command()
def web(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe (mặc định BAOCAO_WEB__HOST hoặc 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng (mặc định BAOCAO_WEB__PORT hoặc 8080).")] = None,
) -> None:
    """Mở giao diện web cho cán bộ: xem, kiểm tra và chỉnh sửa mọi thứ không cần dòng lệnh."""
    from flows.web.server import (  # lazy: only this command needs it (keeps `baocao --help` fast)
        build,
        serve_forever,
    )

    app = make_app()
    chosen_host = host or app.settings.web.host
    chosen_port = port or app.settings.web.port or 8080
    build(app)  # refuse to start (one line) before printing anything when the key is missing
    address = app.settings.web.base_url or f"http://{chosen_host}:{chosen_port}"
    out.print(f"Giao diện web: {address} (Ctrl-C để dừng). Tạo tài khoản: baocao user add TEN --role editor")
    from flows.runs.webhooks import refresh_report_artifact  # lazy, like the import above

    serve_forever(app, chosen_host, chosen_port, on_report=refresh_report_artifact)
