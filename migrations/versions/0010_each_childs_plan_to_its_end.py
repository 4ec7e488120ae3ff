"""each child's plan to its end: a plan status per child (its categories, start, end and
reason), review conferences with their outcomes, early conference requests, family members
linked to their own children, closed cases, legal holds, subject access releases

The data moves: a case's shared categories become one plan per child with those categories
(started at the case's initial conference); a recorded review conference becomes a review
conference at which every plan continued; every family member is linked to every child of
their case (so what they saw before, they see now); a meeting that asked for a conference
becomes an open request.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:40:00

"""

import datetime as dt
import json
import secrets
import uuid

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
FAMILY_ROLES = ("parent", "carer", "child")


def _day(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("legal_hold_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("reduced_on", sa.Date(), nullable=True))
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column("expected_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("added_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_child_case_id", ["case_id"], unique=False)
    op.create_table(
        "member_child",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("member_id", "child_id"),
    )
    with op.batch_alter_table("member_child", schema=None) as batch_op:
        batch_op.create_index("ix_member_child_child_id", ["child_id"], unique=False)
    op.create_table(
        "review_conference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("chair", sa.String(length=200), nullable=True),
        sa.Column("outcomes", Document, nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_conference", schema=None) as batch_op:
        batch_op.create_index("ix_review_conference_case_id", ["case_id"], unique=False)
    op.create_table(
        "child_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("categories", Document, nullable=False),
        sa.Column("initial_categories", Document, nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("end_note", sa.String(length=1000), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["ended_by_id"], ["review_conference.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_id", "number", name="uq_child_plan_number"),
    )
    with op.batch_alter_table("child_plan", schema=None) as batch_op:
        batch_op.create_index("ix_child_plan_child_id", ["child_id"], unique=False)
    op.create_table(
        "conference_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("meeting_number", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answered_by_id"], ["review_conference.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conference_request", schema=None) as batch_op:
        batch_op.create_index("ix_conference_request_case_id", ["case_id"], unique=False)
    op.create_table(
        "subject_access_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=48), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("released", Document, nullable=False),
        sa.Column("withheld", Document, nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["released_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subject_access_release", schema=None) as batch_op:
        batch_op.create_index("ix_subject_access_release_case_id", ["case_id"], unique=False)

    _move_data(op.get_bind())

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint("uq_case_uid", ["uid"])
        batch_op.drop_column("categories")
        batch_op.drop_column("last_review_conference")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.alter_column("ref", existing_type=sa.String(length=48), nullable=False)
        batch_op.create_unique_constraint("uq_child_ref", ["ref"])


def _move_data(bind):
    meta = sa.MetaData()
    case = sa.Table("case", meta, autoload_with=bind)
    child = sa.Table("child", meta, autoload_with=bind)
    member = sa.Table("member", meta, autoload_with=bind)
    meeting = sa.Table("meeting", meta, autoload_with=bind)
    member_child = sa.Table("member_child", meta, autoload_with=bind)
    child_plan = sa.Table("child_plan", meta, autoload_with=bind)
    review = sa.Table("review_conference", meta, autoload_with=bind)
    request = sa.Table("conference_request", meta, autoload_with=bind)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for row in bind.execute(sa.select(case)).mappings().all():
        bind.execute(case.update().where(case.c.id == row["id"]).values(uid=str(uuid.uuid4())))
        categories = list(_json(row["categories"]) or [])
        started = _day(row["initial_conference"]) or _day(row["created_at"])
        children = (
            bind.execute(
                sa.select(child.c.id).where(child.c.case_id == row["id"]).order_by(child.c.id)
            )
            .scalars()
            .all()
        )
        refs = {}
        for child_id in children:
            refs[child_id] = "c-" + secrets.token_hex(6)
            bind.execute(child.update().where(child.c.id == child_id).values(ref=refs[child_id]))
            bind.execute(
                child_plan.insert().values(
                    child_id=child_id,
                    number=1,
                    categories=categories,
                    initial_categories=categories,
                    started_on=started,
                )
            )
        family = (
            bind.execute(
                sa.select(member.c.id).where(
                    member.c.case_id == row["id"], member.c.role.in_(FAMILY_ROLES)
                )
            )
            .scalars()
            .all()
        )
        for member_id in family:
            for child_id in children:
                bind.execute(member_child.insert().values(member_id=member_id, child_id=child_id))
        if row["last_review_conference"] is not None:
            bind.execute(
                review.insert().values(
                    case_id=row["id"],
                    held_on=_day(row["last_review_conference"]),
                    outcomes={
                        refs[c]: {"outcome": "continue", "categories": categories} for c in children
                    },
                    recorded_at=now,
                )
            )
        for number, record in bind.execute(
            sa.select(meeting.c.number, meeting.c.record).where(
                meeting.c.case_id == row["id"], meeting.c.status == "completed"
            )
        ).all():
            record = _json(record) or {}
            if record.get("conferenceDecision") == "request-conference" and record.get("date"):
                bind.execute(
                    request.insert().values(
                        case_id=row["id"],
                        requested_on=_day(record["date"]),
                        meeting_number=number,
                    )
                )
    # A child left without a case's row (none should be) still gets a reference.
    for child_id in bind.execute(sa.select(child.c.id).where(child.c.ref.is_(None))).scalars():
        bind.execute(
            child.update().where(child.c.id == child_id).values(ref="c-" + secrets.token_hex(6))
        )


def downgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("categories", Document, nullable=True))
        batch_op.add_column(sa.Column("last_review_conference", sa.Date(), nullable=True))
    bind = op.get_bind()
    meta = sa.MetaData()
    case = sa.Table("case", meta, autoload_with=bind)
    child = sa.Table("child", meta, autoload_with=bind)
    child_plan = sa.Table("child_plan", meta, autoload_with=bind)
    review = sa.Table("review_conference", meta, autoload_with=bind)
    for case_id in bind.execute(sa.select(case.c.id)).scalars().all():
        categories = []
        plans = bind.execute(
            sa.select(child_plan.c.categories)
            .join(child, child.c.id == child_plan.c.child_id)
            .where(child.c.case_id == case_id, child_plan.c.ended_on.is_(None))
        ).scalars()
        for found in plans:
            categories += [c for c in _json(found) if c not in categories]
        last = bind.execute(
            sa.select(sa.func.max(review.c.held_on)).where(review.c.case_id == case_id)
        ).scalar()
        bind.execute(
            case.update()
            .where(case.c.id == case_id)
            .values(categories=categories, last_review_conference=last)
        )
    op.drop_table("subject_access_release")
    op.drop_table("conference_request")
    op.drop_table("child_plan")
    op.drop_table("review_conference")
    op.drop_table("member_child")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_constraint("uq_child_ref", type_="unique")
        batch_op.drop_index("ix_child_case_id")
        batch_op.drop_column("added_on")
        batch_op.drop_column("expected_on")
        batch_op.drop_column("ref")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_constraint("uq_case_uid", type_="unique")
        batch_op.drop_column("reduced_on")
        batch_op.drop_column("legal_hold_reason")
        batch_op.drop_column("legal_hold")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("uid")
