"""Identifiers: external ids as the source systems give them, and short random references."""

from __future__ import annotations

import secrets
import unicodedata


def normalise_external_id(raw: str) -> str:
    """Trim and NFKC-normalise an id from a file (full-width digits become ASCII)."""
    return unicodedata.normalize("NFKC", raw).strip()


def new_reference(prefix: str) -> str:
    """A short random reference such as 'IMP-9F3K2Q7A' for batches and documents."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return prefix + "-" + "".join(secrets.choice(alphabet) for _ in range(8))
