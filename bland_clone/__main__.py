"""Entry point. Every error is turned into a message and an exit code here, in one place."""

from __future__ import annotations

import os
import sys

from . import __version__

#: 128 + SIGPIPE: what the shell says of a process the closed pipe killed (core.errors.ExitCode)
PIPE_CLOSED = 141

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .cli.environment import Environment


def _json_requested(args: Sequence[str]) -> bool:
    for a in args:
        if a == "--":
            return False
        if a == "--json":
            return True
    return False


def _command_name(args: Sequence[str]) -> str | None:
    """The command asked for: the first word that is not an option (the root takes no values)."""
    return next((a for a in args if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None, *, fast: bool = True) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if fast and args in (["--version"], ["-V"]):  # the fast paths: import nothing
        sys.stdout.write(f"bland-clone {__version__}\n")
        return 0
    if fast and (len(args) <= 1 or args[-1] in ("--help", "-h")):
        # every help, recorded from Typer; tests/test_help.py keeps it identical
        from ._help import show as show_help  # lazy: start-up (--version)

        try:
            shown = show_help(args)
        except BrokenPipeError:
            return _pipe_closed()
        if shown is not None:
            return shown
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    from .cli.environment import started  # lazy: start-up (--version)

    with started() as env:
        try:
            return _run(args, env)
        except BrokenPipeError:  # while an error itself was written to the closed pipe
            return _pipe_closed()


def _run(args: list[str], env: Environment) -> int:
    """One run in ``env``: the command's exit code, every error turned into its message."""
    from .cli.output import Output  # lazy: start-up (--version)
    from .core.envelope import envelope  # lazy: start-up (--version)
    from .core.errors import BlandCloneError, ExitCode  # lazy: start-up (--version)

    want_json = _json_requested(args)
    # this run's one output, handed to the command as Typer's context object; the command
    # sets its mode, and an error is reported here in that mode
    out = Output(env, "json" if want_json else "human")
    previous = _stop_on_signals()
    try:
        if any(a == "--api-key" or a.startswith("--api-key=") for a in args):
            from .core.errors import UsageError  # lazy: start-up (--version)

            raise UsageError(
                "The API key is never taken on the command line (other users' ps shows it): "
                "set BLAND_API_KEY, or pipe it to 'bland-clone config set api_key'."
            )
        from .cli.app import build_app  # lazy: pulls in typer

        app = build_app(_command_name(args))
        streams = sys.stdout, sys.stderr
        try:
            rv = app(args=args, prog_name="bland-clone", standalone_mode=False, obj=out)
        except SystemExit as exc:
            if not isinstance(exc.__context__, BrokenPipeError):
                raise
            # Typer's answer to a closed stdout: exit 1 ("the input was refused"), its streams
            # wrapped for good; the closed pipe is ours to answer
            sys.stdout, sys.stderr = streams
            return _pipe_closed()
        except Exception as exc:  # Ctrl-C at a prompt: Typer's Abort from the KeyboardInterrupt
            import typer  # lazy: typer (outside the CLI)

            if isinstance(exc, typer.Abort) and isinstance(exc.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            raise
        if rv == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into Exit(130) itself
            raise KeyboardInterrupt
        return rv if isinstance(rv, int) else 0
    except BlandCloneError as exc:
        _report(out, exc, args)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        # a new line first only on a terminal, where a progress line may be open
        said = "\nInterrupted." if env.stderr_isatty else "Interrupted."
        try:
            if out.mode == "json":
                error = {"error": "Interrupted", "message": "Interrupted."}
                out.json(envelope({}, ok=False, errors=[error]))
            print(said, file=env.stderr)
        except BrokenPipeError:  # stdout's reader was stopped by the same Ctrl-C (| jq)
            _silence_stdout()
            print(said, file=env.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return _pipe_closed()
    except Exception as exc:
        usage = _usage_error(exc, env, args)
        if usage is not None:
            code, message, show = usage
            if want_json:
                out.set_mode("json").json(
                    envelope({}, ok=False, errors=[{"error": "Usage Error", "message": message}])
                )
            elif show is None:
                out.set_mode("human").error(message)
            else:
                show()
            return code
        if os.environ.get("BLAND_CLONE_DEBUG"):
            raise
        print(
            f"error: internal error ({type(exc).__name__}). This is a bug in bland-clone; "
            "run again with BLAND_CLONE_DEBUG=1 for details and report it.",
            file=env.stderr,
        )
        return int(ExitCode.INTERNAL)
    finally:
        _restore(previous)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> dict[int, object]:
    """SIGTERM and SIGHUP (a closed terminal, a CI job cancelled) stop the run as Ctrl-C does:
    a download's .part file is removed, a voice being made is reported, exit 130. The handlers
    of before are given back when the run ends."""
    import signal  # lazy: start-up (--version)
    import threading  # lazy: start-up (--version)

    previous: dict[int, object] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _stop)
    return previous


def _restore(previous: dict[int, object]) -> None:
    import signal  # lazy: start-up (--version)

    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]


def _usage_error(
    exc: Exception, env: Environment, args: Sequence[str]
) -> tuple[int, str, Callable[[], None] | None] | None:
    """Typer's own usage errors and aborts, recognised through Typer's public classes: the
    code, the one line (cli/_errors.py words it), and how to show it when that is not the line
    (a bare group's help, as Typer prints it)."""
    import typer as _typer  # lazy: typer (outside the CLI)

    kinds = {c.__name__ for c in type(exc).__mro__}
    if "ClickException" in kinds:
        code = int(getattr(exc, "exit_code", 2))
        message = exc.format_message()  # type: ignore[attr-defined]
        if "NoArgsIsHelpError" in kinds:  # `bland-clone voices`: the group's help, exit 2
            return code, message, lambda: exc.show(env.stderr)  # type: ignore[attr-defined]
        if "UsageError" not in kinds:
            return code, message, None
        from .cli._errors import usage_line  # lazy: start-up (--version)
        from .cli.app import COMMANDS  # lazy: start-up (--version)

        ctx = getattr(exc, "ctx", None)
        path = getattr(ctx, "command_path", None)
        option = getattr(exc, "option_name", None) if "NoSuchOption" in kinds else None
        names = {c[0] for c in COMMANDS}
        line = usage_line(
            message,
            args,
            path=path,
            unknown=option,
            commands=names,
            accepted=option is not None and _accepts(ctx, args, option),
            possible=getattr(exc, "possibilities", None) or (),
        )
        return code, line, None
    if isinstance(exc, _typer.Abort):
        return 1, "Aborted.", lambda: print("Aborted.", file=env.stderr)
    return None


def _accepts(ctx: object, args: Sequence[str], option: str) -> bool:
    """Whether the command the line names (its words, from the root) takes ``option``: then
    ``--json voices list`` is that option in the wrong place, not an unknown one."""
    root = getattr(ctx, "find_root", lambda: None)()
    command = getattr(root, "command", None)
    for word in (a for a in args if not a.startswith("-")):
        get = getattr(command, "get_command", None)
        if get is None:
            break
        try:
            command = get(root, word)
        except Exception:  # an unknown word: no command to ask
            return False
    params = getattr(command, "params", None) or ()
    return any(option in (*p.opts, *p.secondary_opts) for p in params)


def _report(out: object, exc: Exception, args: Sequence[str] = ()) -> None:
    from .cli.output import Output  # lazy: start-up (--version)
    from .core.errors import BlandCloneError  # lazy: start-up (--version)

    assert isinstance(out, Output) and isinstance(exc, BlandCloneError)
    from .cli._errors import OPTION_ERRORS, describe, option_line  # lazy: start-up (--version)
    from .core.envelope import envelope  # lazy: start-up (--version)
    from .core.errors import Declined  # lazy: start-up (--version)

    message = describe(exc, out.given)  # the error's data in the command line's words
    if isinstance(exc, OPTION_ERRORS):  # a bad option value: the help to read, as Typer's
        from .cli.app import COMMANDS  # lazy: start-up (--version)

        message = option_line(message, exc, args, {c[0] for c in COMMANDS})
    if isinstance(exc, Declined):  # a "no" at the prompt: done as asked, not an error
        if out.mode == "json":
            out.json(envelope({"declined": True, **exc.payload}))
        out.info(message)
        return
    if out.mode == "json":
        out.json(envelope(exc.payload, ok=False, errors=exc.errors_worded(message)))
    out.error(message)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _pipe_closed() -> int:
    """stdout's reader went away (``| head -1``): nothing more is written (its buffer is let
    go), nothing is said; :func:`run` then dies of SIGPIPE, as cat and grep do."""
    _silence_stdout()
    return PIPE_CLOSED


def _die_of_sigpipe() -> None:
    """End the process by SIGPIPE's default action (the shell says 141; ``set -o pipefail``
    treats it as it treats ``grep | head``); where there is no SIGPIPE, exit 141."""
    import signal  # lazy: start-up (--version)

    sigpipe = getattr(signal, "SIGPIPE", None)
    if sigpipe is not None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        import atexit  # lazy: start-up (--version)

        # a signal's death runs no exit handlers: they remove the run's temporary folders
        # (files converted for an upload), so they run first
        atexit._run_exitfuncs()
        signal.signal(sigpipe, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):  # a mask inherited from the parent would hold it
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sigpipe})
        os.kill(os.getpid(), sigpipe)
    sys.exit(PIPE_CLOSED)


def run() -> None:
    try:
        code = main()
    except KeyboardInterrupt:  # at start-up (an import), before _run's own handler is in place
        code = _interrupted_at_start(sys.argv[1:])
    if code == PIPE_CLOSED:
        _die_of_sigpipe()
    sys.exit(code)


#: json.dumps(envelope({}, ok=False, errors=[Interrupted]), indent=2) + newline, as written.
INTERRUPTED_JSON = """{
  "ok": false,
  "errors": [
    {
      "error": "Interrupted",
      "message": "Interrupted."
    }
  ]
}
"""


def _interrupted_at_start(args: Sequence[str]) -> int:
    """What a Ctrl-C during start-up gets: the one line (and with --json the one object) that
    _run gives, exit 130, never a traceback. Nothing was done yet."""
    try:
        if _json_requested(args):  # the envelope _run writes, as its text (no json import)
            sys.stdout.write(INTERRUPTED_JSON)
        sys.stderr.write("\nInterrupted.\n" if sys.stderr.isatty() else "Interrupted.\n")
    except (OSError, ValueError, KeyboardInterrupt):
        pass
    return 130


if __name__ == "__main__":
    run()
