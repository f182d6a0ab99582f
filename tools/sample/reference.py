"""The sample's reference data, read from the TOML files beside this module: the calibration
targets, the regions, the five programmes and their shapes, the people, and NT-CARE's plan."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from portal.vocab import vocabulary

HERE = Path(__file__).parent


def _toml(name: str) -> dict:
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


DEFAULT_SEED = 20231231
CALIBRATION = _toml("calibration.toml")
AS_OF: dt.date = CALIBRATION["nt_care"]["as_of"]  # every programme's data runs to the report's date

# city code: (name_zh, name_en, counties [(code, zh, en)])
REGIONS: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    city["code"]: (city["zh"], city["en"], [tuple(county) for county in city["counties"]])
    for city in _toml("regions.toml")["city"]
}
COUNTY_NAMES = {code: zh for _, _, counties in REGIONS.values() for code, zh, _ in counties}

PEOPLE = _toml("people.toml")
AGE_BY_STAGE: dict[str, list[int]] = PEOPLE["age_by_stage"]
CATEGORY_WEIGHTS: dict[str, float] = PEOPLE["category_weights"]

NT_CARE = _toml("nt_care.toml")


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    name_zh: str
    name_en: str
    started_on: dt.date
    city: str
    description_zh: str
    description_en: str


@dataclass(frozen=True)
class VolunteerShape:
    """A volunteer programme: its volunteers and service records, and optionally children it
    registers, medical aid it pays them and the fund that gives for it."""

    code: str
    volunteers: int
    records: int
    types: dict[str, float]
    activities: dict[str, float]
    first: dt.date
    children: int = 0
    categories: dict[str, float] = field(default_factory=lambda: CATEGORY_WEIGHTS)
    reach: float = 0.0  # share of records naming a child
    aid: dict | None = None
    fund: dict | None = None


_PROGRAMMES = _toml("programmes.toml")
PROGRAMMES = tuple(ProgrammeSpec(**{k: v for k, v in p.items() if k != "shape"}) for p in _PROGRAMMES["programme"])
SHAPES = tuple(VolunteerShape(p["code"], **p["shape"]) for p in _PROGRAMMES["programme"] if "shape" in p)
SHAPED = _PROGRAMMES["shaped"]  # what the volunteer programmes share
SERVICE = _PROGRAMMES["service"]  # service records of every programme


def label(vocab: str, code: str) -> str:
    """Staff write labels in Chinese; the loaders map them back to codes."""
    return vocabulary(vocab).term(code).zh


def reference_tables() -> dict[str, pd.DataFrame]:
    """The sample deployment's programmes, regions and stage standards."""
    programmes = pd.DataFrame(
        [
            (p.code, p.name_zh, p.name_en, p.started_on.isoformat(), p.description_zh, p.description_en)
            for p in PROGRAMMES
        ],
        columns=["code", "name_zh", "name_en", "started_on", "description_zh", "description_en"],
    )
    regions = []
    for city, (zh, en, counties) in REGIONS.items():
        regions.append((city, zh, en, city[:2] + "0000"))
        regions.extend((code, czh, cen, city) for code, czh, cen in counties)
    cal = CALIBRATION["nt_care"]
    standards = pd.DataFrame(
        [(cal["programme"], label("stage", s), f"{y}") for s, y in cal["yearly_standard"].items()],
        columns=["programme", "stage", "yearly_amount"],
    )
    return {
        "programmes": programmes,
        "regions": pd.DataFrame(regions, columns=["code", "name_zh", "name_en", "parent_code"]),
        "stage_standards": standards,
    }
