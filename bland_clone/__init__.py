"""bland-clone: check voice samples locally, then clone voices with Bland's voice API.

The Python API, importable in your own scripts::

    from bland_clone import inspect, validate_upload, Client

    infos = [inspect("sample.wav")]
    report = validate_upload(infos, name="My voice", require_name=True)
    if report.ok:
        result = Client(api_key).clone("My voice", infos)

Names are imported lazily so that ``import bland_clone`` (and ``bland-clone --version``) stays fast.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: --version stays fast

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AudioInfo",
    "AuthError",
    "BlandCloneError",
    "Client",
    "CloneResult",
    "InputError",
    "NameTaken",
    "NotFoundError",
    "Report",
    "ServiceError",
    "Voice",
    "inspect",
    "inspect_many",
    "validate_upload",
]

_LAZY = {
    "AudioInfo": "core.audioinfo",
    "inspect": "audio.inspection",
    "inspect_many": "audio.inspection",
    "Report": "audio.verdict",
    "validate_upload": "audio.verdict",
    "Client": "api.client",
    "CloneResult": "api.client",
    "Voice": "api.client",
    "APIError": "core.errors",
    "AuthError": "core.errors",
    "BlandCloneError": "core.errors",
    "InputError": "core.errors",
    "NameTaken": "core.errors",
    "NotFoundError": "core.errors",
    "ServiceError": "core.errors",
}

if TYPE_CHECKING:
    from typing import Any

    from .api.client import Client, CloneResult, Voice
    from .audio.inspection import inspect, inspect_many
    from .audio.verdict import Report, validate_upload
    from .core.audioinfo import AudioInfo
    from .core.errors import (
        APIError,
        AuthError,
        BlandCloneError,
        InputError,
        NameTaken,
        NotFoundError,
        ServiceError,
    )


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'bland_clone' has no attribute {name!r}")
    import importlib  # lazy: start-up (--version)

    return getattr(importlib.import_module(f".{mod}", __name__), name)
