"""outbound_mail: at most one receipt per message and slot, whichever campaigns it answered

A message answering two campaigns used to get a receipt from each (two rows with the slot
`mail:<id>`). Receipts already recorded that way keep their history: every one but the first
of a slot has the campaign appended to its slot (`mail:<id>/<campaign>`), then the partial
unique index `ux_outbound_mail_receipt_slot` makes a second one impossible.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RECEIPT = "kind = 'receipt'"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE outbound_mail SET slot = slot || '/' || campaign_id"
            " WHERE kind = 'receipt' AND id NOT IN"
            " (SELECT MIN(id) FROM outbound_mail WHERE kind = 'receipt' GROUP BY slot)"
        )
    )
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            "ux_outbound_mail_receipt_slot", ["slot"], unique=True,
            sqlite_where=sa.text(RECEIPT), postgresql_where=sa.text(RECEIPT),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_index("ux_outbound_mail_receipt_slot", sqlite_where=sa.text(RECEIPT), postgresql_where=sa.text(RECEIPT))
