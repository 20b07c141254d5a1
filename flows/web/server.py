"""Running the web workspace: in the foreground (`baocao web`), or in a thread beside other
work (`baocao serve` when BAOCAO_WEB__PORT is set, the demo) via `start_in_thread`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from config.errors import ConfigError
from flows.app import App
from flows.web.app import create_app
from flows.web.security import hash_password, new_token
from storage.users import add_user, user_by_name

# One line on an 80-column terminal (the README says how to make a key).
NO_SECRET = "chưa đặt BAOCAO_WEB__SECRET_KEY, khóa ký phiên đăng nhập (xem README)"
DEMO_USER = "demo"


def secret_key(app: App, *, demo: bool = False) -> str:
    """The session signing key; the demo makes one up, everything else must be configured."""
    key = app.settings.web.secret_key
    value = key.get_secret_value().strip() if key else ""
    if value:
        if len(value) < 16 and not demo:
            raise ConfigError("BAOCAO_WEB__SECRET_KEY quá ngắn: cần ít nhất 16 ký tự ngẫu nhiên")
        return value
    if demo:
        return new_token()
    raise ConfigError(NO_SECRET)


def build(app: App, *, demo: bool = False, on_report: Any = None) -> Any:
    """The FastAPI application for this baocao App (checks the secret key first); `on_report`:
    see `create_app`."""
    return create_app(app, secret_key=secret_key(app, demo=demo), secure_cookies=app.settings.web.secure_cookies,
                      on_report=on_report)


def _server(asgi: Any, host: str, port: int) -> Any:
    config = uvicorn.Config(asgi, host=host, port=port, log_level="warning", access_log=False,
                            proxy_headers=False, server_header=False)
    return uvicorn.Server(config)


def serve_forever(app: App, host: str, port: int, *, on_report: Any = None) -> None:
    """Serve until Ctrl-C (the foreground `baocao web`)."""
    _server(build(app, on_report=on_report), host, port).run()


def start_in_thread(app: App, host: str = "127.0.0.1", port: int = 8080, *, demo: bool = False,
                    timeout: float = 30.0, on_report: Any = None) -> tuple[str, Callable[[], None]]:
    """Start the web workspace in a daemon thread; (its address, a function that stops it)."""
    server = _server(build(app, demo=demo, on_report=on_report), host, port)
    thread = threading.Thread(target=server.run, name="baocao-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"không mở được giao diện web tại {host}:{port} (cổng bận?)")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - only naming the address
    base = app.settings.web.base_url
    return (base.rstrip("/") if base else f"http://{shown}:{server.servers[0].sockets[0].getsockname()[1] if port == 0 else port}"), stop


def ensure_demo_user(app: App) -> tuple[str, str]:
    """An admin account `demo` with a fresh random password, for the demo (printed by it)."""
    password = new_token()[:12]
    with app.session() as session:
        user = user_by_name(DEMO_USER, session=session)
        if user is None:
            add_user(DEMO_USER, "admin", hash_password(password), session=session)
        else:
            user.password_hash, user.active, user.role = hash_password(password), True, "admin"
    return DEMO_USER, password


def maybe_start(app: App) -> tuple[str, Callable[[], None]] | None:
    """For `baocao serve`: the web workspace in a thread when BAOCAO_WEB__PORT is set."""
    web = app.settings.web
    if not web.port:
        return None
    return start_in_thread(app, web.host, web.port)
