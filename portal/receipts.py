"""Was my gift counted? A keyed hash per donation, checked without revealing anything else.

The digest is HMAC-SHA256 under the deployment's receipt key (a secret separate from the
pseudonym key) over the normalised receipt number and the amount in fen. Publish writes one
per donation (``Receipt``); the portal computes the digest of what a donor types and looks it
up. Nothing about a receipt number can be learnt without its exact amount."""

from __future__ import annotations

import hmac
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.engine import Engine

from portal.models.published import Receipt

ATTEMPTS = 5  # checks per visitor (a reload keeps the count) …
WINDOW_S = 600  # … in ten minutes


def normalise_receipt_no(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).upper()


def amount_to_fen(text: str) -> int | None:
    """What a donor types (``100``, ``1,234.50``, ``¥88``, ``CNY 88``, ``88元``) in fen, or None."""
    from loaders.cells import CURRENCY_MARKS

    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "")
    cleaned = CURRENCY_MARKS.sub("", cleaned).strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    # NaN, infinities and huge exponents are refused before quantize (which raises on them)
    if not value.is_finite() or value <= 0 or value > Decimal("1e12") or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def digest(key: bytes, receipt_no: str, amount_fen: int) -> str:
    message = f"{normalise_receipt_no(receipt_no)}|{amount_fen}".encode()
    return hmac.digest(key, message, "sha256").hex()


def digest_table(con, key: bytes, source: str) -> None:
    """Many digests at once (publish), in DuckDB: ``source`` (receipt_no, amount_fen, …) becomes
    the temporary table ``receipt_digest`` with a ``digest`` column, equal to ``digest()``
    row by row (tests hold them equal). HMAC (RFC 2104) over DuckDB's vectorised SHA-256: at
    millions of gifts a Python loop over ``hmac.digest`` took most of publish's time.
    Receipt numbers in printable ASCII normalise to their upper case in SQL (NFKC leaves ASCII
    alone); the rest, rare, through ``normalise_receipt_no`` itself."""
    import hashlib

    import pyarrow as pa

    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    ascii_only = "regexp_full_match(receipt_no, '[!-~]*')"
    odd = [row[0] for row in con.execute(f"SELECT DISTINCT receipt_no FROM {source} WHERE NOT {ascii_only}").fetchall()]
    normalised = [normalise_receipt_no(r) for r in odd]
    con.register(
        "receipt_odd",
        pa.table({"receipt_no": pa.array(odd, pa.string()), "normalised": pa.array(normalised, pa.string())}),
    )
    con.execute(
        "CREATE TEMP TABLE receipt_digest AS SELECT s.*, sha256($outer || unhex(sha256($inner || encode("
        f"  CASE WHEN {ascii_only} THEN upper(s.receipt_no) ELSE o.normalised END || '|' || s.amount_fen::VARCHAR"
        f")))) AS digest FROM {source} s LEFT JOIN receipt_odd o USING (receipt_no)",
        {"outer": outer, "inner": inner},
    )
    con.unregister("receipt_odd")


def lookup(*, engine: Engine, key: bytes, receipt_no: str, amount_fen: int) -> Receipt | None:
    with engine.connect() as connection:
        row = connection.execute(select(Receipt).where(Receipt.digest == digest(key, receipt_no, amount_fen))).first()
    return Receipt(**row._mapping) if row else None


class AttemptLog:
    """Receipt checks per visitor in a sliding window, shared by every session of one portal
    process: a visitor who reloads the page (a new session) keeps their count. Visitors are
    held by an HMAC of their visitor id under a key made per process, in memory only; entries
    older than the window are dropped, and at most ``max_visitors`` are kept."""

    def __init__(self, limit: int, window_s: float, *, max_visitors: int = 100_000):
        import secrets
        import threading

        self.limit, self.window_s, self.max_visitors = limit, window_s, max_visitors
        self._salt = secrets.token_bytes(32)
        self._log: dict[bytes, list[float]] = {}
        self._lock = threading.Lock()

    def _key(self, visitor: str) -> bytes:
        return hmac.digest(self._salt, visitor.encode(), "sha256")

    def _recent(self, key: bytes, now: float) -> list[float]:
        return [s for s in self._log.get(key, ()) if now - s < self.window_s]

    def left(self, visitor: str, now: float) -> int:
        with self._lock:
            return self.limit - len(self._recent(self._key(visitor), now))

    def wait_s(self, visitor: str, now: float) -> float:
        """Seconds until the visitor's oldest check leaves the window (0 when they have some)."""
        with self._lock:
            recent = self._recent(self._key(visitor), now)
        return 0.0 if len(recent) < self.limit else self.window_s - (now - recent[0])

    def add(self, visitor: str, now: float) -> int:
        """Count one check; the checks left."""
        with self._lock:
            key = self._key(visitor)
            recent = [*self._recent(key, now), now]
            self._log[key] = recent
            if len(self._log) > self.max_visitors:  # forget the visitors seen least recently
                for stale in sorted(self._log, key=lambda k: self._log[k][-1])[: len(self._log) - self.max_visitors]:
                    del self._log[stale]
            return self.limit - len(recent)


@dataclass(frozen=True)
class Outcome:
    kind: str  # found | not_found | invalid | limited
    receipt: Receipt | None = None
    attempts_left: int = 0
    wait_minutes: int = 0


def checks_left(attempts: AttemptLog, visitor: str, now: float) -> int:
    return max(attempts.left(visitor, now), 0)


def check(
    *,
    attempts: AttemptLog,
    visitor: str,
    now: float,
    receipt_no: str,
    amount: str,
    key: Callable[[], bytes | None],
    engine: Engine,
) -> Outcome:
    """One check: at most ``attempts.limit`` per visitor in its window, a check with a receipt
    number and an amount counted; "not found" is the same answer for an unknown receipt number
    and for a known one with another amount. ``key()`` is called per counted check, so a
    rotated key is read at once; None (no usable key) answers "invalid"."""
    if attempts.left(visitor, now) <= 0:
        wait = math.ceil(attempts.wait_s(visitor, now) / 60)
        return Outcome("limited", attempts_left=0, wait_minutes=max(wait, 1))
    fen = amount_to_fen(amount or "")
    number = (receipt_no or "").strip()
    if not number or fen is None:
        return Outcome("invalid", attempts_left=attempts.left(visitor, now))
    left = attempts.add(visitor, now)
    secret = key()
    if secret is None:
        return Outcome("invalid", attempts_left=left)
    found = lookup(engine=engine, key=secret, receipt_no=number, amount_fen=fen)
    return Outcome("found" if found else "not_found", receipt=found, attempts_left=left)
