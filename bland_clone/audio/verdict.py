"""The verdict on an upload, as one :class:`Report`: the service's limits, checked from the
headers (:mod:`bland_clone.core.validation`), and on request the decoded audio's quality
(:mod:`.quality`) and voiceprints (:mod:`.voiceprint`); then the takes ranked, best first.

It lives in the audio layer because it decodes and judges audio: the core's
:mod:`bland_clone.core.validation` keeps the header-level rules and imports no audio.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import limits
from ..core.audioinfo import AudioInfo
from ..core.validation import Problem, check_files, check_gender, check_name_rules
from . import quality as q
from .quality import Quality, past


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

    def given_path(self, path: str | None) -> str | None:
        """A problem's ``file`` as the user gave it: problems name the file judged (the key
        of :meth:`verdicts`), for a converted file its temporary WAV; users see its original."""
        for f in self.files:
            if f.path == path and f.source is not None:
                return f.source.path
        return path

    def problem_dict(self, p: Problem) -> dict[str, Any]:
        """A problem as JSON, its ``file`` the file as given (:meth:`given_path`)."""
        d = p.to_dict()
        if p.file is not None:
            d["file"] = self.given_path(p.file)
        return d

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
            "errors": [self.problem_dict(p) for p in self.errors],
            "warnings": [self.problem_dict(p) for p in self.warnings],
        }


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
    cache: q.Verdicts | None = None,
) -> Report:
    """Check one upload as the service would, reporting every problem at once.

    ``quality`` also decodes each file and adds the quality warnings of
    :mod:`bland_clone.audio.quality` (``analysed``: files whose analysis is known, by path;
    ``cache``: verdicts remembered by content, read before and written after the analysis);
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
        refused = {p.file for p in problems if p.severity == "error" and p.file}
        fine = [
            f for f in files if f.ok and f.path not in refused
        ]  # a refused file's quality is moot
        for info, (measure, found) in zip(
            fine, q.check_many(fine, cache, known=analysed), strict=True
        ):
            if measure is not None:
                measured[info.path] = measure
            problems += found
        missing = [f for f in fine if f.path not in measured]
        if missing:  # not decodable: fall back to the length from the header, and say so
            problems += [
                p
                for p in check_files(missing, engine=None)
                if p.code == "outside_recommended_length"
            ]
            problems += [unchecked(f) for f in missing]
    return Report(list(files), _strict(problems) if strict else problems, measured)


def unchecked(f: AudioInfo) -> Problem:
    """A file whose audio the analysis could not decode: never a silent "ok"."""
    return Problem(
        f'File "{(f.source or f).shown}": quality not checked: its audio could not be decoded '
        "past the headers (a damaged file?); only the headers were checked.",
        "quality_unchecked",
        "warning",
        f.path,
    )


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
    """Every take, best first, as a person would pick: accepted before refused, then the
    folder's main voice before takes named as another person's (:func:`other_speakers`), then
    fewest warnings, then the cleanest (highest signal-to-noise), then the length nearest the middle
    of the recommended 10-15 s. Takes within ``SAME_SNR_DB`` of the cleanest of their group are
    as clean: among them a lossless file (the original) is preferred to a lossy copy, whose
    codec may even have smoothed the noise."""
    middle = (limits.RECOMMENDED_MIN_S + limits.RECOMMENDED_MAX_S) / 2

    warned = Counter(p.file for p in report.warnings)

    def snr(f: AudioInfo) -> float:
        q = report.quality.get(f.path)
        return q.snr_db if q is not None else 0.0

    other = {p.file for p in report.warnings if p.code == "quality_other_speaker"}

    def group(f: AudioInfo) -> tuple[bool, bool, int]:
        return (not f.ok or report.verdict(f) == "error"), f.path in other, warned[f.path]

    cleanest: dict[tuple[bool, bool, int], float] = {}
    for f in report.files:
        cleanest[group(f)] = max(cleanest.get(group(f), snr(f)), snr(f))

    def key(f: AudioInfo) -> tuple[bool, bool, int, bool, bool, float, float]:
        refused, another, warnings = group(f)
        as_clean = snr(f) >= cleanest[group(f)] - SAME_SNR_DB
        return (
            refused,
            another,
            warnings,
            not as_clean,
            as_clean and not lossless(f),
            -round(snr(f)),
            abs((f.duration or 0.0) - middle),
        )

    return sorted(report.files, key=key)


def best_take(report: Report) -> AudioInfo | None:
    """The take a person would pick (the first of :func:`rank_takes`), if any is accepted and
    not named as another person's."""
    ranked = rank_takes(report)
    if not ranked or not ranked[0].ok or report.verdict(ranked[0]) == "error":
        return None
    if any(p.code == "quality_other_speaker" and p.file == ranked[0].path for p in report.problems):
        return None
    return ranked[0]


#: Signal-to-noise ratios this close (dB) rank takes as equally clean.
SAME_SNR_DB = 1.0


def lossless(f: AudioInfo) -> bool:
    """Samples stored as recorded (PCM or float in WAV, AIFF, FLAC...), not a lossy codec's."""
    return (f.subtype or "").upper().startswith(("PCM", "FLOAT", "DOUBLE", "ALAC"))


