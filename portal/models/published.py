"""The public published store: aggregate cells and release metadata only.

No pseudonym, no row about a person, no free text from raw files. Every release is kept; the
current one is the newest, and a release becomes visible in the one transaction that writes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class PublishedModel(SQLModel, registry=registry()):
    pass


metadata = PublishedModel.metadata


class Release(PublishedModel, table=True):
    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=32, unique=True)  # e.g. 2024-01-15.1
    created_at: dt.datetime
    as_of: dt.date
    k: int
    is_sample: bool = False
    note: str | None = None
    key_fingerprint: str | None = Field(default=None, max_length=64)


class ReleaseBatch(PublishedModel, table=True):
    """A source file behind a release (name, checksum, rows loaded and rejected)."""

    __tablename__ = "release_batch"
    id: int | None = Field(default=None, primary_key=True)
    release_id: str = Field(foreign_key="release.id", max_length=32, index=True)
    kind: str = Field(max_length=32)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    rows: int
    loaded: int
    rejected: int
    loaded_at: dt.datetime


class Label(PublishedModel, table=True):
    """Names of the programmes and regions a release covers (reference data, not people)."""

    release_id: str = Field(foreign_key="release.id", max_length=32, primary_key=True)
    dimension: str = Field(max_length=16, primary_key=True)  # programme | region
    code: str = Field(max_length=32, primary_key=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    parent_code: str | None = Field(default=None, max_length=32)
    started_on: dt.date | None = None
    description_zh: str | None = None
    description_en: str | None = None


class Standard(PublishedModel, table=True):
    """A programme's yearly allowance per child by stage, as loaded."""

    release_id: str = Field(foreign_key="release.id", max_length=32, primary_key=True)
    programme: str = Field(max_length=32, primary_key=True)
    stage: str = Field(max_length=32, primary_key=True)
    yearly_yuan: float


class Coverage(PublishedModel, table=True):
    """The days a programme's data of one family covers (donations, disbursements, register,
    service), and for ``all`` the union: which kinds of figure a programme has at all, and its
    own as-of date (the last day it reported), which may be earlier than the release's."""

    release_id: str = Field(foreign_key="release.id", max_length=32, primary_key=True)
    programme: str = Field(max_length=32, primary_key=True)
    family: str = Field(max_length=16, primary_key=True)
    first_day: dt.date
    last_day: dt.date


class Cell(PublishedModel, table=True):
    """One published number. A null dimension means "all of it, no breakdown"."""

    __table_args__ = (Index("ix_cell_lookup", "release_id", "programme", "period", "figure"),)
    id: int | None = Field(default=None, primary_key=True)
    release_id: str = Field(foreign_key="release.id", max_length=32)
    figure: str = Field(max_length=32)
    programme: str = Field(max_length=32)
    period: str = Field(max_length=8)
    region: str | None = Field(default=None, max_length=6)
    stage: str | None = Field(default=None, max_length=32)
    category: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=32)
    donor_type: str | None = Field(default=None, max_length=32)
    volunteer_type: str | None = Field(default=None, max_length=32)
    activity: str | None = Field(default=None, max_length=32)
    purpose: str | None = Field(default=None, max_length=32)
    value: float | None = None
    status: str = Field(max_length=10)  # published | withheld
    reason: str | None = Field(default=None, max_length=16)  # primary | dominance | complementary


class Correction(PublishedModel, table=True):
    """A figure of the previous release that this release changes."""

    id: int | None = Field(default=None, primary_key=True)
    release_id: str = Field(foreign_key="release.id", max_length=32, index=True)
    previous_release_id: str = Field(max_length=32)
    figure: str = Field(max_length=32)
    programme: str = Field(max_length=32)
    period: str = Field(max_length=8)
    dimensions: str = Field(max_length=200)  # "region=320614,stage=primary" or ""
    old_value: float | None = None
    new_value: float | None = None
    old_status: str = Field(max_length=10)
    new_status: str = Field(max_length=10)
    note: str | None = None


class Receipt(PublishedModel, table=True):
    """A donation, as a donor can check it: only a keyed hash of (receipt number, amount in
        fen) under the receipt key (not the pseudonym key), with the programme and month it is
        counted in. Without the right amount a receipt number finds nothing, so the table never
        says whether a receipt number exists. Each publish adds the new gifts and removes those no
    longer in the data (a corrected amount is a new digest), in the release's transaction."""

    # on SQLite clustered on the digest (migration 0003): one B-tree instead of a table and an index
    __table_args__ = {"sqlite_with_rowid": False}
    digest: str = Field(primary_key=True, max_length=64)
    programme: str = Field(max_length=32)
    month: str = Field(max_length=7)
    release_id: str = Field(max_length=32)  # the release that first counted the gift
