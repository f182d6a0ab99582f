"""The private working store: person-level rows, pseudonymous, never served.

People are integer surrogate keys (``person.id``); the HMAC pseudonym is kept once, in
``person``. No name, ID number, phone, address, school, guardian or bank account is a column
here, by design: the loaders have nowhere to put one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class WorkingModel(SQLModel, registry=registry()):
    pass


metadata = WorkingModel.metadata


class Meta(WorkingModel, table=True):
    """Store-wide facts: the pseudonym key's fingerprint, whether the data is synthetic."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class Batch(WorkingModel, table=True):
    """One load of one file."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    rows: int
    loaded: int
    rejected: int
    loaded_at: dt.datetime


class Programme(WorkingModel, table=True):
    code: str = Field(primary_key=True, max_length=32)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    started_on: dt.date
    description_zh: str | None = None
    description_en: str | None = None
    # fundraising-platform projects whose orders are this programme's gifts: "tencent:237449;…"
    platform_project_ids: str | None = None
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Region(WorkingModel, table=True):
    code: str = Field(primary_key=True, max_length=6)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    parent_code: str | None = Field(default=None, max_length=6)
    # Counties and districts are published; cities group them (privacy.md: no finer level).
    public: bool = True
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class StageStandard(WorkingModel, table=True):
    """A programme's yearly allowance per child for one stage (the figure pages set beside
    the average per child)."""

    __tablename__ = "stage_standard"
    programme: str = Field(primary_key=True, foreign_key="programme.code", max_length=32)
    stage: str = Field(primary_key=True, max_length=32)
    yearly_fen: int
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Person(WorkingModel, table=True):
    """The only place a pseudonym is kept; every other table links by ``id``."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(max_length=64, unique=True)


class Donation(WorkingModel, table=True):
    receipt_no: str = Field(primary_key=True, max_length=64)
    programme: str = Field(foreign_key="programme.code", max_length=32)
    donated_on: dt.date
    amount_fen: int  # negative on a refund row
    is_refund: bool = False
    channel: str = Field(max_length=32)
    platform: str | None = Field(default=None, max_length=64)  # finer channel detail
    donor_type: str = Field(max_length=32)
    donor_id: int | None = Field(default=None, foreign_key="person.id")
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Child(WorkingModel, table=True):
    """A child on a programme's register. Birth date is kept only as an age band."""

    __table_args__ = (UniqueConstraint("programme", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    programme: str = Field(foreign_key="programme.code", max_length=32)
    person_id: int = Field(foreign_key="person.id")
    gender: str | None = Field(default=None, max_length=8)
    age_band: str | None = Field(default=None, max_length=8)
    county: str = Field(foreign_key="region.code", max_length=6)
    category: str = Field(max_length=32)
    enrolled_on: dt.date
    exited_on: dt.date | None = None
    paired: bool = False
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Disbursement(WorkingModel, table=True):
    __table_args__ = (Index("ix_disbursement_programme_child", "programme", "child_id"),)
    payment_no: str = Field(primary_key=True, max_length=64)
    programme: str = Field(foreign_key="programme.code", max_length=32)
    paid_on: dt.date
    child_id: int = Field(foreign_key="person.id")
    stage: str = Field(max_length=32)
    school_year: str | None = Field(default=None, max_length=16)
    amount_fen: int
    purpose: str = Field(default="study_living", max_length=32)
    county: str = Field(foreign_key="region.code", max_length=6)
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class ServiceRecord(WorkingModel, table=True):
    """One volunteer check-in."""

    __tablename__ = "service_record"
    record_no: str = Field(primary_key=True, max_length=64)
    programme: str = Field(foreign_key="programme.code", max_length=32)
    volunteer_id: int = Field(foreign_key="person.id")
    volunteer_type: str = Field(default="other", max_length=32)
    county: str = Field(foreign_key="region.code", max_length=6)
    served_on: dt.date
    seconds: int  # exact: hours to two decimals and check-in times are whole seconds
    activity: str = Field(default="other", max_length=32)
    child_id: int | None = Field(default=None, foreign_key="person.id")
    batch_id: int | None = Field(default=None, foreign_key="batch.id")
