"""Reading the published store. No Streamlit here: pages reach these through ``portal.ui``
(which caches them per release), the CLI and tests call them directly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.coverage import Coverage as ProgrammeCoverage
from portal.models.published import Cell, Correction, Coverage, Label, Release, ReleaseBatch, Standard
from portal.vocab import DIMENSIONS

CELL_COLUMNS: tuple[str, ...] = (
    "figure",
    "programme",
    "period",
    *DIMENSIONS,
    "value",
    "status",
    "reason",
)


@dataclass(frozen=True)
class ReleaseInfo:
    """A release as the read side sees it: frozen, hashable and picklable (``st.cache_data``
    keeps it), detached from the store's session. The pages, downloads, exports, charts, the
    board and the open-data API all take this, never the table row (``models.published.Release``)."""

    id: str
    created_at: dt.datetime
    as_of: dt.date
    k: int
    is_sample: bool = False
    note: str | None = None
    key_fingerprint: str | None = None

    @classmethod
    def from_row(cls, row: Release) -> ReleaseInfo:
        return cls(
            id=row.id,
            created_at=row.created_at,
            as_of=row.as_of,
            k=row.k,
            is_sample=bool(row.is_sample),
            note=row.note,
            key_fingerprint=row.key_fingerprint,
        )


def _info(row: Release | None) -> ReleaseInfo | None:
    return None if row is None else ReleaseInfo.from_row(row)


def current_release(*, engine: Engine) -> ReleaseInfo | None:
    """The newest release; a release is visible only once the transaction writing it commits."""
    with Session(engine) as session:
        return _info(session.exec(select(Release).order_by(Release.seq.desc()).limit(1)).scalars().first())


def trusted_release(*, engine: Engine, trusted) -> tuple[ReleaseInfo | None, list[ReleaseInfo]]:
    """The newest release whose key fingerprint ``trusted(fingerprint)`` accepts, and the newer
    releases passed over (built under a key this deployment does not know); (None, all of
    them) when none is trusted."""
    skipped = []
    for candidate in releases(engine=engine):
        if trusted(candidate.key_fingerprint):
            return candidate, skipped
        skipped.append(candidate)
    return None, skipped


def release(*, engine: Engine, release_id: str) -> ReleaseInfo | None:
    with Session(engine) as session:
        return _info(session.exec(select(Release).where(Release.id == release_id)).scalars().first())


def releases(*, engine: Engine) -> list[ReleaseInfo]:
    with Session(engine) as session:
        return [ReleaseInfo.from_row(r) for r in session.exec(select(Release).order_by(Release.seq.desc())).scalars()]


def cells(
    *,
    engine: Engine,
    release_id: str,
    figures: list[str] | tuple[str, ...] | None = None,
    programme: str | None = None,
    periods: list[str] | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Cells of a release as a frame with CELL_COLUMNS (null dimension = no breakdown)."""
    query = select(*(getattr(Cell, c) for c in CELL_COLUMNS)).where(Cell.release_id == release_id)
    if figures:
        query = query.where(Cell.figure.in_(list(figures)))
    if programme:
        query = query.where(Cell.programme == programme)
    if periods:
        query = query.where(Cell.period.in_(list(periods)))
    query = query.order_by(Cell.id)
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=list(CELL_COLUMNS))
    return frame.astype({"value": "float64"})


def labels(*, engine: Engine, release_id: str) -> pd.DataFrame:
    query = select(
        Label.dimension,
        Label.code,
        Label.name_zh,
        Label.name_en,
        Label.parent_code,
        Label.started_on,
        Label.description_zh,
        Label.description_en,
    ).where(Label.release_id == release_id)
    with engine.connect() as connection:
        return pd.DataFrame(
            connection.execute(query).all(),
            columns=[
                "dimension",
                "code",
                "name_zh",
                "name_en",
                "parent_code",
                "started_on",
                "description_zh",
                "description_en",
            ],
        )


def standards(*, engine: Engine, release_id: str) -> pd.DataFrame:
    query = select(Standard.programme, Standard.stage, Standard.yearly_yuan).where(Standard.release_id == release_id)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=["programme", "stage", "yearly_yuan"])


def release_batches(*, engine: Engine, release_id: str) -> pd.DataFrame:
    columns = ["kind", "file_name", "sha256", "rows", "loaded", "rejected", "loaded_at"]
    query = select(*(getattr(ReleaseBatch, c) for c in columns)).where(ReleaseBatch.release_id == release_id)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def corrections(*, engine: Engine) -> pd.DataFrame:
    columns = [
        "release_id",
        "previous_release_id",
        "figure",
        "programme",
        "period",
        "dimensions",
        "old_value",
        "new_value",
        "old_status",
        "new_status",
        "note",
    ]
    query = select(*(getattr(Correction, c) for c in columns)).order_by(Correction.id.desc())
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def coverage(*, engine: Engine, release_id: str) -> pd.DataFrame:
    """Per programme (and ``all``) and family of data: the first and last day it covers."""
    columns = ["programme", "family", "first_day", "last_day"]
    query = select(*(getattr(Coverage, c) for c in columns)).where(Coverage.release_id == release_id)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def headlines(*, engine: Engine, release_id: str, period: str = "all") -> pd.DataFrame:
    """Every programme's (and all programmes') headline cells of one period: no breakdown."""
    query = select(Cell.programme, Cell.figure, Cell.value).where(
        Cell.release_id == release_id, Cell.period == period, *(getattr(Cell, d).is_(None) for d in DIMENSIONS)
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=["programme", "figure", "value"])


def programme_coverage(*, engine: Engine, release_id: str, as_of) -> ProgrammeCoverage:
    """What each programme of a release has reported (``portal.coverage``)."""
    return ProgrammeCoverage.build(
        coverage(engine=engine, release_id=release_id), headlines(engine=engine, release_id=release_id), as_of
    )


def periods(*, engine: Engine, release_id: str) -> list[str]:
    """The distinct period keys of a release's cells (the fixed grid publish wrote)."""
    query = select(Cell.period).where(Cell.release_id == release_id).distinct()
    with engine.connect() as connection:
        return sorted(r[0] for r in connection.execute(query).all())


def regions(*, engine: Engine, release_id: str, programme: str | None = None) -> list[str]:
    """The region codes that appear in a release's cells (of one programme, if given)."""
    query = select(Cell.region).where(Cell.release_id == release_id, Cell.region.is_not(None)).distinct()
    if programme:
        query = query.where(Cell.programme == programme)
    with engine.connect() as connection:
        return sorted(r[0] for r in connection.execute(query).all())
