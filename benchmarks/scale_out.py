"""Variants per second of the 100,000-variant quickstart sweep: local, and on Dask with 1 and 2 local workers.

    .venv/bin/python benchmarks/scale_out.py [--variants N] [--partition-size N]

Prints, per engine, the wall time and variants per second of the sweep (Parquet written), the engine's own
overhead (cluster start, the model and plan broadcast to the workers), the mean time of one partition, and what
travels (bytes broadcast once per worker, bytes of one partition summary back to the driver). From these, a
paper estimate for a cluster of 32 machines like this one."""
import argparse
import logging
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS.parent / "tests"))

from compute import best_of  # noqa: E402  (benchmarks/compute.py, beside this script)
from sweep_grids import QUICKSTART_GRID_100K  # noqa: E402

from efp_tables.distributed import sweep_on_dask  # noqa: E402
from efp_tables.io.efootprint_json import read_model  # noqa: E402
from efp_tables.sweeps import _plan, sweep_partition, sweep_to_parquet  # noqa: E402

REFERENCE = BENCHMARKS.parents[1] / "shared" / "reference"
MACHINES = 32
BANDWIDTH = 1e9 / 8  # bytes/s, a 1 Gbit/s link from the driver


def first_variants(grid: dict, count: int) -> dict:
    """The grid cut (from its first parameter) to about `count` variants."""
    grid = dict(grid)
    for name in list(grid):
        total = 1
        for values in grid.values():
            total *= len(values)
        if total <= count:
            break
        keep = max(1, len(grid[name]) * count // total)
        grid[name] = grid[name][:keep]
    return grid


def on_dask(model, grid, workers: int, partition_size: int | None):
    from distributed import Client, LocalCluster
    started = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           env={"POLARS_MAX_THREADS": str(max(1, (os.cpu_count() or 1) // workers))})
    client = Client(cluster)
    client.run(lambda: __import__("efp_tables.sweeps"))  # workers ready to compute
    start_up = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            summaries = sweep_on_dask(model, grid, folder, client=client, partition_size=partition_size)
            seconds = time.perf_counter() - started
            written = sum(p.stat().st_size for p in (Path(folder) / "sweep.parquet").iterdir())
    finally:
        client.close()
        cluster.close()
    return start_up, seconds, summaries, written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--partition-size", type=int, default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    model = read_model(REFERENCE / "quickstart.json")
    grid = first_variants(QUICKSTART_GRID_100K, args.variants)
    model, plan = _plan(model, grid)
    variants = len(plan)
    broadcast = len(pickle.dumps((model, plan)))
    print(f"{variants:,} variants of the quickstart; model + plan broadcast: {broadcast / 1e6:.2f} MB per worker")

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        sweep_to_parquet(model, grid, Path(folder) / "sweep.parquet")
        local = time.perf_counter() - started
    print(f"{'local':10s} {local:8.1f} s {variants / local:10,.0f} variants/s")

    measured = {}
    for workers in (1, 2):
        start_up, seconds, summaries, written = on_dask(model, grid, workers, args.partition_size)
        per_partition = sum(s.seconds for s in summaries) / len(summaries)
        summary_bytes = len(pickle.dumps(summaries[0]))
        measured[workers] = (start_up, seconds, per_partition, len(summaries), summaries[0].variants)
        print(f"{'dask x' + str(workers):10s} {seconds:8.1f} s {variants / seconds:10,.0f} variants/s"
              f"   cluster start {start_up:.1f} s, {len(summaries)} partitions of {summaries[0].variants:,}"
              f" variants, {per_partition:.2f} s each, {summary_bytes} B summary each,"
              f" {written / 1e6:.1f} MB Parquet written by the workers")
    start_up, seconds, per_partition, partitions, size = measured[2]
    overhead = seconds - -(-partitions // 2) * per_partition
    print(f"engine overhead with 2 workers: {overhead:.1f} s beyond the partitions' own work"
          f" ({overhead / seconds:.0%} of the run), plus {start_up:.1f} s to start the cluster")
    # A partition costs the plan's fixed part plus a slope per variant: the fixed part is a 1-variant partition
    # (timed here, with every core; a worker sharing its machine has half), the slope comes from dask x2.
    fixed = best_of(3, lambda: sweep_partition(model, plan, 0, 1))
    slope = max(per_partition - 2 * fixed, 0.0) / size
    workers = MACHINES * 2
    partitions = 2 * workers  # the default: PARTITIONS_PER_WORKER per worker
    one = 2 * fixed + slope * variants / partitions
    estimate = broadcast * MACHINES / BANDWIDTH + 2 * one + overhead
    print(f"a partition: {2 * fixed:.2f} s fixed (a 1-variant partition on half this machine) + {slope * 1e3:.3f} ms"
          f" per variant")
    print(f"paper estimate, {MACHINES} machines x 2 workers ({workers} workers, {partitions} partitions of"
          f" {variants // partitions:,} variants, 2 rounds of {one:.2f} s), {variants:,} variants: about"
          f" {estimate:.1f} s ({variants / estimate:,.0f} variants/s) after the cluster's start, with the"
          f" {broadcast / 1e6:.2f} MB broadcast to {MACHINES} machines at 1 Gbit/s"
          f" ({broadcast * MACHINES / BANDWIDTH:.2f} s) and the same {overhead:.1f} s scheduling overhead;"
          f" the fixed part dominates, so larger sweeps scale better: 10x the variants, about"
          f" {broadcast * MACHINES / BANDWIDTH + 2 * (2 * fixed + slope * 10 * variants / partitions) + overhead:.1f} s")


if __name__ == "__main__":
    main()
