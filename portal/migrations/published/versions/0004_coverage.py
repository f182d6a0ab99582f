"""coverage: the days each programme's data of each family covers (its own as-of date)

Revision ID: 7c2d9e4f1a60
Revises: 5e1f0c2b7d93
Create Date: 2026-11-30 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c2d9e4f1a60"
down_revision = "5e1f0c2b7d93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("release_id", sa.String(length=32), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("release_id", "programme", "family"),
    )


def downgrade() -> None:
    op.drop_table("coverage")
