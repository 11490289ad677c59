"""validate, as plain operations: files checked as one upload, or each file as its own (takes).
Offline; no key. The results are reports; showing them is the command's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..audio.verdict import best_take, rank_takes, validate_each, validate_upload
from ..core import verdicts
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
    cache: bool = True,
) -> Report:
    """Inspect and check files as one upload; ``cache``: quality verdicts remembered in the
    user cache folder by the files' contents (:mod:`bland_clone.core.verdicts`)."""

    inputs.check_engine(engine)
    store = verdicts.lookup() if cache and quality else None
    report = validate_upload(
        inputs.inspect_files(paths),
        name=name,
        gender=gender,
        engine=engine,
        quality=quality,
        strict=strict,
        cache=store,
    )
    if store is not None:
        store.prune()
    return report


@dataclass(frozen=True)
class Takes:
    """Every file judged as its own upload; ``best`` the take to keep (None: none would pass),
    ``ranked`` every take, best first."""

    report: Report
    best: AudioInfo | None
    ranked: list[AudioInfo]


def judge_takes(
    paths: Sequence[str],
    *,
    engine: str = "v3",
    quality: bool = True,
    strict: bool = False,
    cache: bool = True,
) -> Takes:
    inputs.check_engine(engine)
    store = verdicts.lookup() if cache and quality else None
    report = validate_each(
        inputs.inspect_files(paths), engine=engine, quality=quality, strict=strict, cache=store
    )
    if store is not None:
        store.prune()
    return Takes(report, best_take(report), rank_takes(report))
