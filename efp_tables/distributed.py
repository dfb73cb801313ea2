"""Sweeps and portfolios beyond one machine, on Dask distributed (the optional extra `efp_tables[distributed]`).

The variants of a sweep are cut into partitions of consecutive variant numbers. Every worker receives the model
and the sweep plan once (broadcast), runs the same plan as a local sweep on each partition it is given
(`sweeps.sweep_partition`) and writes that partition's rows itself as one Parquet file; the driver only gathers
a small summary per partition. Files go to a temporary folder next to the output that becomes
`DIR/sweep.parquet/` (a folder of `part-<first>-<last>.parquet` files) once every partition is in, so a failed
sweep leaves nothing behind. A partition whose worker dies is run again by Dask on another worker; its file
name depends only on its variants, so a rerun replaces rather than duplicates it. A portfolio of JSON models
goes the same way, cut into partitions of models, each computed as one portfolio by its worker into
`DIR/results.parquet/`."""
from __future__ import annotations

import math
import os
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from tqdm import tqdm

from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.atomic import atomic_folder, atomic_path
from efp_tables.io.efootprint_json import read_models
from efp_tables.io.results_table import with_units, write_arrow
from efp_tables.sweeps import _plan, chunk_cost, memory_limit_default, sweep_partition

ENGINES = ("local", "dask")
# Partitions per worker when no size is given: a partition pays the plan's fixed cost (about 0.4 s on the
# quickstart, against some 0.03 ms per variant), so few and large, yet enough that a lost one costs little.
PARTITIONS_PER_WORKER = 2


@dataclass(frozen=True)
class PartitionSummary:
    """What the driver learns of a partition: its variants, where it ran and how long it took."""
    start: int
    stop: int
    file: str  # in DIR/sweep.parquet/
    worker: str
    seconds: float
    min_total_kg: float
    max_total_kg: float

    @property
    def variants(self) -> int:
        return self.stop - self.start

    count = variants


def check_engine(engine: str) -> None:
    """`engine` is one we run on; Ray was weighed and left out (README, "Beyond one machine")."""
    if engine not in ENGINES:
        raise ModelError("sweep", "engine", engine,
                         f"one of {', '.join(ENGINES)} (efp_tables runs distributed work on Dask, not Ray)"
                         if engine == "ray" else f"one of {', '.join(ENGINES)}")


def _check_count(owner: str, attribute: str, value) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ModelError(owner, attribute, value, "a whole number >= 1")


def partition_bounds(size: int, partition_size: int) -> list[tuple[int, int]]:
    """Consecutive (start, stop) ranges of `partition_size` variants covering 0..size-1."""
    return [(start, min(start + partition_size, size)) for start in range(0, size, partition_size)]


def default_partition_size(model, plan, workers: int) -> int:
    """PARTITIONS_PER_WORKER partitions per worker, each within the memory a local chunk may use (workers are
    taken to be machines like this one)."""
    spread = math.ceil(len(plan) / (PARTITIONS_PER_WORKER * max(workers, 1)))
    by_memory = chunk_cost(model, plan, False).largest_stop(plan, 0, memory_limit_default())
    return max(1, min(spread, by_memory))


def part_name(start: int, stop: int) -> str:
    return f"part-{start:010d}-{stop - 1:010d}.parquet"


def write_partition(model, plan, start: int, stop: int, folder: str) -> PartitionSummary:
    """The task a worker runs: variants start..stop-1 computed and written to `folder` (atomically)."""
    started = time.perf_counter()
    totals = sweep_partition(model, plan, start, stop)
    # No make_parents: after a failed run the driver removes the folder, and a late task must not bring it back.
    with atomic_path(Path(folder) / part_name(start, stop), make_parents=False) as temporary:
        pq.write_table(with_units(totals, {c: "kilogram" for c in totals.columns if c.endswith("_kg")}),
                       temporary, compression="zstd")
    return PartitionSummary(start, stop, part_name(start, stop), f"{socket.gethostname()}:{os.getpid()}",
                            time.perf_counter() - started, totals["total_footprint_kg"].min(),
                            totals["total_footprint_kg"].max())


def _client(address: str | None, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ModelError("cluster", "engine", "dask",
                         "the distributed extra installed: pip install 'efp_tables[distributed]'") from None
    if address:
        try:
            return Client(address, timeout="30s"), None
        except OSError as exc:
            raise ModelError("cluster", "address", address,
                             f"the address of a running Dask scheduler ({exc})") from None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ModelError("cluster", "workers", workers, "a whole number of workers >= 1")
    # Polars in each worker process gets its share of the cores, not all of them.
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           env={"POLARS_MAX_THREADS": threads})
    return Client(cluster), cluster


