"""Sweeps beyond one machine, on Dask distributed (the optional extra `efp_tables[distributed]`).

The variants of a sweep are cut into partitions of consecutive variant numbers. Every worker receives the model
and the sweep plan once (broadcast), runs the same plan as a local sweep on each partition it is given
(`sweeps.sweep_partition`) and writes that partition's rows itself as one Parquet file; the driver only gathers
a small summary per partition. Files go to a temporary folder next to the output that becomes
`DIR/sweep.parquet/` (a folder of `part-<first>-<last>.parquet` files) once every partition is in, so a failed
sweep leaves nothing behind. A partition whose worker dies is run again by Dask on another worker; its file
name depends only on its variants, so a rerun replaces rather than duplicates it."""
from __future__ import annotations

import math
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from tqdm import tqdm

from efp_tables.errors import ModelError
from efp_tables.io.atomic import atomic_folder, atomic_path
from efp_tables.io.results_table import with_units
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


def check_engine(engine: str) -> None:
    """`engine` is one we run on; Ray was weighed and left out (README, "Beyond one machine")."""
    if engine not in ENGINES:
        raise ModelError("sweep", "engine", engine,
                         f"one of {', '.join(ENGINES)} (efp_tables runs distributed sweeps on Dask, not Ray)"
                         if engine == "ray" else f"one of {', '.join(ENGINES)}")


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
    with atomic_path(Path(folder) / part_name(start, stop)) as temporary:
        pq.write_table(with_units(totals, {c: "kilogram" for c in totals.columns if c.endswith("_kg")}),
                       temporary, compression="zstd")
    return PartitionSummary(start, stop, part_name(start, stop), f"{socket.gethostname()}:{os.getpid()}",
                            time.perf_counter() - started, totals["total_footprint_kg"].min(),
                            totals["total_footprint_kg"].max())


def _client(address: str | None, workers: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ModelError("sweep", "engine", "dask",
                         "the distributed extra installed: pip install 'efp_tables[distributed]'") from None
    if address:
        try:
            return Client(address, timeout="30s"), None
        except OSError as exc:
            raise ModelError("sweep", "address", address, f"the address of a running Dask scheduler ({exc})") from None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ModelError("sweep", "workers", workers, "a whole number of workers >= 1")
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
    if partition_size is not None and (isinstance(partition_size, bool) or not isinstance(partition_size, int)
                                       or partition_size < 1):
        raise ModelError("sweep", "partition_size", partition_size, "a whole number of variants >= 1")
    own_cluster = None
    if client is None:
        client, own_cluster = _client(address, workers)
    try:
        from distributed import as_completed
        size = partition_size or default_partition_size(model, plan,
                                                        len(client.scheduler_info()["workers"]) or workers)
        with atomic_folder(Path(out) / "sweep.parquet") as folder:
            # Sent once to every worker, not with every task.
            shared_model, shared_plan = client.scatter([model, plan], broadcast=True)
            futures = [client.submit(write_partition, shared_model, shared_plan, start, stop, str(folder),
                                     key=f"efp-sweep-{folder.name}-{start}", pure=False)
                       for start, stop in partition_bounds(len(plan), size)]
            summaries = []
            with tqdm(total=len(plan), unit="variant", disable=not progress, file=sys.stderr,
                      dynamic_ncols=True) as bar:
                for future in as_completed(futures):
                    summary = future.result()
                    summaries.append(summary)
                    bar.update(summary.variants)
            # A worker killed while writing leaves its temporary file; the rerun wrote the partition whole.
            for leftover in folder.glob(".*"):
                leftover.unlink()
        return sorted(summaries, key=lambda summary: summary.start)
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()


def read_sweep(out: str | Path) -> pl.DataFrame:
    """The rows of a sweep written by `efp sweep`, whichever engine wrote them, in variant order."""
    path = Path(out) / "sweep.parquet"
    source = str(path / "*.parquet") if path.is_dir() else str(path)
    return pl.read_parquet(source).sort("variant")
