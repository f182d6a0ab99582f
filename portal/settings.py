"""Typed settings from the environment (``PORTAL_*``), read through a cached ``get_settings()``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    data_dir: Path = PROJECT_ROOT / "data"
    working_url: str | None = None
    published_url: str | None = None
    # The deployment's secret for pseudonyms; when unset, ``data_dir/pseudonym.key`` is used.
    pseudonym_key: SecretStr | None = None
    # The separate secret for donors' receipt checks; when unset, ``data_dir/receipt.key``.
    receipt_key: SecretStr | None = None
    # Fingerprints (``portal init`` prints them; not secret) of the keys whose releases this
    # portal may show, comma-separated: a portal host need not hold the pseudonym key itself.
    key_fingerprints: str = ""
    lang: str | None = None
    # the portal's public address, for permalinks and citations built outside a visit (the
    # board pack from the command line); pages use the address the visitor reached
    public_url: str | None = None
    # the charity that publishes the portal: the author of its board packs (PORTAL_PUBLISHER)
    publisher: str | None = None
    k: int = 10
    # what publish's DuckDB may hold in memory before it spills to the private scratch area
    # (PORTAL_PUBLISH_MEMORY, DuckDB's units: "3GB", "500MB"); the process's peak is this plus
    # the Arrow rows read and the cells (docs/performance.md)
    publish_memory: str = "1GB"

    @property
    def working_store_url(self) -> str:
        return self.working_url or f"sqlite:///{self.data_dir / 'working.db'}"

    @property
    def published_store_url(self) -> str:
        return self.published_url or f"sqlite:///{self.data_dir / 'portal.db'}"

    @property
    def pseudonym_key_file(self) -> Path:
        return self.data_dir / "pseudonym.key"

    @property
    def receipt_key_file(self) -> Path:
        return self.data_dir / "receipt.key"


@cache
def get_settings() -> Settings:
    return Settings()