def sweep_on_dask(model, grid: dict, out: str | Path, *, address: str | None = None, workers: int = 2,
                  partition_size: int | None = None, progress: bool = False, client=None) -> list[PartitionSummary]:
    """Run the sweep on a Dask cluster (`address` of its scheduler, or a local cluster of `workers` processes,
    or an existing `client`) and write `out/sweep.parquet/`; returns the partitions' summaries in variant order.
    Every input is checked before the cluster is touched."""
    model, plan = _plan(model, grid)
    _check_count("sweep", "partition_size", partition_size)
    with _connected(client, address, workers) as (client, workers_now):
        size = partition_size or default_partition_size(model, plan, workers_now)
        # The model and plan are sent once to every worker, not with every task.
        shared_model, shared_plan = client.scatter([model, plan], broadcast=True)

        def submit(folder: str) -> list:
            return [client.submit(write_partition, shared_model, shared_plan, start, stop, folder,
                                  key=f"efp-sweep-{Path(folder).name}-{start}", pure=False)
                    for start, stop in partition_bounds(len(plan), size)]
        summaries = _run_on_cluster(submit, Path(out) / "sweep.parquet", len(plan), "variant", progress)
    return sorted(summaries, key=lambda summary: summary.start)


@contextmanager
def _connected(client, address: str | None, workers: int):
    """(client, number of workers): the given client, or one to `address`, or to a local cluster of `workers`
    that is closed on leaving."""
    if client is not None:
        yield client, len(client.scheduler_info()["workers"]) or workers
        return
    client, own_cluster = _client(address, workers)
    try:
        yield client, len(client.scheduler_info()["workers"]) or workers
    finally:
        client.close()
        if own_cluster is not None:
            own_cluster.close()


def _run_on_cluster(submit, target: Path, total: int, unit: str, progress: bool) -> list:
    """Run the tasks `submit(folder)` makes (futures whose results have a `count`) into a temporary folder that
    becomes `target` once every task is in; a progress bar counts `unit`s done across workers."""
    from distributed import as_completed
    with atomic_folder(target) as folder:
        futures = submit(str(folder))
        summaries = []
        try:
            with tqdm(total=total, unit=unit, disable=not progress, file=sys.stderr, dynamic_ncols=True) as bar:
                for future in as_completed(futures):
                    summary = future.result()
                    summaries.append(summary)
                    bar.update(summary.count)
        except BaseException:
            for future in futures:  # the tasks not started yet never will
                future.cancel()
            raise
        # A worker killed while writing leaves its temporary file; the rerun wrote the partition whole.
        for leftover in folder.glob(".*"):
            leftover.unlink()
    return summaries


@dataclass(frozen=True)
class PortfolioSummary:
    """What the driver learns of a partition of a portfolio: its systems' totals."""
    start: int
    stop: int
    file: str  # in DIR/results.parquet/
    worker: str
    seconds: float
    totals_kg: dict[str, float]

    @property
    def count(self) -> int:
        return self.stop - self.start


def write_portfolio_partition(paths: list[str], start: int, stop: int, folder: str) -> PortfolioSummary:
    """The task a worker runs for a portfolio: models start..stop-1 (their files), computed in one plan, their
    long results table written to `folder`."""
    started = time.perf_counter()
    model = read_models(paths, [Path(path).stem for path in paths])
    results = compute(model)
    name = f"part-{start:06d}-{stop - 1:06d}.parquet"
    with atomic_path(Path(folder) / name, make_parents=False) as temporary:
        write_arrow(with_units(results.long(), {}), temporary)
    return PortfolioSummary(start, stop, name, f"{socket.gethostname()}:{os.getpid()}",
                            time.perf_counter() - started, results.total_footprint_kg())


def portfolio_on_dask(paths: list[str | Path], out: str | Path, *, address: str | None = None, workers: int = 2,
                      partition_size: int | None = None, progress: bool = False,
                      client=None) -> list[PortfolioSummary]:
    """Compute a portfolio of efootprint JSON models on a Dask cluster, `partition_size` models per task (each
    computed as one portfolio on its worker), and write their long results tables as
    `out/results.parquet/part-<first>-<last>.parquet`, with `system_id` the file's name. Workers read the files
    themselves: they must see the same paths (a shared file system)."""
    paths = [str(Path(path).resolve()) for path in paths]
    if not paths:
        raise ModelError("portfolio", "models", paths, "at least one efootprint JSON file")
    for path in paths:
        if not Path(path).is_file():
            raise ModelError("portfolio", "models", path, "an efootprint JSON file that exists")
    stems = [Path(path).stem for path in paths]
    if len(set(stems)) < len(stems):
        repeated = sorted({stem for stem in stems if stems.count(stem) > 1})
        raise ModelError("portfolio", "models", repeated, "files of different names (a name is a system_id)")
    _check_count("portfolio", "partition_size", partition_size)
    with _connected(client, address, workers) as (client, workers_now):
        size = partition_size or math.ceil(len(paths) / (PARTITIONS_PER_WORKER * workers_now))

        def submit(folder: str) -> list:
            return [client.submit(write_portfolio_partition, paths[start:stop], start, stop, folder,
                                  key=f"efp-portfolio-{Path(folder).name}-{start}", pure=False)
                    for start, stop in partition_bounds(len(paths), size)]
        summaries = _run_on_cluster(submit, Path(out) / "results.parquet", len(paths), "system", progress)
    return sorted(summaries, key=lambda summary: summary.start)


def read_sweep(out: str | Path) -> pl.DataFrame:
    """The rows of a sweep written by `efp sweep`, whichever engine wrote them, in variant order."""
    path = Path(out) / "sweep.parquet"
    source = str(path / "*.parquet") if path.is_dir() else str(path)
    return pl.read_parquet(source).sort("variant")
