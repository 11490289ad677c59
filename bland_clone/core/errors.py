"""One exception hierarchy; each class carries the exit code it maps to.

``bland_clone.__main__`` turns any of these into a message and that exit code, in one place.
No message built here ever contains the API key: the client never passes it in.

The typed errors below the base classes carry data (the parameter, the value, the choices, the
remedy) and a plain message in the operation's own terms: a parameter is named as the function
names it (``engine``, ``preview_output``). The command line words them with its option names
and hints (bland_clone.cli._errors); library callers read the fields.
"""

from __future__ import annotations

from enum import IntEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
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
    #: stdout's reader went away (``| head``): the process dies of SIGPIPE, as cat or grep do
    PIPE_CLOSED = 141


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
        return self.errors_worded(self.message)

    def errors_worded(self, message: str) -> list[dict[str, Any]]:
        """The error objects, this error's own one said as ``message`` (the caller's words)."""
        if self._errors:
            return self._errors
        return [{"error": self.kind, "message": message}]


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


class NotAnId(NotFoundError):
    """The service found no shared voice by the id given (``reason``: its words); adding a
    shared voice takes an id, which the shared library lists (the remedy)."""

    def __init__(self, found: NotFoundError) -> None:
        self.reason = found.message
        super().__init__(
            f"{found.message} (adding a shared voice takes its id, from the shared library)",
            status=found.status,
            errors=found._errors,
            payload=found.payload,
        )


class NameTaken(APIError):
    """The service refused a name another of the caller's voices has (its words are
    ``limits.NAME_TAKEN``). Decoded from the answer in one place (bland_clone.api.answers), so
    callers catch the type and never read the message."""


# -- typed errors: data first, words for the command line in bland_clone.cli._errors ------------


class NameUnavailable(InputError):
    """The service says ``name`` is taken (asked before anything is sent: a dry run); its
    words are ``limits.NAME_TAKEN``."""

    def __init__(self, name: str, message: str, *, payload: dict[str, Any] | None = None) -> None:
        self.name = name
        # --json keeps the service's words, whatever the line adds
        super().__init__(
            message, errors=[{"error": self.kind, "message": message}], payload=payload
        )


class BadChoice(UsageError):
    """``field`` was given ``value``, which is not one of ``choices``."""

    def __init__(self, field: str, value: object, choices: Sequence[str]) -> None:
        self.field, self.value, self.choices = field, value, tuple(choices)
        super().__init__(f"{field} must be one of {', '.join(choices)}, not {value!r}")


class BadForm(UsageError):
    """``field`` was given a value not of the form it takes: ``expected`` says which form;
    ``shown`` is the value quoted and escaped for a message."""

    def __init__(self, field: str, value: object, *, expected: str, shown: str) -> None:
        self.field, self.value, self.expected, self.shown = field, value, expected, shown
        super().__init__(f"{field} must be {expected}, not {shown}")


class NeedsValue(UsageError):
    """``field`` is needed when ``because`` is given (``purpose`` says what for)."""

    def __init__(self, field: str, *, because: str, purpose: str) -> None:
        self.field, self.because, self.purpose = field, because, purpose
        super().__init__(f"{because} needs {field} {purpose}.")


class NeedsFileName(UsageError):
    """``field`` names a folder (``value``) where ``because`` writes one file."""

    def __init__(self, field: str, value: str, *, because: str) -> None:
        self.field, self.value, self.because = field, value, because
        super().__init__(f"{because} writes one file: {field} must be a file name (OUT.wav).")


class BadOrder(UsageError):
    """``later`` (seconds) is not after ``earlier``: the fields name them. The arguments
    contradict each other: a usage error."""

    def __init__(self, earlier: tuple[str, float], later: tuple[str, float]) -> None:
        self.earlier, self.later = earlier, later
        (first, a), (second, b) = earlier, later
        super().__init__(f"{second} ({b:g}s) must be after {first} ({a:g}s).")


class WouldOverwrite(InputError):
    """``path`` exists and overwriting was not asked for (the remedy: ask for it)."""

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(f"{self.path} exists; it is overwritten only when asked (force).")


