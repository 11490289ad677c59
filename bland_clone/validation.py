"""The local checks: every documented limit of one upload, every problem of every file at once.

Messages come from :mod:`bland_clone.limits`, word for word as the service says them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import limits
from .audio.inspection import AudioInfo

if TYPE_CHECKING:
    from .audio.quality import Quality

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    message: str
    code: str
    severity: Severity = "error"
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["file"] is None:
            del d["file"]
        return d


@dataclass
class Report:
    """The verdict on one upload: the files as inspected and every problem found."""

    files: list[AudioInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: quality measurements by path, when the audio was analysed
    quality: dict[str, Quality] = field(default_factory=dict)
    _verdicts: tuple[tuple[int, int], dict[str, str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_size(self) -> int:
        return sum(f.size or 0 for f in self.files)

    def verdicts(self) -> dict[str, str]:
        """Each file's verdict by path ("error", "warning"; files without problems are absent).

        The problems are grouped by file once, not scanned again for every file; the grouping
        is kept until ``problems`` is replaced or grows (checks append to it)."""
        key = (id(self.problems), len(self.problems))
        if self._verdicts is None or self._verdicts[0] != key:
            found: dict[str, str] = {}
            for p in self.problems:
                if p.file is not None and found.get(p.file) != "error":
                    found[p.file] = p.severity
            self._verdicts = (key, found)
        return self._verdicts[1]

    def verdict(self, info: AudioInfo) -> str:
        return self.verdicts().get(info.path, "ok")

    def to_dict(self) -> dict[str, Any]:
        files = []
        verdicts = self.verdicts()
        for f in self.files:
            d = f.to_dict()
            d["verdict"] = verdicts.get(f.path, "ok")
            q = self.quality.get(f.path)
            if q is not None:
                d["quality"] = q.to_dict()
            files.append(d)
        return {
            "ok": self.ok,
            "files": files,
            "total_size": self.total_size,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }


def name_length(name: str) -> int:
    """Length as the service counts it: UTF-16 code units (an emoji counts 2), like JavaScript."""
    return len(name.encode("utf-16-le", "surrogatepass")) // 2


def check_name_rules(name: str | None) -> list[Problem]:
    if name is None or not name.strip():
        return [Problem(limits.NAME_REQUIRED, "name_required")]
    out: list[Problem] = []
    if name_length(name) > limits.NAME_MAX_CHARS:
        out.append(Problem(limits.NAME_TOO_LONG, "name_too_long"))
    if any("\ud800" <= c <= "\udfff" for c in name):
        out.append(Problem("Voice name holds bytes that are not valid UTF-8", "name_not_utf8"))
    if any(unicodedata.category(c) == "Cc" for c in name):
        out.append(Problem("Voice name contains control characters", "name_control_chars"))
    if name != name.strip():
        out.append(
            Problem(
                f"Voice name has leading or trailing spaces; it is sent as is: {name!r}",
                "name_spaces",
                "warning",
            )
        )
    return out


def check_gender(gender: str | None) -> list[Problem]:
    if gender is None or gender in limits.GENDERS:
        return []
    return [Problem(limits.INVALID_GENDER, "invalid_gender")]


def _prepare_hint(f: AudioInfo) -> str:
    """The way out of a too-long or too-big file: the service's words, then prepare."""
    import shlex

    return f" Keep its best 10-15 s with: bland-clone prepare {shlex.quote(f.path)} -o sample.wav"


def _choose_hint(files: Sequence[AudioInfo]) -> str:
    """More takes than one upload holds: how to find the best one and prepare it."""
    import os
    import shlex

    folders = {os.path.dirname(f.source.path if f.source else f.path) for f in files}
    where = shlex.quote(os.path.join(folders.pop(), "")) if len(folders) == 1 else "FILES..."
    if where == "''":
        where = "."
    return (
        f" To choose the best take: bland-clone validate {where} --each ranks them, and "
        f"bland-clone prepare {where} --best -o sample.wav prepares the best."
    )


