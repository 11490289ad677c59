"""Voice names compared as the service compares them."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """The form two names share when the service treats them as one name: Unicode NFC, surrounding
    white space trimmed, case folded ("Café" in NFC and NFD, "Narr" and "narr " are one name)."""
    return unicodedata.normalize("NFC", name).strip().casefold()
