"""audit chains per case, chaining a hash of each event's content

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00

Every existing event is checked against the one chain it was written on, then put on its
case's (or person's) chain. A chain that does not check out stops the upgrade: re-chaining it
would hide the tampering.
"""

import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
TRIGGERS = {
    "sqlite": (
        [
            "DROP TRIGGER IF EXISTS audit_event_no_update",
            "DROP TRIGGER IF EXISTS audit_event_no_delete",
        ],
        [
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        ],
    ),
    "postgresql": (
        ["ALTER TABLE audit_event DISABLE TRIGGER USER"],
        ["ALTER TABLE audit_event ENABLE TRIGGER USER"],
    ),
}


def _old_digest(prev, at, user_id, case_id, action, target, ip):
    body = json.dumps(
        [prev, at.isoformat(timespec="microseconds"), user_id, case_id, action, target, ip],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _content(at, user_id, case_id, action, target, ip):
    body = json.dumps(
        [at.isoformat(timespec="microseconds"), user_id, case_id, action, target, ip],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _link(chain, seq, prev, content):
    return hashlib.sha256(
        json.dumps([chain, seq, prev, content], separators=(",", ":")).encode()
    ).hexdigest()


def _at(value):
    if isinstance(value, str):  # SQLite through a plain connection
        import datetime as dt

        return dt.datetime.fromisoformat(value)
    return value


def upgrade():
    bind = op.get_bind()
    drop, create = TRIGGERS.get(bind.dialect.name, ([], []))
    for statement in drop:
        op.execute(statement)
    op.create_table(
        "audit_chain",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))

    rows = bind.execute(
        sa.text(
            "SELECT id, at, user_id, case_id, action, target, ip, prev_hash, hash FROM audit_event ORDER BY id"
        )
    ).all()
    prev = GENESIS
    ends = {}
    for row in rows:
        at = _at(row.at)
        if (
            row.prev_hash != prev
            or _old_digest(prev, at, row.user_id, row.case_id, row.action, row.target, row.ip)
            != row.hash
        ):
            raise RuntimeError(
                f"Audit event {row.id} has been tampered with: run `flask audit verify` on the "
                "previous release and investigate before upgrading."
            )
        prev = row.hash
        chain = (
            f"case/{row.case_id}"
            if row.case_id is not None
            else (f"user/{row.user_id}" if row.user_id is not None else "system")
        )
        length, head = ends.get(chain, (0, GENESIS))
        content = _content(at, row.user_id, row.case_id, row.action, row.target, row.ip)
        digest = _link(chain, length + 1, head, content)
        bind.execute(
            sa.text(
                "UPDATE audit_event SET chain = :chain, seq = :seq, content_hash = :content, "
                "prev_hash = :prev, hash = :hash WHERE id = :id"
            ),
            {
                "chain": chain,
                "seq": length + 1,
                "content": content,
                "prev": head,
                "hash": digest,
                "id": row.id,
            },
        )
        ends[chain] = (length + 1, digest)
    if ends:
        bind.execute(
            sa.text("INSERT INTO audit_chain (name, length, head) VALUES (:name, :length, :head)"),
            [
                {"name": name, "length": length, "head": head}
                for name, (length, head) in ends.items()
            ],
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("content_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_audit_event_chain_seq", ["chain", "seq"])
    for statement in create:
        op.execute(statement)


def downgrade():
    raise RuntimeError("The audit chains cannot be merged back into one: restore a backup instead.")
