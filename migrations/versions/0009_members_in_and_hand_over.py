"""every member in: contact details kept need-to-know, invitations that say why they stopped
working, and hand-overs of the lead social worker role

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("replaced_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.create_index("ix_invitation_member_id", ["member_id"], unique=False)
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_member_id", sa.Integer(), nullable=False),
        sa.Column("to_member_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("previous_lead_leaves", sa.Boolean(), nullable=False),
        sa.Column("to_role", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["from_member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["to_member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_index("ix_handover_case_id", ["case_id"], unique=False)


def downgrade():
    op.drop_table("handover")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_member_id")
        batch_op.drop_column("email")
        batch_op.drop_column("next_path")
        batch_op.drop_column("replaced_at")
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("confidential")
        batch_op.drop_column("address")