def _converted(f: AudioInfo) -> str:
    """For a file converted for the upload: its size is the WAV's, not the file given."""
    from .units import fmt_size

    if f.source is None:
        return ""
    return (
        f" That is after conversion to WAV ({f.source.name} itself is {fmt_size(f.source.size)})."
    )


def _total_way_out(files: Sequence[AudioInfo]) -> str:
    """After the service's words: what the total is made of, and how to bring it down."""
    import shlex

    from .units import fmt_size

    said = ""
    converted = [f for f in files if f.source is not None and not f.error]
    if converted:
        given = sum(f.source.size or 0 for f in converted if f.source is not None)
        said = (
            f" That is after conversion to WAV ({len(converted)} of the files were converted; "
            f"as given they are {fmt_size(given)})."
        )
    names = " ".join(shlex.quote(f.source.path if f.source else f.path) for f in files[:5])
    return (
        f"{said} Keep the best 10-15 s of each with: bland-clone prepare {names} "
        "-o prepared/, then upload prepared/; or upload fewer files."
    )


def check_files(
    files: Sequence[AudioInfo],
    *,
    engine: str | None = "v3",
    existing_samples: int | None = None,
    recommend: bool = True,
) -> list[Problem]:
    """Every limit of one upload to ``engine`` (its rule in ``limits.ENGINE_RULES``; None: files
    that are not one engine's upload, such as prepare's outputs: the 5-file limit only);
    ``existing_samples`` adds the per-voice total check."""
    out: list[Problem] = []
    if not files:
        return [Problem(limits.NO_FILES, "no_files")]
    rule = limits.ENGINE_RULES.get(engine or "v1", limits.ENGINE_RULES["v1"])
    if len(files) > rule.files:
        code = "too_many_files" if rule.files == limits.MAX_FILES_PER_UPLOAD else "engine_files"
        message = limits.engine_file_count(engine or "v1", len(files))
        out.append(Problem(message + _choose_hint(files), code))
    if (
        existing_samples is not None
        and existing_samples + len(files) > limits.MAX_SAMPLES_PER_VOICE
    ):
        out.append(
            Problem(limits.too_many_samples(len(files), existing_samples), "too_many_samples")
        )
    total = 0
    for f in files:
        if f.error:
            out.append(Problem(f.error, "unreadable", file=f.path))
            continue
        size = f.size or 0
        total += size
        if size > limits.MAX_FILE_BYTES:
            out.append(
                Problem(
                    limits.file_too_large(f.name, size) + _converted(f) + _prepare_hint(f),
                    "file_too_large",
                    file=f.path,
                )
            )
        d = f.duration or 0.0
        if d < limits.MIN_DURATION_S:
            out.append(Problem(limits.too_short(f.name, d), "too_short", file=f.path))
        elif d > limits.MAX_DURATION_S:
            out.append(
                Problem(limits.too_long(f.name, d) + _prepare_hint(f), "too_long", file=f.path)
            )
        elif recommend:
            out += recommended_length(f)
    if total > limits.MAX_TOTAL_BYTES:
        out.append(
            Problem(limits.total_too_large(total) + _total_way_out(files), "total_too_large")
        )
    out += _duplicates(files)
    return out


def _duplicates(files: Sequence[AudioInfo]) -> list[Problem]:
    """The same file given more than once: the service would receive (and count) it each time."""
    import os

    def where(f: AudioInfo) -> str:  # a converted file is the same file as its original
        return os.path.realpath(f.source.path if f.source is not None else f.path)

    seen: dict[str, int] = {}
    for f in files:
        seen[where(f)] = seen.get(where(f), 0) + 1
    out = []
    for f in files:
        n = seen.pop(where(f), 0)
        if n > 1:
            out.append(
                Problem(
                    f'File "{f.name}" is given {n} times; it would be uploaded {n} times.',
                    "duplicate_file",
                    "warning",
                    file=f.path,
                )
            )
    return out


