"""Loaders: raw staff files -> the private working store (pseudonymous).

``load_file(kind, path, engine=..., key=...)`` reads one CSV, XLSX or JSON file of one kind, checks
every row, writes the good rows in one transaction and the bad ones to ``FILE.rejects.csv``.
See loaders/pipeline.py for the pipeline and one module per kind for its columns and rules.

Repeatability:
- rows are upserted by their key (receipt_no, payment_no, record_no, (programme, child),
  code, (programme, stage)) and a stored row is touched only when a value differs;
- a file whose sha256 was loaded before without rejects is skipped (``unchanged``, no batch);
- a file loaded before with rejects is read again (the reference data may have grown since);
  when nothing differs it is reported ``unchanged`` and no batch is recorded;
- a key repeated inside one file is rejected (the first occurrence stands);
- a file whose every row is rejected is a failed load (``AllRowsRejected``, with or without
  ``strict``): nothing is written, not even its batch, and the rejects file says why; its
  message counts the main reasons. A header with no rows is an ``UnusableFile`` as before.
A donations file that is a fundraising platform's order export (its header names the
platform's fields, loaders/platforms.py) is read by that platform's mapping, without a flag.
Messages for clerks live in portal/reference/loader_messages.toml (zh and en), read by portal.i18n.t."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from loaders import (
    children,
    disbursements,
    donations,
    platforms,
    programmes,
    regions,
    stage_standards,
    volunteer_hours,
)
from loaders.headers import map_header
from loaders.kinds import KindSpec
from loaders.messages import KeyMismatch, UnusableFile
from loaders.pipeline import FileLoad
from loaders.reading import read_head
from loaders.results import AllRowsRejected, LoadResult, NothingLoaded, StrictRejected
from portal.i18n import t

KINDS = ("programmes", "regions", "stage_standards", "children", "donations", "disbursements", "volunteer_hours")

SPECS: dict[str, KindSpec] = {
    m.SPEC.kind: m.SPEC
    for m in (programmes, regions, stage_standards, children, donations, disbursements, volunteer_hours)
}

__all__ = [
    "KINDS",
    "SPECS",
    "AllRowsRejected",
    "KeyMismatch",
    "LoadResult",
    "NothingLoaded",
    "StrictRejected",
    "UnusableFile",
    "guess_kind",
    "load_file",
]


def load_file(
    kind: str,
    path: Path,
    *,
    engine: Engine,
    key: bytes,
    sheet: str | None = None,
    strict: bool = False,
    lang: str = "zh",
    is_sample: bool = False,
) -> LoadResult:
    """Load one file of one kind into the working store (see the module docstring)."""
    spec = SPECS.get(kind)
    if spec is None:
        raise UnusableFile(t("loader.unknown_kind", lang, kind=kind, kinds=", ".join(KINDS)))
    if kind == "donations":
        spec = platforms.detect(Path(path), sheet) or spec
    return FileLoad(spec, Path(path), key, lang).run(engine, sheet, strict=strict, is_sample=is_sample)


def guess_kind(path: Path, sheet: str | None = None) -> str | None:
    """The kind whose required columns the header has, preferring the most columns matched;
    None when no kind fits (or two fit equally well)."""
    try:
        head = read_head(Path(path), sheet)
    except UnusableFile:
        return None
    if platforms.detect(Path(path), sheet) is not None:
        return "donations"
    scored: list[tuple[int, str]] = []
    for kind in KINDS:
        best = 0
        for header in head:
            try:
                best = max(best, len(map_header(SPECS[kind], header, Path(path).name, "en").present))
            except UnusableFile:
                continue
        if best:
            scored.append((best, kind))
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]
