"""An agency whose reply waits for a person is not told it sent nothing (real Dovecot, SQLite
and PostgreSQL): a report sent only as a Drive link, its review item open, holds the agency's
reminder — `baocao remind --dry-run` says why — until a person settles the item."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

VN = dt.timezone(dt.timedelta(hours=7))
# Đề án 996: deadline 15/8/2025; 08/8 (Friday) is the `before-5` slot's day, in the window.
SLOT_DAY = "2025-08-08T09:00:00+07:00"
LINK = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing"


def _cli(app, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOCAO_")}
    env.update(BAOCAO_DATABASE_URL=app.settings.database_url, BAOCAO_DATA_DIR=str(app.settings.data_dir),
               BAOCAO_CONFIG_DIR=str(app.settings.config_dir), COLUMNS="200")
    baocao = str(Path(sys.executable).parent / "baocao")
    return subprocess.run([baocao, *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_link_waiting_for_a_person_holds_the_reminder(mail_app, dovecot, smtp):
    from flows.intake.mail import ingest_mail
    from flows.intake.review import assign_item, dismiss_item
    from flows.outbound.reminders import remind
    from storage.models import ReviewItem
    from tests.integration.test_trust import message

    for frm, mid in (("thanhtra@quangngai.example", "<tt-link@qn.example>"), ("sotp@quangngai.example", "<stp-link@qn.example>")):
        body = f"Kính gửi Sở KH&CN, đơn vị gửi báo cáo sơ kết Đề án 996 theo đường dẫn: {LINK}"
        dovecot.append(message(frm, "Báo cáo Đề án 996", mid, body, []), folder=mail_app.settings.imap.folder,
                       date=dt.datetime(2025, 8, 4, 9, 0, tzinfo=VN))
    items = {i["message_id"]: i for i in ingest_mail(mail_app).to_json()["items"]}
    assert all(i["status"] == "review" and i["classification"] == "link_only" for i in items.values()), items
    with mail_app.session() as s:
        review = {r.inbound_mail_id: r.id for r in s.scalars(select(ReviewItem).where(ReviewItem.status == "open"))}
    sent_before = len(smtp.messages)
    tt, stp = (review[items[m]["inbound_mail_id"]] for m in ("<tt-link@qn.example>", "<stp-link@qn.example>"))

    now = dt.datetime.fromisoformat(SLOT_DAY)
    plan = remind(mail_app, now=now, dry_run=True)
    due = {e["recipient"] for e in plan["would_send"]}
    held = {s["recipient"]: s for s in plan["skipped"] if s.get("held")}
    assert plan["slot"] == "before-5@2025-08-15"
    assert "thanhtra" not in due and "sotp" not in due and "sonv" in due  # the others are reminded
    assert set(held) == {"thanhtra", "sotp"}
    assert held["thanhtra"]["reason"].startswith("thư trả lời của đơn vị đang chờ cán bộ xem xét") and f"mục {tt}" in held["thanhtra"]["reason"]

    # The command a person runs says it too.
    shown = _cli(mail_app, "remind", "--dry-run", "--now", SLOT_DAY)
    assert shown.returncode == 0, shown.stderr
    assert "Tạm hoãn nhắc" in shown.stdout and "thanhtra" in shown.stdout and "chờ cán bộ xem xét" in shown.stdout
    listed = json.loads(_cli(mail_app, "remind", "--dry-run", "--now", SLOT_DAY, "--json").stdout)
    listed = listed[0] if isinstance(listed, list) else listed
    assert {s["recipient"] for s in listed["skipped"] if s.get("held")} == {"thanhtra", "sotp"}

    # Settled: the link recorded as a contact (acknowledged, still reminded by policy), the other dismissed.
    assign_item(mail_app, tt, "thanhtra")
    dismiss_item(mail_app, stp, "liên kết không mở được")
    after = remind(mail_app, now=now, dry_run=True)
    assert {"thanhtra", "sotp"} <= {e["recipient"] for e in after["would_send"]}
    assert not [s for s in after["skipped"] if s.get("held")]
    assert len(smtp.messages) == sent_before  # dry runs: nothing went out
