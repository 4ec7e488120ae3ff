"""each child's identifiers in other services: NHS number and the local authority's child id;
the next meeting as moved or cancelled (the calendar invitation's event)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 20:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("child") as batch:
        batch.add_column(sa.Column("nhs_number", sa.String(10), nullable=True))
        batch.add_column(sa.Column("local_id", sa.String(20), nullable=True))
    op.create_table(
        "arranged_meeting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("slot", sa.String(40), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.String(5), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
    )
    op.create_index("ix_arranged_meeting_case_id", "arranged_meeting", ["case_id"])


def downgrade():
    op.drop_index("ix_arranged_meeting_case_id", "arranged_meeting")
    op.drop_table("arranged_meeting")
    with op.batch_alter_table("child") as batch:
        batch.drop_column("local_id")
        batch.drop_column("nhs_number")
