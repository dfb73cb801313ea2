"""Atomic output files: written under a temporary name in the target folder, then renamed over the target, so a
reader never sees a half-written file and an interrupted run leaves nothing behind."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


# The temporaries being written now: a program stopped at once (`efp` on Ctrl-C) removes them first.
_PENDING: set[Path] = set()


def remove_pending() -> None:
    """Removes the temporary files and folders of the atomic writes in progress."""
    for temporary in list(_PENDING):
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path, make_parents: bool = True) -> Iterator[Path]:
    """Yields a temporary path next to `path`; on success it becomes `path` (with the usual file permissions),
    on any error it is removed. Without `make_parents`, a missing folder is an error (FileNotFoundError)."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    _PENDING.add(Path(temporary))
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        _PENDING.discard(Path(temporary))


@contextmanager
def atomic_folder(folder: str | Path) -> Iterator[Path]:
    """Yields a temporary folder next to `folder`; on success it replaces `folder` (an older one is removed
    first), on any error it is removed with its content."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    _PENDING.add(temporary)
    try:
        yield temporary
        temporary.chmod(0o777 & ~_umask())  # mkdtemp makes it private
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        elif folder.exists():
            folder.unlink()
        temporary.rename(folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    finally:
        _PENDING.discard(temporary)
