"""ocr_job: scans queued for their own OCR run (one row per message or dropped file);
deadline_run: the report built right after each campaign's deadline (one per deadline)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ocr_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("inbound_mail_id", sa.Integer(), nullable=True),
        sa.Column("inbound_file_id", sa.Integer(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["inbound_file_id"], ["inbound_file.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inbound_mail_id"], ["inbound_mail.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbound_file_id"),
        sa.UniqueConstraint("inbound_mail_id"),
    )
    with op.batch_alter_table("ocr_job", schema=None) as batch_op:
        batch_op.create_index("ix_ocr_job_status", ["status"], unique=False)
    op.create_table(
        "deadline_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "deadline_at"),
    )


def downgrade() -> None:
    op.drop_table("deadline_run")
    with op.batch_alter_table("ocr_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ocr_job_status")
    op.drop_table("ocr_job")
