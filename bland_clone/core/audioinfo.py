"""What bland-clone knows about one audio file: plain data, read by the audio layer
(:func:`bland_clone.audio.inspection.inspect`) and used by the core's checks and the API client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .safetext import one_line


@dataclass
class AudioInfo:
    """What bland-clone knows about one file. ``error`` is set when it cannot be read as audio."""

    path: str
    size: int | None = None
    format: str | None = None
    subtype: str | None = None
    duration: float | None = None
    samplerate: int | None = None
    channels: int | None = None
    error: str | None = None
    #: (device, inode, size, mtime_ns) when inspected, to notice a file that changes before upload.
    fingerprint: tuple[int, int, int, int] | None = field(default=None, repr=False)
    #: where a WAV's samples are: (offset, bytes, format tag, bits), for decoding without libsndfile
    pcm: tuple[int, int, int, int] | None = field(default=None, repr=False)
    #: the original file, when this is the WAV it was converted to for an upload (what is sent)
    source: AudioInfo | None = field(default=None, repr=False)
    #: a WAV whose header does not state its data's length (0 or 0xFFFFFFFF: a recorder that
    #: never finished writing): measured from the data here, but a decoder that believes the
    #: header reads 0 samples, so an upload sends a repaired copy
    unstated_length: bool = field(default=False, repr=False)

    @property
    def name(self) -> str:
        return os.path.basename(self.path) or self.path

    @property
    def given(self) -> AudioInfo:
        """The file as the user gave it: the original of a file converted (or prepared) for
        an upload into a temporary folder, else this one."""
        return self.source or self

    @property
    def shown(self) -> str:
        """The name as messages show it: on one line, controls escaped (a file may be named
        with a line break)."""
        return one_line(self.name)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        # by hand, not dataclasses.asdict: its deep copy of every field was a tenth of a
        # folder's validate in the parent process (the values here are plain already)
        d: dict[str, Any] = {
            "path": self.given.path,  # never a temporary copy's, gone after the run
            "size": self.size,
            "format": self.format,
            "subtype": self.subtype,
            "duration": None if self.duration is None else round(self.duration, 3),
            "samplerate": self.samplerate,
            "channels": self.channels,
            "error": self.error,
            "name": self.name,
        }
        if self.source is not None:
            d["source"] = self.source.to_dict()
        return d
