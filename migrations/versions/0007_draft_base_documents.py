"""draft base documents: a draft is relative to what each page showed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan_draft", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "base_document",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("plan_draft", schema=None) as batch_op:
        batch_op.drop_column("base_document")
