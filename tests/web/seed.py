"""A populated database for the web tests: the demo's replies ingested (no IMAP server: each
message goes through `handle_mail` as a poll would hand it over), users of each role."""

from __future__ import annotations

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
