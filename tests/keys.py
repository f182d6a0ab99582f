"""Test deployments' keys, trusted the way an operator trusts them: each key's fingerprint is
added to ``PORTAL_KEY_FINGERPRINTS`` of this process, and so of every portal it starts."""

from __future__ import annotations

import os

from portal.pseudonym import fingerprint
from portal.settings import get_settings

# the key the hand-written page fixtures pretend their releases were built under
FIXTURE_KEY = b"page-fixtures-are-built-by-code-not-loaded"


def trust_key(key: bytes) -> str:
    """Trust ``key``'s releases from now on; returns its fingerprint."""
    found = fingerprint(key)
    accepted = {part for part in os.environ.get("PORTAL_KEY_FINGERPRINTS", "").split(",") if part}
    os.environ["PORTAL_KEY_FINGERPRINTS"] = ",".join(sorted(accepted | {found}))
    get_settings.cache_clear()
    return found
