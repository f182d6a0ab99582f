"""Charts as files a newsroom can publish as they are: PNG and SVG of a stated pixel size with
the title, the source line (site, release, data as-of) and the view's URL drawn in.

The chart itself is ``portal.charts``' Altair spec rendered by vl-convert; this module draws the
frame around it in one SVG (title above, credits below, the chart scaled into the box between)
and rasterises that SVG, so the PNG is exactly ``width × height`` pixels (times ``scale``).
No Streamlit here."""

from __future__ import annotations

import copy
import re
import struct
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

import altair as alt

from portal import fonts, formatting
from portal.i18n import t
from portal.queries import ReleaseInfo

DEFAULT_SIZE = (1200, 675)  # 16:9, what news sites and slide decks take
MIN_SIZE = (320, 240)
MAX_SIZE = (4000, 4000)
INK = "#1a1a1a"
MUTED = "#555555"
READING_WIDTH = 900  # px at which the chart's own 11 px labels read well


@dataclass(frozen=True)
class Credits:
    """What is drawn around a chart: its title, an optional subtitle (programme · period), the
    source line and the URL that reopens the view."""

    title: str
    source: str
    url: str = ""
    subtitle: str = ""


def credits(*, title: str, lang: str, release: ReleaseInfo, url: str = "", subtitle: str = "") -> Credits:
    """The credits of a chart of ``release``."""
    source = t(
        "export.source_line",
        lang,
        source=t("app.title", lang),
        release=release.id,
        as_of=formatting.date(release.as_of, lang),
        k=release.k,
    )
    if release.is_sample:
        source += " " + t("export.sample_mark", lang)
    return Credits(title=title, source=source, url=url, subtitle=subtitle)


def _check_size(width: int, height: int) -> tuple[int, int]:
    width, height = int(width), int(height)
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise ValueError(f"chart size {width}×{height} outside {MIN_SIZE}–{MAX_SIZE}")
    return width, height


def _text_width(text: str, size: float) -> float:
    """A close estimate of a line's width: CJK and full-width characters are one em, the rest
    about 0.56 em in Noto Sans."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text)


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``: breaks at spaces, or anywhere in CJK text and
    in long tokens such as URLs."""
    lines: list[str] = []
    line = ""
    for token in re.findall(r"\S+\s*|\s+", text):
        if _text_width(line + token.rstrip(), size) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        for char in token:
            if _text_width(line + char, size) > width and line.strip():
                lines.append(line.rstrip())
                line = ""
            line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _spec(chart: alt.TopLevelMixin | dict, width: int, height: int, font: str) -> dict:
    """The chart (an Altair chart or the Vega-Lite spec a page drew) sized for a file."""
    spec = copy.deepcopy(chart) if isinstance(chart, dict) else chart.to_dict()
    spec.pop("title", None)
    spec["width"] = width
    spec["height"] = height
    spec["background"] = "white"
    config = spec.setdefault("config", {})
    config["font"] = font
    config.setdefault("view", {})["stroke"] = None
    return spec


_SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)"[^>]*?height="([\d.]+)"')


def chart_svg(chart: alt.TopLevelMixin | dict, width: int, height: int) -> tuple[str, float, float]:
    """The chart alone, sized so that its axes and labels fill about ``width × height``: a
    first render measures what the axes add around the plot, a second takes it off."""
    import vl_convert

    font = fonts.register_for_charts()
    inner_w, inner_h = width, height
    for _ in range(2):
        svg = vl_convert.vegalite_to_svg(_spec(chart, max(inner_w, 40), max(inner_h, 40), font))
        got_w, got_h = (float(v) for v in _SVG_SIZE.search(svg).groups())
        if got_w <= width + 1 and got_h <= height + 1:
            break
        inner_w -= int(got_w - width) + 1
        inner_h -= int(got_h - height) + 1
    return svg, got_w, got_h


def svg(
    chart: alt.TopLevelMixin | dict,
    info: Credits,
    *,
    width: int = DEFAULT_SIZE[0],
    height: int = DEFAULT_SIZE[1],
    reading_width: int = READING_WIDTH,
) -> str:
    """An SVG document of exactly ``width × height`` with the chart and its credits; the chart's
    own labels are drawn ``width / reading_width`` times their size (larger for a projector)."""
    width, height = _check_size(width, height)
    font = fonts.register_for_charts()
    pad = max(16, round(width * 0.025))
    title_size = min(44, max(16, round(width * 0.022)))
    sub_size = min(30, max(12, round(title_size * 0.7)))
    foot_size = min(24, max(11, round(width * 0.0115)))
    usable = width - 2 * pad
    parts: list[str] = []
    y = pad
    for line in wrap(info.title, title_size, usable)[:2]:
        y += title_size
        parts.append(_text(pad, y, line, title_size, INK, bold=True))
        y += title_size * 0.3
    if info.subtitle:
        for line in wrap(info.subtitle, sub_size, usable)[:2]:
            y += sub_size
            parts.append(_text(pad, y, line, sub_size, MUTED))
            y += sub_size * 0.3
    top = y + pad * 0.5
    footer = [*wrap(info.source, foot_size, usable), *(wrap(info.url, foot_size, usable) if info.url else [])]
    footer_height = len(footer) * foot_size * 1.35
    bottom = height - pad - footer_height - pad * 0.5
    y = height - pad - footer_height
    for line in footer:
        y += foot_size
        parts.append(_text(pad, y, line, foot_size, MUTED))
        y += foot_size * 0.35
    box_w, box_h = usable, max(40, int(bottom - top))
    # the chart is drawn at a reading size and scaled into the box, so its labels grow with it
    zoom = max(1.0, width / reading_width)
    body, body_w, body_h = chart_svg(chart, int(box_w / zoom), int(box_h / zoom))
    inner = body[body.index(">", body.index("<svg")) + 1 : body.rindex("</svg>")]
    nested = (
        f'<svg x="{pad}" y="{top:.1f}" width="{box_w}" height="{box_h}" viewBox="0 0 {body_w:g} {body_h:g}" '
        f'preserveAspectRatio="xMinYMid meet">{inner}</svg>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{escape(font)}, sans-serif">'
        f'<rect width="{width}" height="{height}" fill="white"/>{"".join(parts)}{nested}</svg>'
    )


def _text(x: float, y: float, text: str, size: float, color: str, *, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}"{weight}>{escape(text)}</text>'


def png(
    chart: alt.TopLevelMixin | dict,
    info: Credits,
    *,
    width: int = DEFAULT_SIZE[0],
    height: int = DEFAULT_SIZE[1],
    scale: float = 1.0,
    reading_width: int = READING_WIDTH,
) -> bytes:
    """A PNG of exactly ``width·scale × height·scale`` pixels."""
    import vl_convert

    drawing = svg(chart, info, width=width, height=height, reading_width=reading_width)
    return vl_convert.svg_to_png(drawing, scale=scale)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])
