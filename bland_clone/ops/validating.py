"""validate, as plain operations: files checked as one upload, or each file as its own (takes).
Offline; no key. The results are reports; showing them is the command's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import inputs

if TYPE_CHECKING:
    from ..audio.inspection import AudioInfo
    from ..audio.verdict import Report


def validate_files(
    paths: Sequence[str],
    *,
    name: str | None = None,
    gender: str | None = None,
    engine: str = "v3",
    quality: bool = True,
    strict: bool = False,
) -> Report:
    """Inspect and check files as one upload."""
    from ..audio.verdict import validate_upload

    inputs.check_engine(engine)
    return validate_upload(
        inputs.inspect_files(paths),
        name=name,
        gender=gender,
        engine=engine,
        quality=quality,
        strict=strict,
    )


@dataclass(frozen=True)
class Takes:
    """Every file judged as its own upload; ``best`` the take to keep (None: none would pass),
    ``ranked`` every take, best first."""

    report: Report
    best: AudioInfo | None
    ranked: list[AudioInfo]


def judge_takes(
    paths: Sequence[str], *, engine: str = "v3", quality: bool = True, strict: bool = False
) -> Takes:
    from ..audio.verdict import best_take, rank_takes, validate_each

    inputs.check_engine(engine)
    report = validate_each(
        inputs.inspect_files(paths), engine=engine, quality=quality, strict=strict
    )
    return Takes(report, best_take(report), rank_takes(report))
