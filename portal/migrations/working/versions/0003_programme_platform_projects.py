"""programme.platform_project_ids: the fundraising-platform projects whose orders are the
programme's gifts (``tencent:237449;…``), read by the platform order loader (loaders/platforms.py)

Revision ID: 0003_programme_platform_projects
Revises: 0002_drop_programme_indexes
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_programme_platform_projects"
down_revision = "0002_drop_programme_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_project_ids", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("platform_project_ids")
