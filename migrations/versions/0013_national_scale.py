"""an index on every foreign key (a page's query never scans a table that grows with the
database); the dashboard's due items, My tasks' task items and each case's next dates, kept
per case when its records are written

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:50:00

"""

from contextlib import nullcontext

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXED = [
    ("arranged_meeting", "changed_by_id"),
    ("audit_event", "user_id"),
    ("child_plan", "ended_by_id"),
    ("circulation", "member_id"),
    ("circulation", "sent_by_id"),
    ("conference_request", "answered_by_id"),
    ("conference_request", "requested_by_id"),
    ("handover", "from_member_id"),
    ("handover", "recorded_by_id"),
    ("handover", "to_member_id"),
    ("invitation", "created_by_id"),
    ("meeting", "completed_by_id"),
    ("member", "user_id"),
    ("plan_draft", "user_id"),
    ("plan_version", "author_id"),
    ("presence", "user_id"),
    ("review_conference", "recorded_by_id"),
    ("set_aside", "user_id"),
    ("subject_access_release", "released_by_id"),
]


def upgrade():
    op.create_table(
        "due_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("meeting_number", sa.Integer(), nullable=True),
        sa.Column("need_number", sa.Integer(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(), nullable=True),
    )
    op.create_index("ix_due_item_case_id", "due_item", ["case_id"])
    op.create_table(
        "task_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("need", sa.String(), nullable=True),
        sa.Column("what", sa.String(), nullable=True),
        sa.Column("by_when", sa.Date(), nullable=True),
        sa.Column("status", sa.String(40), nullable=True),
    )
    op.create_index("ix_task_item_case_id", "task_item", ["case_id"])
    op.create_index("ix_task_item_member_id", "task_item", ["member_id"])
    op.create_table(
        "case_dates",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("next_meeting", sa.Date(), nullable=True),
        sa.Column("next_meeting_due", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
    )
    # On PostgreSQL, built without blocking writes to a large table (outside a transaction).
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.get_context().autocommit_block() if postgres else nullcontext():
        for table, column in INDEXED:
            op.create_index(
                f"ix_{table}_{column}",
                table,
                [column],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        # A case's audit events by time, in place of by case alone.
        op.create_index(
            "ix_audit_event_case_id_at",
            "audit_event",
            ["case_id", "at"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index("ix_audit_event_case_id", "audit_event", postgresql_concurrently=True)
    # Every case's due items, from its records, with the code that keeps them from now on.
    from coregroup import dueitems

    with Session(bind=op.get_bind()) as session:
        dueitems.rebuild(session=session)


def downgrade():
    op.create_index("ix_audit_event_case_id", "audit_event", ["case_id"])
    op.drop_index("ix_audit_event_case_id_at", "audit_event")
    for table, column in INDEXED:
        op.drop_index(f"ix_{table}_{column}", table)
    op.drop_table("case_dates")
    op.drop_index("ix_task_item_member_id", "task_item")
    op.drop_index("ix_task_item_case_id", "task_item")
    op.drop_table("task_item")
    op.drop_index("ix_due_item_case_id", "due_item")
    op.drop_table("due_item")
