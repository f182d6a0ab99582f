"""What a load ends in: a ``LoadResult``, or an exception saying why nothing was loaded."""

from __future__ import annotations

from dataclasses import dataclass

from loaders.rejects import mask_digits
from portal.i18n import t


@dataclass
class LoadResult:
    kind: str
    file: str
    rows: int
    loaded: int
    rejected: int
    rejects_file: str | None
    unchanged: bool = False  # True when the same file (sha256) was loaded before
    ignored_columns: tuple[str, ...] = ()  # headers not recognised (reported once)
    batch_id: int | None = None
    platform: str | None = None  # the platform whose order export the file is
    not_paid: int = 0  # orders never paid: not rows of the file's count, listed apart
    not_paid_file: str | None = None

    def as_json(self) -> dict:
        out = {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
        }
        if self.platform is not None:
            out |= {"platform": self.platform, "not_paid": self.not_paid, "not_paid_file": self.not_paid_file}
        return out


class NothingLoaded(Exception):
    """Nothing of the file was loaded and the store is as it was; the rejects file (written)
    says why, row by row. ``result`` has the counts and the rejects file's path."""

    def __init__(self, result: LoadResult, text: str = ""):
        super().__init__(text or f"{result.file}: {result.rejected} rejected")
        self.result = result


class StrictRejected(NothingLoaded):
    """--strict and some rows bad: nothing was loaded (the rejects file says which)."""


TOP_REASONS = 3  # reasons named in the message of a file whose every row was rejected
# reasons that mean a file was loaded too early: the message says what to load first
LOAD_FIRST_HINTS = {"child_not_registered": "children_register_first"}


class AllRowsRejected(NothingLoaded):
    """Every row of the file was rejected: a failed load, with or without --strict. Nothing
    was written (no batch either). ``str(exc)`` is one line in the user's language counting
    the main reasons, most frequent first; ``reasons`` is ``[(column label, reason key,
    count)]`` in that order."""

    def __init__(self, result: LoadResult, text: str, reasons: list[tuple[str, str, int]]):
        super().__init__(result, text)
        self.reasons = reasons


def all_rows_rejected(
    result: LoadResult, reasons: dict[tuple[str, str], list], file_label: str, lang: str
) -> AllRowsRejected:
    """The failed load's exception: the rejects' reasons counted, most frequent first (ties in
    the order first met), the first ``TOP_REASONS`` named with the reject reasons' own messages,
    the rest counted together, then what to load first when that is why. Only column headers
    and reason texts appear: never a value from a row."""
    ranked = sorted(reasons.items(), key=lambda item: -item[1][0])  # stable: first met first
    parts = [
        t("loader.rejected_reason_count", lang, count=count, column=mask_digits(label), reason=text)
        for (label, _key), (count, text) in ranked[:TOP_REASONS]
    ]
    rest = sum(count for _k, (count, _t) in ranked[TOP_REASONS:])
    if rest:
        parts.append(t("loader.rejected_reasons_more", lang, count=rest))
    line = t(
        "loader.all_rows_rejected",
        lang,
        file=file_label,
        rows=result.rows,
        reasons=t("punct.semicolon", lang).join(parts),
    )
    hints = dict.fromkeys(LOAD_FIRST_HINTS[key] for _label, key in reasons if key in LOAD_FIRST_HINTS)
    for hint in hints:
        line += " " + t(f"loader.{hint}", lang, kind=result.kind)
    return AllRowsRejected(result, line, [(label, key, count) for (label, key), (count, _t) in ranked])
