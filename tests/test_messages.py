"""The local checks speak the service's words: every example message of the seed, verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bland_clone.core import limits

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "bland-voices-clone.md"
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("built", "documented"),
    [
        (limits.NAME_REQUIRED, "Voice name is required"),
        (limits.NAME_TOO_LONG, "Voice name too long"),
        (limits.NAME_TAKEN, "Voice name is already taken"),
        (limits.INVALID_GENDER, "Invalid gender"),
        (limits.NO_FILES, "No files provided for voice cloning."),
        (limits.too_many_files(6), "Too many files (6). Maximum allowed is 5 files per upload."),
        (
            limits.file_too_large("sample.wav", int(12.5 * MB)),
            'File "sample.wav" is too large (12.5MB). Maximum allowed size is 10MB.',
        ),
        (
            limits.total_too_large(int(30.2 * MB)),
            "Total upload size is too large (30.2MB). Maximum allowed total size is 25MB.",
        ),
        (
            limits.too_short("sample.wav", 0.5),
            'File "sample.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.',
        ),
        (
            limits.too_long("sample.wav", 75.3),
            'File "sample.wav" is too long (estimated 75.3s). Maximum duration is 60 seconds.',
        ),
        (
            limits.too_many_samples(2, 4),
            "Cannot add 2 sample(s). Voice already has 4 samples. "
            "Maximum allowed is 5 samples per voice.",
        ),
        (limits.VOICE_LIMIT, "You have reached the maximum number of voices for your plan."),
    ],
)
def test_messages_match_the_documented_ones(built: str, documented: str) -> None:
    assert built == documented


def test_every_documented_validation_message_is_in_the_limits_table() -> None:
    """If the seed gains or changes a message, this fails until limits.py follows."""
    if not SEED.exists():
        pytest.skip(
            f"the API contract {SEED} is not there: put the project's shared/ folder beside "
            "this checkout (../shared) to compare limits.py with the documented messages"
        )
    text = SEED.read_text()
    documented = set(re.findall(r'"message": "((?:[^"\\]|\\.)*)"', text))
    ours = {
        limits.NAME_REQUIRED,
        limits.NAME_TOO_LONG,
        limits.NAME_TAKEN,
        limits.INVALID_GENDER,
        limits.NO_FILES,
        limits.VOICE_LIMIT,
        limits.INVALID_TOKEN,
        limits.METHOD_NOT_ALLOWED,
        limits.too_many_files(6),
        limits.file_too_large("sample.wav", int(12.5 * MB)).replace('"', '\\"'),
        limits.total_too_large(int(30.2 * MB)),
        limits.too_short("sample.wav", 0.5).replace('"', '\\"'),
        limits.too_long("sample.wav", 75.3).replace('"', '\\"'),
        limits.too_many_samples(2, 4),
    }
    server_side = {
        "Failed to process audio with beige model",
        "Failed to add sample to voice",
        "Failed to add samples to voice",
        "Failed to create voice entry",
        "An unknown error occurred",
    }
    assert documented - server_side == ours


def test_a_value_that_rounds_to_the_limit_is_shown_with_more_decimals() -> None:
    # 10.02MB would print as "10.0MB. Maximum allowed size is 10MB." and puzzle the user.
    msg = limits.file_too_large("a.wav", 10 * MB + 20_000)
    assert "(10.019MB)" in msg
    assert "(estimated 0.97s)" in limits.too_short("a.wav", 0.97)
    assert "(estimated 60.02s)" in limits.too_long("a.wav", 60.02)
