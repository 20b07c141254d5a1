"""Exactly-once keys the schema did not hold

- outbound_mail: at most one mail per (campaign, kind, slot) without a recipient (alerts to
  staff). The unique key (campaign_id, recipient_id, kind, slot) holds a NULL recipient_id
  for them, and NULLs never clash, so two runs could both reserve an alert. Mails already
  recorded twice keep their history: every one but the first of a slot has its id appended
  to its slot (`<slot>/dup-<id>`), then the partial unique index makes a second impossible.
- ocr_job: a partial index on the jobs still to read (queued, running), so the OCR queue's
  look-up does not grow with the finished jobs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NO_RECIPIENT = "recipient_id IS NULL"
PENDING_OCR = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE outbound_mail SET slot = slot || '/dup-' || CAST(id AS VARCHAR(20))"
            " WHERE recipient_id IS NULL AND id NOT IN"
            " (SELECT MIN(id) FROM outbound_mail WHERE recipient_id IS NULL GROUP BY campaign_id, kind, slot)"
        )
    )
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            "ux_outbound_mail_no_recipient_slot", ["campaign_id", "kind", "slot"], unique=True,
            sqlite_where=sa.text(NO_RECIPIENT), postgresql_where=sa.text(NO_RECIPIENT),
        )
    with op.batch_alter_table("ocr_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ocr_job_pending", ["id"], unique=False,
            sqlite_where=sa.text(PENDING_OCR), postgresql_where=sa.text(PENDING_OCR),
        )


def downgrade() -> None:
    with op.batch_alter_table("ocr_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ocr_job_pending", sqlite_where=sa.text(PENDING_OCR), postgresql_where=sa.text(PENDING_OCR))
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_outbound_mail_no_recipient_slot", sqlite_where=sa.text(NO_RECIPIENT), postgresql_where=sa.text(NO_RECIPIENT)
        )
