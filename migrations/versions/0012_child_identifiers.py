"""each child's identifiers in other services: NHS number and the local authority's child id

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


def downgrade():
    with op.batch_alter_table("child") as batch:
        batch.drop_column("local_id")
        batch.drop_column("nhs_number")