def recommended_length(f: AudioInfo) -> list[Problem]:
    """The service's recommended 10-15 seconds, judged from the header alone (clone, validate
    --no-quality, an undecodable file) in the form of the quality check's rule, so the two
    never disagree. The quality rule measures the take (first word to last, pauses included)
    and lets up to ``edge_silence_s`` of silence sit at each end unwarned: a file shorter than
    10 s holds a take shorter than 10 s, but a clean 15.2 s file is a 14.5 s take with its
    edges. So the header form warns under 10 s, and over 15 s only when even the edges the
    quality rule tolerates cannot account for the extra length."""
    from .audio.quality import THRESHOLDS

    d = f.duration or 0.0
    longest = limits.RECOMMENDED_MAX_S + 2 * THRESHOLDS.edge_silence_s
    if limits.RECOMMENDED_MIN_S <= d <= longest:
        return []
    hint = "" if d < limits.RECOMMENDED_MIN_S else " (prepare keeps the best part)"
    return [
        Problem(
            f'File "{f.name}" is {d:.1f}s long; '
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds of clear "
            f"speech is recommended{hint}.",
            "outside_recommended_length",
            "warning",
            file=f.path,
        )
    ]


def validate_upload(
    files: Sequence[AudioInfo],
    *,
    name: str | None = None,
    require_name: bool = False,
    gender: str | None = None,
    engine: str | None = "v3",
    existing_samples: int | None = None,
    quality: bool = False,
    strict: bool = False,
    analysed: Mapping[str, Quality | None] | None = None,
) -> Report:
    """Check one upload as the service would, reporting every problem at once.

    ``quality`` also decodes each file and adds the quality warnings of
    :mod:`bland_clone.audio.quality` (``analysed``: files whose analysis is known, by path);
    ``strict`` turns every warning into an error.
    """
    problems: list[Problem] = []
    if require_name or name is not None:
        problems += check_name_rules(name)
    problems += check_gender(gender)
    problems += check_files(
        files, engine=engine, existing_samples=existing_samples, recommend=not quality
    )
    measured: dict[str, Quality] = {}
    if quality:
        from .audio import quality as q

        refused = {p.file for p in problems if p.severity == "error" and p.file}
        fine = [
            f for f in files if f.ok and f.path not in refused
        ]  # a refused file's quality is moot
        for info, (measure, found) in zip(fine, q.check_many(fine, known=analysed), strict=True):
            if measure is not None:
                measured[info.path] = measure
            problems += found
        missing = [f for f in fine if f.path not in measured]
        if missing:  # not decodable: fall back to the length from the header
            problems += [
                p
                for p in check_files(missing, engine=None)
                if p.code == "outside_recommended_length"
            ]
    return Report(list(files), _strict(problems) if strict else problems, measured)


def _strict(problems: list[Problem]) -> list[Problem]:
    """--strict: every warning an error."""
    return [
        Problem(p.message, p.code, "error", p.file) if p.severity == "warning" else p
        for p in problems
    ]


def merge_reports(reports: Sequence[Report]) -> Report:
    """Several one-file reports (take by take) as one table."""
    merged = Report()
    for r in reports:
        merged.files += r.files
        merged.problems += r.problems
        merged.quality.update(r.quality)
    return merged


def rank_takes(report: Report) -> list[AudioInfo]:
    """Every take, best first, as a person would pick: accepted before refused, then fewest
    warnings, then the cleanest (highest signal-to-noise), then the length nearest the middle
    of the recommended 10-15 s. Takes within ``SAME_SNR_DB`` of the cleanest of their group are
    as clean: among them a lossless file (the original) is preferred to a lossy copy, whose
    codec may even have smoothed the noise."""
    middle = (limits.RECOMMENDED_MIN_S + limits.RECOMMENDED_MAX_S) / 2
    from collections import Counter

    warned = Counter(p.file for p in report.warnings)

    def snr(f: AudioInfo) -> float:
        q = report.quality.get(f.path)
        return q.snr_db if q is not None else 0.0

    def group(f: AudioInfo) -> tuple[bool, int]:
        return (not f.ok or report.verdict(f) == "error"), warned[f.path]

    cleanest: dict[tuple[bool, int], float] = {}
    for f in report.files:
        cleanest[group(f)] = max(cleanest.get(group(f), snr(f)), snr(f))

    def key(f: AudioInfo) -> tuple[bool, int, bool, bool, float, float]:
        refused, warnings = group(f)
        as_clean = snr(f) >= cleanest[group(f)] - SAME_SNR_DB
        return (
            refused,
            warnings,
            not as_clean,
            as_clean and not lossless(f),
            -round(snr(f)),
            abs((f.duration or 0.0) - middle),
        )

    return sorted(report.files, key=key)


