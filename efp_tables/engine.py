"""How efp_tables runs its Polars queries: the engine of every collect, and the core they run on.

The in-memory engine, not Polars' default ("auto"), which runs most queries on its streaming engine: our plans are
many small queries (input tables of tens of rows, hourly frames of tens of thousands), where the streaming
engine's set-up per query outweighs the work. Measured on the quickstart's 1000-variant sweep: about 20 % less
time; the same on single models and on the BI export, with a lower peak memory there.

A query, even on a table of ten rows, is handed by the calling thread to Polars' worker threads and handed back.
When those threads sleep on another core, each hand-over wakes that core: on virtual machines (this project's
2-core one) a join of two 30-row tables takes ~0.27 ms that way and ~0.07 ms with the workers on the caller's
core. A computation (a model, a sweep's chunk, a model's validation queries where it has any) is made of tens to
hundreds of such queries and of numpy work on the calling thread, so `on_one_core` keeps the workers on the
caller's core while it runs. Set EFP_ONE_CORE=0 to leave the threads where the system puts them.

And the memory blocks of hourly series: `keep_freed_memory` has glibc's malloc reuse them (EFP_KEEP_FREED_MEMORY=0
leaves malloc as it is)."""
from __future__ import annotations

import ctypes
import os
import platform
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, wraps

ENGINE = "in-memory"
# A computation on more hourly input rows than this (about ten systems over five years) leaves the threads free:
# its queries are large enough to gain from Polars' threads, and a busy machine's other work would share its one
# core (a 100-system portfolio: as fast either way on an idle machine, 20 % slower pinned beside another job).
ONE_CORE_ROWS = 500_000

_PINNABLE = hasattr(os, "sched_setaffinity") and os.path.isdir("/proc/self/task")
_lock = threading.Lock()
_pinning: _Pinning | None = None  # the computation that has the workers on its core
_within = threading.local()  # depth: how many blocks the thread is in (the outermost one decides)
_workers: dict[int, list[int]] = {}  # Polars' worker threads, per process id (a fork has its own)


@dataclass(frozen=True)
class _Pinning:
    caller: int
    core: int
    former: dict[int, set[int]]  # each pinned thread's affinity before


@contextmanager
def on_one_core(wanted: bool = True) -> Iterator[None]:
    """Polars' worker threads and the calling thread on the core the caller runs on, if `wanted`, until the end of
    the block; then every thread as it was. A block within a block of the same thread follows the outer one;
    another thread's block meanwhile runs as usual."""
    global _pinning
    depth = getattr(_within, "depth", 0)
    pinning = None
    if depth == 0 and wanted and _enabled():
        with _lock:
            if _pinning is None:
                pinning = _pinning = _pin(threading.get_native_id())
    _within.depth = depth + 1
    try:
        yield
    finally:
        _within.depth = depth
        if pinning is not None:
            with _lock:
                _restore(pinning)
                _pinning = None


def on_one_core_for(hourly_rows: int):
    """`on_one_core` for a computation on this many rows of hourly inputs, if at most ONE_CORE_ROWS."""
    return on_one_core(hourly_rows <= ONE_CORE_ROWS)


def one_core_if_small(function: Callable) -> Callable:
    """`function(model, ...)` run within `on_one_core_for(model.hourly_rows)`."""
    @wraps(function)
    def run(model, *args, **kwargs):
        with on_one_core_for(model.hourly_rows):
            return function(model, *args, **kwargs)
    return run


def _enabled() -> bool:
    return _PINNABLE and os.environ.get("EFP_ONE_CORE", "1") != "0"


def _pin(caller: int) -> _Pinning | None:
    """The caller and Polars' workers on the caller's core (None if not done)."""
    workers = _worker_threads()
    if not workers:  # the pool not started yet: nothing to hand over to
        return None
    former: dict[int, set[int]] = {}
    core = _current_core()
    try:
        for thread in (caller, *workers):
            former[thread] = os.sched_getaffinity(thread)
            if core not in former[thread]:
                raise OSError(f"core {core} not allowed for thread {thread}")
            os.sched_setaffinity(thread, {core})
    except OSError:  # a thread gone, or a core the system refuses: as if never asked
        _workers.pop(os.getpid(), None)
        _restore(_Pinning(caller, core, former))
        return None
    return _Pinning(caller, core, former)


def _restore(pinning: _Pinning) -> None:
    """Every pinned thread back to its former affinity; a thread that one of them started meanwhile (it inherited
    the one core) gets the caller's former affinity."""
    for thread, mask in pinning.former.items():
        try:
            os.sched_setaffinity(thread, mask)
        except OSError:
            pass
    spread = pinning.former.get(pinning.caller)
    for thread in _threads() if spread else ():
        if thread not in pinning.former:
            try:
                if os.sched_getaffinity(thread) == {pinning.core}:
                    os.sched_setaffinity(thread, spread)
            except OSError:
                pass


def _worker_threads() -> list[int]:
    """Polars' worker threads (named POLARS_THREAD_NAME-<n>, "polars-<n>" by default), once all are started."""
    pid = os.getpid()
    if pid not in _workers:
        import polars as pl
        prefix = os.environ.get("POLARS_THREAD_NAME", "polars") + "-"
        found = [thread for thread in _threads()
                 if _name(thread).startswith(prefix) and _name(thread).removeprefix(prefix).isdigit()]
        if len(found) < pl.thread_pool_size():  # starts the pool if need be; its threads are named as they run
            return []
        _workers[pid] = found
    return _workers[pid]


def _threads() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc/self/task")]


def _name(thread: int) -> str:
    try:
        with open(f"/proc/self/task/{thread}/comm") as file:
            return file.read().strip()
    except OSError:
        return ""


def _current_core() -> int:
    """The core the calling thread runs on (field 39 of its /proc stat line)."""
    with open("/proc/thread-self/stat") as file:
        return int(file.read().rsplit(")", 1)[1].split()[36])


# A model's blocks are allocated and freed by the hundred (megabytes each). glibc's malloc, left to itself, maps the
# larger ones afresh and hands freed memory back to the system once its heap's free top passes a few megabytes:
# each new block then faults in every page again, which cost ~25 % of a model's compute (~6000 page faults in the
# ecommerce reference). Set to serve blocks up to 8 MB (a model's few series over years) from its heap and keep up
# to 64 MB of it free, freed blocks are reused instead. Larger ones (a sweep's) are still mapped afresh: np.zeros
# then takes the system's zeroed pages as they are written, where zeroing reused memory costs a sweep ~5 %.
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 8 * 1024**2, 64 * 1024**2


@cache
def keep_freed_memory() -> None:
    """glibc's malloc set to reuse freed blocks (see above), once per process (at the first computation): not where
    EFP_KEEP_FREED_MEMORY=0, where the environment sets malloc's thresholds itself (MALLOC_MMAP_THRESHOLD_,
    MALLOC_TRIM_THRESHOLD_), nor with another C library."""
    if (os.environ.get("EFP_KEEP_FREED_MEMORY") == "0" or platform.system() != "Linux"
            or platform.libc_ver()[0] != "glibc"
            or any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))):
        return
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    libc.mallopt(m_mmap_threshold, _MMAP_THRESHOLD)
    libc.mallopt(m_trim_threshold, _TRIM_THRESHOLD)
