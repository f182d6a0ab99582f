"""Was my gift counted? A keyed hash per donation, checked without revealing anything else.

The digest is HMAC-SHA256 under the deployment's receipt key (a secret separate from the
pseudonym key) over the normalised receipt number and the amount in fen. Publish writes one
per donation (``Receipt``); the portal computes the digest of what a donor types and looks it
up. Nothing about a receipt number can be learnt without its exact amount."""

from __future__ import annotations

import hmac
import unicodedata
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.engine import Engine

from portal.models.published import Receipt


def normalise_receipt_no(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).upper()


def amount_to_fen(text: str) -> int | None:
    """What a donor types (``100``, ``1,234.50``, ``¥88``, ``88元``) in fen, or None."""
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").lstrip("¥").rstrip("元").strip()
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


def digests(key: bytes, receipt_nos, amounts_fen) -> list[str]:
    """Many digests at once (publish): the one-shot C HMAC in a tight loop."""
    mac = hmac.digest
    return [
        mac(key, f"{normalise_receipt_no(r)}|{a}".encode(), "sha256").hex()
        for r, a in zip(receipt_nos, amounts_fen, strict=True)
    ]


def lookup(*, engine: Engine, key: bytes, receipt_no: str, amount_fen: int) -> Receipt | None:
    with engine.connect() as connection:
        row = connection.execute(select(Receipt).where(Receipt.digest == digest(key, receipt_no, amount_fen))).first()
    return Receipt(**row._mapping) if row else None