def best_take(report: Report) -> AudioInfo | None:
    """The take a person would pick (the first of :func:`rank_takes`), if any is accepted."""
    ranked = rank_takes(report)
    if not ranked or not ranked[0].ok or report.verdict(ranked[0]) == "error":
        return None
    return ranked[0]


#: Signal-to-noise ratios this close (dB) rank takes as equally clean.
SAME_SNR_DB = 1.0


def lossless(f: AudioInfo) -> bool:
    """Samples stored as recorded (PCM or float in WAV, AIFF, FLAC...), not a lossy codec's."""
    return (f.subtype or "").upper().startswith(("PCM", "FLOAT", "DOUBLE", "ALAC"))


def validate_each(
    files: Sequence[AudioInfo], *, engine: str = "v3", quality: bool = True, strict: bool = False
) -> Report:
    """Judge every file as its own upload (take by take): no count limit across takes. With
    ``quality``, a take whose voiceprint stands apart from the others' is named too. The files
    the service would take are analysed together first (worker processes, in
    ``quality.measure_many``), not one by one."""
    analysed = None
    if quality:
        from .audio import quality as q

        fine = [
            f
            for f in files
            if f.ok
            and not any(
                p.severity == "error" and p.file
                for p in check_files([f], engine=engine, recommend=False)
            )
        ]
        analysed = dict(zip([f.path for f in fine], q.measure_many(fine), strict=True))
    report = merge_reports(
        [validate_upload([f], engine=engine, quality=quality, analysed=analysed) for f in files]
    )
    if quality:  # among the takes the service would accept, warnings or not
        report.problems += other_speakers(report)
    if strict:
        report.problems = _strict(report.problems)
    return report


def other_speakers(report: Report) -> list[Problem]:
    """Takes whose voiceprint stands apart from the others' (another person's takes in the
    folder), one warning each. A take is compared with the mean voiceprint of all the other
    takes; under voiceprint.OTHER_TAKES_BELOW it is likely someone else (one person's takes
    score about 0.7-0.95 there). With two takes, both are named when they score under
    voiceprint.DIFFERENT_BELOW. Takes refused, undecodable or without a second of speech are
    left out."""
    from .audio import voiceprint as vp
    from .audio.decode import DecodeError
    from .audio.quality import past

    prints: dict[str, Any] = {}
    names: dict[str, str] = {}
    for f in report.files:
        if not f.ok or report.verdict(f) == "error" or f.path in prints:
            continue
        try:
            prints[f.path] = vp.embed_file(f.path)
        except (vp.NoSpeech, DecodeError, OSError, ValueError):
            continue
        names[f.path] = f.name
    if len(prints) < 2:
        return []
    import numpy as np

    paths = list(prints)
    found = []
    for path in paths:
        rest = np.mean([prints[p] for p in paths if p != path], axis=0)
        alike = vp.similarity(prints[path], rest)
        limit = vp.DIFFERENT_BELOW if len(paths) == 2 else vp.OTHER_TAKES_BELOW
        if alike >= limit:
            continue
        if len(paths) == 2:
            other = names[next(p for p in paths if p != path)]
            what = f'sounds like another person than "{other}"'
        else:
            what = f"sounds like another person than the other {len(paths) - 1} takes"
        found.append(
            Problem(
                f'File "{names[path]}": {what} (voiceprint {past(alike, limit, 2)}'
                f" alike, under "
                f"{limit:g}; one person's takes score about 0.7-0.95): a voice should be "
                "cloned from one person's takes only.",
                "quality_other_speaker",
                "warning",
                path,
            )
        )
    return found
