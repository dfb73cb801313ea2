"""What several `efp` commands share: their outputs checked before anything is computed, the wall time of the
run, the summary line of the models they read, and the example each command's --help ends with."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from efp_tables.errors import ModelError


def parser(commands, name: str, help: str, example: str) -> argparse.ArgumentParser:
    """A command's parser, its --help ending with `example` (a shell line)."""
    return commands.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                               epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)


@contextmanager
def output_folder(folder: str | Path, option: str = "--out") -> Iterator[Path]:
    """Checks, before anything is computed, that `folder` can take the outputs: it is created (with its missing
    parents) and a probe file is written in it; an OSError is a one-line ModelError. The folders it created
    are removed again when the block fails or is interrupted, so that a run that writes nothing leaves nothing
    behind (the outputs themselves are atomic: io.atomic)."""
    folder = Path(folder)
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists() or parent.is_symlink():
            break
        missing.append(parent)
    _CREATED.append(missing)  # before the folder exists: a Ctrl-C from here on removes what this made
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(dir=folder, prefix=_PROBE)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            _remove_empty(missing)
            raise ModelError(str(folder), option, str(folder),
                             f"a folder where the outputs can be written ({exc.strerror or exc})") from None
        try:
            yield folder
        except BaseException:
            _remove_empty(missing)
            raise
    finally:
        _CREATED.remove(missing)


@contextmanager
def output_file(path: str | Path, option: str = "--out") -> Iterator[Path]:
    """`output_folder` for the folder of one output file, which must not be a folder itself."""
    path = Path(path)
    if path.is_dir():
        raise ModelError(str(path), option, str(path), "a file name, not a folder")
    with output_folder(path.parent, option):
        yield path


# The folders `output_folder` created for the commands running now, removed if they stop at once (Ctrl-C).
_CREATED: list[list[Path]] = []
_PROBE = ".efp-write-check."


def stop_at_once(message: str, code: int) -> None:
    """Ends the program now, leaving no output behind: the temporaries of the writes in progress and the output
    folders this run created are removed, `message` is printed, and the process exits with `code` without
    unwinding (a KeyboardInterrupt raised inside a Polars callback would reach us as another error, or not at
    all)."""
    from efp_tables.io.atomic import remove_pending

    remove_pending()
    for missing in _CREATED:
        _remove_empty(missing)
    print(message, file=sys.stderr, flush=True)
    os._exit(code)


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        for probe in folder.glob(f"{_PROBE}*"):  # a write check cut short by Ctrl-C
            probe.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:  # not empty (someone else wrote there) or already gone
            break


# When `efp` runs as a program, its wall time counts from the process start: the imports (2-3 s of polars,
# pyarrow, altair) are part of what a user waits for. Called in-process (tests), from the call.
_IMPORTED = time.monotonic()


def process_started() -> float:
    """The process's start on the time.monotonic() clock (Linux /proc), else when this module was imported."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks since boot
        return time.monotonic() - (time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot)
    except (OSError, ValueError, IndexError, AttributeError):
        return _IMPORTED


def seconds_since(started: float) -> str:
    return f"{time.monotonic() - started:.2f} s"


def model_summary(model, paths: list[str]) -> str:
    """What a run is about to compute: the files read, their systems, objects and usage period."""
    from datetime import datetime, timedelta

    import polars as pl

    from efp_tables.tables import schema as s

    objects = sum(model.table(t.name).height for t in s.OBJECT_TABLES)
    # Web usage patterns' hours and edge usage patterns' deployment hours
    hours = pl.concat([model.table(name)["hour"] for name in ("hourly_occurrences", "edge_deployment_starts")])
    first, last = (datetime(1970, 1, 1) + timedelta(hours=hour) for hour in (hours.min(), hours.max()))
    systems = len(model.system_ids)
    return (f"read {', '.join(Path(p).name for p in paths)}: {systems} system{'s' * (systems > 1)}, "
            f"{objects} objects, usage from {first:%Y-%m-%d} to {last:%Y-%m-%d} (local time)")


def read_models(paths: list[str]):
    """One model, or a portfolio of the files (each system's id its file's name), read and validated as one."""
    from efp_tables.io import efootprint_json

    return efootprint_json.read_models(paths, [Path(path).stem for path in paths] if len(paths) > 1 else None)


def tonnes(kg: float) -> str:
    return f"{kg / 1000:,.1f} t CO2e"
