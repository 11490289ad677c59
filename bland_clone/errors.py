"""One exception hierarchy; each class carries the exit code it maps to.

``bland_clone.__main__`` turns any of these into a message and that exit code, in one place.
No message built here ever contains the API key: the client never passes it in.
"""

from __future__ import annotations

from enum import IntEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ExitCode(IntEnum):
    OK = 0
    INPUT = 1  # the input was refused, locally or by the service
    USAGE = 2  # bad command line, or a destructive action without --yes off a terminal
    AUTH = 3  # no key, or the service said 401/403
    SERVICE = 4  # network, timeout, 5xx, 429 after retries, a malformed answer
    DEVICE = 5  # record: no microphone, no PortAudio, or the device cannot be opened
    INTERNAL = 70  # a bug in bland-clone (BSD's EX_SOFTWARE); BLAND_CLONE_DEBUG=1 shows it
    BUSY = 75  # another apply holds the manifest's lock (BSD's EX_TEMPFAIL): try again later
    INTERRUPTED = 130


class BlandCloneError(Exception):
    """Base of every error bland-clone reports to a user."""

    exit_code: ExitCode = ExitCode.INPUT
    kind: str = "Error"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self._errors = errors
        #: Extra top-level fields for the ``--json`` object (a validation report, say).
        self.payload = payload or {}

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The error objects for ``--json``: each has at least ``message``."""
        if self._errors:
            return self._errors
        return [{"error": self.kind, "message": self.message}]


class InputError(BlandCloneError):
    """A local check refused the input (a file, a name, a manifest)."""

    kind = "Validation Error"


class UsageError(BlandCloneError):
    exit_code = ExitCode.USAGE
    kind = "Usage Error"


class AuthError(BlandCloneError):
    exit_code = ExitCode.AUTH
    kind = "Authentication Error"


class ServiceError(BlandCloneError):
    """The service could not be reached, or failed, or answered something unreadable."""

    exit_code = ExitCode.SERVICE
    kind = "Service Error"


class OutcomeUnknown(ServiceError):
    """A change's answer was lost and whether it was made could not be told (exit 4)."""


class DeviceError(BlandCloneError):
    """An audio device cannot be used (record, speak --play): no PortAudio, no microphone or
    output device, a device that fails."""

    exit_code = ExitCode.DEVICE
    kind = "Device Error"


class Declined(BlandCloneError):
    """The person answered no at a confirmation prompt: nothing changed, as they asked. Not a
    failure (exit 0, as ``rm -i`` declined): the message is said plainly, not as an error."""

    exit_code = ExitCode.OK
    kind = "Declined"


class APIError(BlandCloneError):
    """The service answered and refused the request (validation, processing, limits)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: list[dict[str, Any]] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, errors=errors, payload=payload)
        self.status = status


class NotFoundError(APIError):
    kind = "Not Found"


class NameTaken(APIError):
    """The service refused a name another of the caller's voices has (its words are
    ``limits.NAME_TAKEN``). Decoded from the answer in one place (bland_clone.api.answers), so
    callers catch the type and never read the message."""
