"""Files bland-clone writes: complete or not at all, with the permissions the umask gives.

A temporary file beside the target (created exclusively, never a fixed name that could be a
symlink), renamed over the target only once complete. A target that exists and is not a regular
file (a device node, a FIFO, a folder) is never replaced, --force or not.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from types import TracebackType

from .errors import InputError, NotRegularFile, WouldOverwrite


def refuse_special(path: str) -> None:
    """An InputError when ``path`` exists and is not a regular file (links are followed)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"Cannot write {path}: it is a folder.")
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path)


def check_writable(path: str, force: bool) -> None:
    """Before anything is fetched: the output can be written where it is asked."""
    if path == "-":
        return
    refuse_special(path)
    if os.path.lexists(path) and not force:
        raise WouldOverwrite(path)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InputError(f"Cannot write {path}: folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write {path}: folder {parent} is not writable.")
    import secrets  # lazy: secrets is slow to import

    # access() says yes to root, and knows nothing of /proc or a read-only mount: create the
    # kind of temporary file the write will, so a charged request is never sent for nothing
    probe = os.path.join(parent, f".{os.path.basename(path)}.{secrets.token_hex(4)}.part")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror}.") from None
    _unlink(probe)


class AtomicWriter:
    """``with AtomicWriter(path) as w: w.write(chunk)``; ``-`` writes to stdout.

    ``mode``: the new file's permissions before the umask (0o600 for a file that may hold a
    key); ``keep_mode`` keeps an existing target's permissions instead; ``fsync`` makes the data
    durable before the rename (files that record state: the config, the lock)."""

    def __init__(
        self, path: str, *, mode: int = 0o666, keep_mode: bool = False, fsync: bool = False
    ) -> None:
        self.path = path
        self.size = 0
        self.mode = mode
        self.keep_mode = keep_mode
        self.fsync = fsync
        self._tmp: str | None = None
        self._fd = -1

    def __enter__(self) -> AtomicWriter:
        if self.path == "-":
            return self
        import secrets  # lazy: secrets is slow to import

        folder = os.path.dirname(os.path.abspath(self.path))
        base = os.path.basename(self.path)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        for _ in range(20):
            tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.part")
            try:
                self._fd = os.open(tmp, flags, self.mode)  # the umask decides, as for other tools
            except FileExistsError:
                continue
            except OSError as exc:
                raise InputError(f"Cannot write {self.path}: {exc.strerror}.") from None
            self._tmp = tmp
            return self
        raise InputError(f"Cannot write {self.path}: no free temporary name in {folder}.")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        try:
            if self._tmp is None:
                sys.stdout.buffer.write(data)
            else:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise InputError(f"Cannot write {self.path}: {exc.strerror}.") from None

    @property
    def fd(self) -> int:
        """The temporary file's descriptor (-1 for stdout), for writers that seek."""
        return self._fd

    def patch(self, offset: int, data: bytes) -> None:
        """Overwrite ``data`` at ``offset`` of what was written (a header's sizes, backfilled
        once they are known)."""
        try:
            os.pwrite(self._fd, data, offset)
        except OSError as exc:
            raise InputError(f"Cannot write {self.path}: {exc.strerror}.") from None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tmp is None:
            if kind is None:
                try:
                    sys.stdout.flush()
                except OSError as err:
                    raise InputError(f"Cannot write to stdout: {err.strerror}.") from None
            return
        tmp, self._tmp = self._tmp, None
        try:
            if kind is None and self.fsync:
                os.fsync(self._fd)
            os.close(self._fd)
            if kind is None:
                refuse_special(self.path)
                if self.keep_mode:
                    with _suppress_oserror():
                        os.chmod(tmp, os.stat(self.path).st_mode & 0o777)
                os.replace(tmp, self.path)
                return
        except OSError as err:
            _unlink(tmp)
            raise InputError(f"Cannot write {self.path}: {err.strerror}.") from None
        except BaseException:
            _unlink(tmp)
            raise
        _unlink(tmp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _suppress_oserror() -> contextlib.AbstractContextManager[None]:
    return contextlib.suppress(OSError)


def write_file(
    path: str, data: bytes, *, mode: int = 0o666, keep_mode: bool = False, fsync: bool = False
) -> None:
    """Write ``data`` to ``path`` complete or not at all (``-``: stdout). Every file
    bland-clone writes goes through here or :class:`AtomicWriter`."""
    with AtomicWriter(path, mode=mode, keep_mode=keep_mode, fsync=fsync) as w:
        w.write(data)
