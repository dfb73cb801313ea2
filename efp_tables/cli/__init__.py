"""`efp`: compute efootprint JSON models, sweep and simulate them, run the quickstart.

Each command lives in its own module with `add(commands)` (its arguments) and `run(args) -> exit code`."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings

from efp_tables.cli import (chart, common, compare, compute, describe, explain, quickstart, report, simulate, sweep,
                            upgrade)
from efp_tables.errors import ModelError
from efp_tables.io.json_upgrade import UpgradeWarning

COMMANDS = (compute, sweep, simulate, describe, quickstart, chart, explain, report, upgrade, compare)
INTERRUPTED = 130  # 128 + SIGINT, as shells report it
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program whose reader went away


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("efp_tables")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Runs `efp` on `argv` (the command line when None: the run's time then counts from the process start)."""
    started = common.process_started() if argv is None else time.monotonic()
    if argv is None and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # each message as it happens, also into a pipe or a log
    parser = argparse.ArgumentParser(prog="efp", description=__doc__.splitlines()[0],
                                     epilog="`efp COMMAND --help` shows a command's options and an example.")
    parser.add_argument("--version", action="version", version=f"efp (efp_tables) {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(commands)
    args = parser.parse_args(argv)
    args.started = started
    interrupted = "efp: interrupted (nothing written)"
    if argv is None:  # a program of its own: Ctrl-C ends it at once (common.stop_at_once)
        def on_ctrl_c(signum, frame):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
            common.stop_at_once(interrupted, INTERRUPTED)
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", UpgradeWarning)
            warnings.showwarning = _show_warning
            return args.run(args)
    except ModelError as exc:
        print(f"efp: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output stopped early (`efp describe ... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush does not fail again
        return BROKEN_PIPE
    except OSError as exc:  # e.g. a disk that fills up once the outputs were checked (cli.common.output_folder)
        print(f"efp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # called in-process (argv given)
        print(interrupted, file=sys.stderr)
        return INTERRUPTED


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of a reading (an upgraded file) as one line each, without Python's source location."""
    if issubclass(category, UpgradeWarning):
        print(f"efp: warning: {message}", file=sys.stderr)
    else:
        warnings._showwarnmsg_impl(warnings.WarningMessage(message, category, filename, lineno, file, line))


if __name__ == "__main__":
    sys.exit(main())
