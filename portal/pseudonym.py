"""Pseudonyms: HMAC-SHA256 under the deployment's secret key over a normalised identifier.

A plain hash is not enough: an 18-digit ID number with a known region and birth date is
brute-forced in seconds. The working store keeps the key's fingerprint (a hash of a hash) and
refuses a load under another key, because the same child would silently become two."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from portal.settings import Settings

KEY_BYTES = 32
# a key an operator sets by hand must be as hard to guess as the 64 hex digits `portal init`
# writes: 32 characters at least
MIN_KEY_CHARS = 32


class MissingKeyError(Exception):
    """No usable key; the message says what to do (never the key itself)."""


class BadKeyError(MissingKeyError):
    """A key that is there but unusable: not text (a binary file put in its place) or too
    short. ``args[0]`` names the message, ``where`` the file or variable (never the key)."""

    def __init__(self, code: str, where: str):
        super().__init__(code)
        self.where = where


def _checked(text: str, where: str) -> bytes:
    if not text.isprintable():
        raise BadKeyError("key_not_text", where)
    if len(text) < MIN_KEY_CHARS:
        raise BadKeyError("key_too_short", where)
    return text.encode()


def generate_key_file(path: Path) -> bool:
    """Create a new random key file (mode 0600) unless one exists. True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def load_key(settings: Settings, *, receipt: bool = False) -> bytes:
    """The key from its environment variable, else its file; MissingKeyError when there is
    none, BadKeyError when it is not text or too short."""
    secret = settings.receipt_key if receipt else settings.pseudonym_key
    if secret is not None and secret.get_secret_value().strip():
        variable = "PORTAL_RECEIPT_KEY" if receipt else "PORTAL_PSEUDONYM_KEY"
        return _checked(secret.get_secret_value().strip(), variable)
    path = settings.receipt_key_file if receipt else settings.pseudonym_key_file
    if path.exists():
        try:
            text = path.read_bytes().decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadKeyError("key_not_text", str(path)) from None
        if text:
            return _checked(text, str(path))
    raise MissingKeyError("receipt_key_missing" if receipt else "key_missing")


def fingerprint(key: bytes) -> str:
    """A hash of a hash: identifies the key without revealing it."""
    return hashlib.sha256(hashlib.sha256(key).digest()).hexdigest()[:32]


def accepted_fingerprints(settings: Settings) -> frozenset[str]:
    """The key fingerprints a portal trusts: those configured in ``PORTAL_KEY_FINGERPRINTS``
    and that of the local pseudonym key, when this host has one."""
    accepted = {part.strip().lower() for part in settings.key_fingerprints.split(",") if part.strip()}
    try:
        accepted.add(fingerprint(load_key(settings)))
    except BadKeyError:
        raise  # a broken key file is the operator's to fix, not "no key here"
    except MissingKeyError:
        pass
    return frozenset(accepted)


def untrusted_release(release_fingerprint: str | None, settings: Settings) -> bool:
    """True when a release was built under a key this deployment does not know: its people
    could be other people's pseudonyms, or the store is not this charity's at all."""
    return release_fingerprint is None or release_fingerprint.lower() not in accepted_fingerprints(settings)


class Pseudonymiser:
    def __init__(self, key: bytes):
        self._key = key
        self.fingerprint = fingerprint(key)

    def __call__(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()


def normalise_id_no(id_no: str) -> str:
    return "".join(id_no.split()).upper()


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    # +86 / 0086 prefixes on mobile numbers
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def fast_pseudonymiser(key: bytes):
    """The same values as ``Pseudonymiser(key)`` through the one-shot C HMAC (the loaders'
    hot path pseudonymises a million rows)."""
    try:  # the C function behind hmac.digest, without its Python wrapper
        from _hashlib import hmac_digest as digest
    except ImportError:  # pragma: no cover - interpreters without OpenSSL
        digest = hmac.digest

    def pseudonym(identifier: str) -> str:
        return digest(key, identifier.encode("utf-8"), "sha256").hex()

    return pseudonym
