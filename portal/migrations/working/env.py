"""Alembic environment of the working store; run through portal.stores.migrate()."""

from alembic import context

from portal.models.working import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    version_table="alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
