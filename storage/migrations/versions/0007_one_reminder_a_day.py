"""outbound_mail.reminder_day: at most one reminder per recipient and working day

The automatic run and a person's "nhắc ngay" used different slots, so both could go out the
same day. Every reminder now records its day (campaign time zone) and the unique key
(campaign, reminder_day, recipient) refuses a second one (and finds a day's reminders). Reminders already sent keep a NULL
day (history), so none of them clashes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_day", sa.String(length=10), nullable=True))
        batch_op.create_unique_constraint(
            "uq_outbound_mail_campaign_id_reminder_day_recipient_id", ["campaign_id", "reminder_day", "recipient_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbound_mail_campaign_id_reminder_day_recipient_id", type_="unique")
        batch_op.drop_column("reminder_day")
