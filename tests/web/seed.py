"""A populated database for the web tests: the demo's replies ingested (no IMAP server: each
message goes through `handle_mail` as a poll would hand it over), users of each role."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSWORDS = {"xem": "mat-khau-xem-1", "canbo": "mat-khau-canbo-1", "quantri": "mat-khau-quantri-1"}
ROLES = {"xem": "viewer", "canbo": "editor", "quantri": "admin"}
SECRET = "khoa-bi-mat-cho-kiem-thu-0123456789"


def populated_app(data_dir: Path, config_dir: Path, campaign_id: str | None = None, **settings: Any) -> Any:
    """An App on SQLite in `data_dir` with the demo's ~25 replies (to `campaign_id`, default the
    only campaign) and three users."""
    from config.recipients import read_recipients
    from config.settings import Settings
    from flows.app import App, init
    from flows.dev.demo_data import demo_mails
    from flows.intake.context import make_context
    from flows.intake.mail import handle_mail
    from flows.web.security import hash_password
    from storage.users import add_user

    app = App(Settings(_env_file=None, data_dir=data_dir, config_dir=config_dir,
                       web={"secret_key": SECRET}, **settings))
    init(app)
    campaign = app.campaign(campaign_id)
    ctx = make_context(app, campaign.id)
    for uid, mail in enumerate(demo_mails(campaign, read_recipients(campaign.recipients_path)), start=1):
        with app.session() as session:
            handle_mail(ctx, "demo/INBOX", 1, uid, mail.raw, mail.received, session=session)
    with app.session() as session:
        for name, role in ROLES.items():
            add_user(name, role, hash_password(PASSWORDS[name]), session=session)
    return app


def seed_root(tmp_path_factory: Any) -> Path:
    """Where this test run keeps its seeded folders: the run's temp dir, shared by its xdist
    workers (each worker's own dir is one level down), never by another run."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "seeds"


def seeded_copy(root: Path, key: str, seed: Callable[[Path], None], dest: Path) -> Path:
    """A copy at `dest` of the data folder `seed(folder)` writes, seeded once per test run (the
    first worker to ask seeds it under a lock, the others wait and copy): the demo's replies
    take ~10 s to ingest idle, ~45 s on a busy machine. Every caller gets a fresh copy."""
    root.mkdir(parents=True, exist_ok=True)
    done = root / key
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_dir():
            work = root / f"{key}.partial"
            shutil.rmtree(work, ignore_errors=True)
            seed(work)
            work.rename(done)
    shutil.copytree(done, dest)
    return dest


def two_campaign_app(root: Path, data_dir: Path, config_dir: Path) -> Any:
    """An App over a copy of the demo's replies ingested to Đề án 996 with the second campaign
    open beside it (`config_dir` made by tests.conftest.two_campaign_config), seeded once per run."""
    from config.settings import Settings
    from flows.app import App

    def seed(data: Path) -> None:
        populated_app(data, config_dir, campaign_id="de-an-996").engine.dispose()

    seeded_copy(root, "two-campaigns", seed, data_dir)
    return App(Settings(_env_file=None, data_dir=data_dir, config_dir=config_dir, web={"secret_key": SECRET}))