class PastTheEnd(InputError):
    """``field`` asks for ``at`` seconds into the file ``shown`` (its name, escaped), which
    lasts ``duration`` seconds."""

    def __init__(self, shown: str, field: str, at: float, duration: float) -> None:
        self.shown, self.field, self.at, self.duration = shown, field, at, duration
        super().__init__(f'File "{shown}": {field} {at:g}s is past its end ({duration:.1f}s).')


class NotRegularFile(InputError):
    """``path`` is to be written but is a device or a pipe: never replaced, even when
    overwriting is asked for (force)."""

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(
            f"Cannot write {self.path}: it is not a regular file (a device or a pipe?); "
            "it is never replaced, even when overwriting is asked for (force)."
        )


class NoSuchDevice(DeviceError):
    """The input device asked for (``spec``: its number or part of its name) matches none of
    the input devices, or ``several`` of them (the remedy: the listing of the devices)."""

    def __init__(self, spec: str, *, several: bool) -> None:
        self.spec, self.several = spec, several
        what = "matches several input devices" if several else "is not an input device"
        super().__init__(f"Device {spec!r} {what}; the listing of input devices names them.")


class Insecure(UsageError):
    """The API URL is plain http to ``host``, not loopback: the key would cross the network
    unencrypted unless insecure sending is allowed (allow_insecure)."""

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(
            f"Refusing to send the API key over plain http to {host}; use https, or allow it "
            "(allow_insecure) if you really mean it."
        )


class Redirected(ServiceError):
    """The service answered ``status`` redirecting to ``where``: not followed, since the key is
    only sent to the configured URL (the remedy: check the API URL, api_url)."""

    def __init__(self, status: int, where: str) -> None:
        self.status, self.where = status, where
        super().__init__(
            f"The service answered {status} redirecting to {where}; not followed "
            "(the API key is only sent to the configured URL). Check the API URL (api_url)."
        )


class Busy(BlandCloneError):
    """Another apply (``holder``: who) holds the manifest's lock at ``path``; the remedy: wait
    for it, or wait longer (lock_timeout)."""

    exit_code = ExitCode.BUSY
    kind = "Busy"

    def __init__(self, holder: str, path: object) -> None:
        self.holder, self.path = holder, str(path)
        super().__init__(
            f"Another apply of this manifest is running ({holder}); nothing was changed. Wait "
            f"for it to end (or wait longer: lock_timeout), then run apply again. ({self.path})"
        )


class JournalDamaged(InputError):
    """The replacement journal at ``path`` cannot be read: a replacement apply did not finish;
    the remedy is to look at the voices for '~new' and '~old' ones, then delete the file."""

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(
            f"{self.path}: damaged; it records a replacement apply did not finish. Check the "
            "voice list for voices named '~new' or '~old', then delete the file"
        )


class NoKey(AuthError):
    """No API key. ``dry_run``: the operation has a dry run, which needs none (the remedy)."""

    def __init__(self, message: str, *, dry_run: bool = False) -> None:
        self.reason, self.dry_run = message, dry_run
        remedy = ", or ask for a dry run (dry_run) to check files without one" if dry_run else ""
        super().__init__(message + remedy + ".")


class NotOffered(InputError):
    """``field`` needs ``endpoint``, which the service does not offer (``why``: how that was
    known); ``fallback``, used instead, has no such setting."""

    def __init__(self, field: str, *, endpoint: str, why: str, fallback: str) -> None:
        self.field, self.endpoint, self.why, self.fallback = field, endpoint, why, fallback
        super().__init__(
            f"{field} needs {endpoint}, which this service does not offer ({why}); "
            f"{fallback} has no {field}."
        )


class SingleSampleVoice(InputError):
    """Samples cannot be added to the voice: its engine takes one sample, at clone time.
    ``reason`` says so in full; the remedy is to clone a new voice."""

    REMEDY = "Clone a new voice with the new sample instead"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{reason} {self.REMEDY}.")


class VoicesInvalid(InputError):
    """``invalid`` voices of a manifest fail validation, so ``consequence`` (what was not
    done); the remedy is to apply the others and leave those out."""

    def __init__(
        self,
        invalid: int,
        consequence: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.invalid, self.consequence = invalid, consequence
        super().__init__(
            f"{invalid} voice(s) fail validation; {consequence}.", errors=errors, payload=payload
        )
