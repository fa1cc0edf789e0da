"""Published revisions get a version number (1, 2, 3 per flow), an optional name and an author.

``number`` stays the draft revision that was published (every accepted patch bumps it, so a
first publish could be "revision 40"); people read ``version`` instead. Existing rows are
numbered in publish order; their name and author are unknown (NULL).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_revisions") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("author", sa.String(64), nullable=True))
    op.execute("UPDATE flow_revisions SET version = (SELECT count(*) FROM flow_revisions r2 WHERE "
               "r2.customer_id = flow_revisions.customer_id AND r2.flow_id = flow_revisions.flow_id "
               "AND r2.number <= flow_revisions.number)")


def downgrade() -> None:
    with op.batch_alter_table("flow_revisions") as batch:
        batch.drop_column("author")
        batch.drop_column("name")
        batch.drop_column("version")
