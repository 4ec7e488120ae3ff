"""the meeting holds the procedure: reminders sent once each, and a member's choice not to
receive them

Meeting records move to schema 1.1.0 as they are next written (new optional fields only); a
meeting may now be "abandoned" (its reason in the record). Neither needs a column.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:45:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member") as batch:
        batch.add_column(
            sa.Column("wants_reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("member_id", "kind", "subject", name="uq_reminder_once"),
    )
    op.create_index("ix_reminder_case_id", "reminder", ["case_id"])


def downgrade():
    op.drop_index("ix_reminder_case_id", table_name="reminder")
    op.drop_table("reminder")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("wants_reminders")
