"""The CJK font the PDF and chart exports draw Chinese with: Noto Sans CJK SC from the
system (Debian's ``fonts-noto-cjk``, installed by the project's set-up and CI), found with
``fc-match`` or at Debian's path. Nothing is downloaded; a missing font is a clear error."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
DEBIAN_DIR = Path("/usr/share/fonts/opentype/noto")
# In Noto's .ttc collections the faces are JP, KR, SC, TC, HK: SC is number 2.
SC_INDEX = 2


class FontMissing(RuntimeError):
    """No CJK font on this machine; the message says how to install one."""


@dataclass(frozen=True)
class Face:
    path: Path
    index: int  # the face inside a .ttc collection


def _fc_match(pattern: str) -> Face | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    path, _, rest = out.partition("|")
    index, _, family = rest.partition("|")
    if path and "CJK" in family and Path(path).exists():
        return Face(Path(path), int(index or 0))
    return None


@cache
def face(bold: bool = False) -> Face:
    """The Simplified Chinese face (regular or bold); bold falls back to regular."""
    weight = "Bold" if bold else "Regular"
    found = _fc_match(f"{FAMILY}:style={weight}")
    if found and (not bold or "Bold" in found.path.name):
        return found
    candidate = DEBIAN_DIR / f"NotoSansCJK-{weight}.ttc"
    if candidate.exists():
        return Face(candidate, SC_INDEX)
    if bold:
        return face(False)
    raise FontMissing(
        "No CJK font found (Noto Sans CJK SC). Install it with `apt-get install fonts-noto-cjk` "
        "(CI's .ci/run does), then try again."
    )


@cache
def register_for_charts() -> str:
    """Let vl-convert draw Chinese: register the font's directory once; returns the family."""
    import vl_convert

    vl_convert.register_font_directory(str(face().path.parent))
    return FAMILY
