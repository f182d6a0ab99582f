"""``portal sample``: synthetic raw files for five programmes, run through the real loaders and
publish. A development and demonstration tool, not part of the installed portal: ``portal
sample`` imports it from a source checkout (``make run``) and says so where it is missing.

The programmes are modelled on ../shared/context/programmes.md. At ``--scale 1`` the NT-CARE
programme reproduces the Nantong report (targets in ``calibration.toml``); ``--scale N`` writes
N independent copies of every programme's people and rows (distinct ID numbers, receipts,
payments), so every count and sum is N times as large with the same shape. Everything is drawn
from one seeded generator: the same seed gives the same files.

Names, ID numbers and phones here are synthetic but well-formed (ID checksums valid), so the
loaders' validation and pseudonymisation run exactly as on real files.

What is data (regions, programmes and their shapes, people, NT-CARE's plan, the calibration)
is in the TOML files beside this package's modules:

- ``reference.py`` reads them; ``people.py`` draws names, ID numbers and phones;
- ``rows.py`` builds the children's register and service records every programme shares;
- ``nt_care.py`` and ``nt_donations.py`` the calibrated programme, ``shaped.py`` the other four;
- ``build.py`` the whole sample from one seed, ``files.py`` writes it as staff's raw files."""

from tools.sample.build import LOAD_ORDER, generate
from tools.sample.files import STAFF_FORMATS, STAFF_FORMATS_UP_TO_SCALE, write, write_streaming
from tools.sample.nt_care import solve_stages
from tools.sample.people import People, id_check_digit
from tools.sample.reference import (
    AS_OF,
    CALIBRATION,
    DEFAULT_SEED,
    PROGRAMMES,
    REGIONS,
    SHAPES,
    ProgrammeSpec,
    VolunteerShape,
    reference_tables,
)

__all__ = [
    "AS_OF",
    "CALIBRATION",
    "DEFAULT_SEED",
    "LOAD_ORDER",
    "PROGRAMMES",
    "REGIONS",
    "SHAPES",
    "STAFF_FORMATS",
    "STAFF_FORMATS_UP_TO_SCALE",
    "People",
    "ProgrammeSpec",
    "VolunteerShape",
    "generate",
    "id_check_digit",
    "reference_tables",
    "solve_stages",
    "write",
    "write_streaming",
]