def validate_each(
    files: Sequence[AudioInfo],
    *,
    engine: str = "v3",
    quality: bool = True,
    strict: bool = False,
    cache: q.Verdicts | None = None,
) -> Report:
    """Judge every file as its own upload (take by take): no count limit across takes. With
    ``quality``, a take whose voiceprint stands apart from the others' is named too. The files
    the service would take are analysed together first (worker processes, in
    ``quality.measure_many``), not one by one."""
    analysed = None
    if quality:
        fine = [
            f
            for f in files
            if f.ok
            and not any(
                p.severity == "error" and p.file
                for p in check_files([f], engine=engine, recommend=False)
            )
        ]
        analysed = dict(zip([f.path for f in fine], q.measure_many(fine, cache), strict=True))
    report = merge_reports(
        [validate_upload([f], engine=engine, quality=quality, analysed=analysed) for f in files]
    )
    if quality:  # among the takes the service would accept, warnings or not
        report.problems += other_speakers(report)
    if strict:
        report.problems = _strict(report.problems)
    return report


def other_speakers(report: Report) -> list[Problem]:
    """Takes of another voice than the folder's main one, one warning each, and a summary
    when the folder holds several voices of two takes or more. The takes are grouped by voice
    (voiceprint.voice_groups: average linkage at voiceprint.SAME_VOICE_AT), not each compared
    with the mean of all the others, a blend of several voices when the folder holds several
    people. The main voice is the largest group (ties: the group of the take ranked best); a
    take outside it is named (``quality_other_speaker``), and :func:`rank_takes` puts it after
    every take of the main voice. With two takes, both are named when they score under
    voiceprint.DIFFERENT_BELOW. Takes refused, undecodable or without a second of speech are
    left out."""
    from . import voiceprint as vp  # lazy: start-up (validate --no-quality)

    names: dict[str, str] = {}
    for f in report.files:
        if f.ok and report.verdict(f) != "error":
            names.setdefault(f.path, f.shown)
    # every take's voiceprint, the encoder batched across takes
    embedded = zip(names, vp.embed_files(list(names)), strict=True)
    prints = {path: e for path, e in embedded if e is not None}
    if len(prints) < 2:
        return []
    paths = list(prints)
    if len(paths) == 2:
        alike, limit = vp.similarity(prints[paths[0]], prints[paths[1]]), vp.DIFFERENT_BELOW
        if alike >= limit:
            return []
        return [
            _other_voice(names[a], a, f'than "{names[b]}" ', "", alike, limit)
            for a, b in (paths, paths[::-1])
        ]
    groups = [[paths[i] for i in g] for g in vp.voice_groups([prints[p] for p in paths])]
    if len(groups) == 1:
        return []
    order = {f.path: n for n, f in enumerate(rank_takes(report))}
    largest = [g for g in groups if len(g) == len(groups[0])]
    main = min(largest, key=lambda g: min(order[p] for p in g))

    def shown(group: Sequence[str]) -> str:
        return _runs(group, paths, names)

    import numpy as np  # lazy: numpy

    def unit(group: Sequence[str]) -> np.ndarray:
        x = np.array([prints[p] for p in group], np.float64)
        out: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out

    if len(main) == len(paths) - 1:
        than = f"than the other {len(main)} takes"
    else:
        than = f"than the {len(main)} takes of the folder's main voice ({shown(main)})"
    found = []
    for group in groups:
        if group is main:
            continue
        # the group's takes against the main voice's, on average: under SAME_VOICE_AT, or
        # the two groups would be one
        alike = float((unit(group) @ unit(main).T).mean())
        for path in group:
            mates = [p for p in group if p != path]
            if mates:
                lead = f": it goes with {shown(mates)} "
                measured = "their takes against each of the main voice's, on average: "
            else:
                lead, measured = " ", "on average against each of them: "
            found.append(
                _other_voice(names[path], path, than + lead, measured, alike, vp.SAME_VOICE_AT)
            )
    if sum(len(g) >= 2 for g in groups) >= 2:
        found.append(
            Problem(
                f"The {len(paths)} takes hold {len(groups)} voices: "
                + "; ".join(shown(g) for g in groups)
                + f" (grouped by voiceprint; the best take is chosen among {shown(main)}): "
                "a voice should be cloned from one person's takes only.",
                "quality_several_voices",
                "warning",
                None,
            )
        )
    return found


def _other_voice(
    name: str, path: str, than: str, measured: str, alike: float, limit: float
) -> Problem:
    """A take named as another person's: ``than`` whom, ``measured`` how the similarity
    was measured."""
    return Problem(
        f'File "{name}": sounds like another person {than}({measured}voiceprint '
        f"{past(alike, limit, 2)} alike, under {limit:g}; one person's takes score about "
        "0.66-0.94 pair to pair): a voice should be cloned from one person's takes only.",
        "quality_other_speaker",
        "warning",
        path,
    )


def _runs(group: Sequence[str], order: Sequence[str], names: Mapping[str, str]) -> str:
    """Takes (paths) by their names, quoted, in ``order``; three or more in a row of
    ``order`` as "first" to "last"."""
    at = {p: i for i, p in enumerate(order)}
    out: list[str] = []
    run: list[str] = []
    for p in [*sorted(group, key=lambda p: at[p]), None]:
        if p is not None and run and at[p] == at[run[-1]] + 1:
            run.append(p)
            continue
        if len(run) >= 3:
            out.append(f'"{names[run[0]]}" to "{names[run[-1]]}"')
        else:
            out += [f'"{names[r]}"' for r in run]
        run = [p] if p is not None else []
    return ", ".join(out)
