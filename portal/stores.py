"""Creating and migrating the two stores (Alembic, from the first version)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
STORES = ("working", "published")


def alembic_config(store: str, connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / store))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, store: str) -> None:
    """Bring a store's schema to the newest revision (creates it when empty)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(store, connection), "head")


def revision(engine: Engine, store: str, message: str) -> None:
    """Developer helper: autogenerate a migration from the models (``portal`` devs only)."""
    with engine.begin() as connection:
        command.revision(alembic_config(store, connection), message=message, autogenerate=True)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
