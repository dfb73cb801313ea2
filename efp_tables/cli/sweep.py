"""`efp sweep`: many variants of a model to DIR/sweep.parquet."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from efp_tables.cli.common import model_summary, output_folder, parser, seconds_since, tonnes
from efp_tables.cli.compute import ENGINE_CHOICES
from efp_tables.errors import ModelError

# Grids of more variants than this say their size, an estimated time and output size before they start.
LARGE_GRID = 1_000_000


def add(commands) -> None:
    w = parser(commands, "sweep", "compute many variants of a model, write DIR/sweep.parquet",
               "efp sweep model.json --grid grid.json --out out/sweep   (efp describe model.json --json "
               "> grid.json makes a grid to edit)")
    w.add_argument("model", help="efootprint JSON model (efootprint 9 to 27)")
    w.add_argument("--grid", required=True,
                   help='GRID.json: {"OBJECT_ID.attribute": [values...], ...} or {"variants": [{...}, ...]}')
    w.add_argument("--out", required=True, help="output folder")
    w.add_argument("--hourly", action="store_true",
                   help="also write each variant's hourly total footprint to DIR/hourly/variant=N/part.parquet")
    w.add_argument("--attribution", action="store_true",
                   help="also each usage pattern's footprint per variant (usage_pattern_<id>_kg columns: the "
                        "attribution atoms grouped by pattern)")
    w.add_argument("--journeys", action="store_true",
                   help="with --attribution: also each journey's footprint (journey_<id>_kg columns)")
    w.add_argument("--chunk-size", type=int, default=None,
                   help="variants per chunk (default: as many as the memory limit allows)")
    w.add_argument("--memory-limit", default=None,
                   help="what a chunk may hold, e.g. '4 GB' (default: half the available memory, at most 2 GB)")
    w.add_argument("--engine", default="local", metavar=ENGINE_CHOICES,
                   help="local (default), or dask: a Dask cluster, needs the extra efp_tables[distributed]")
    w.add_argument("--address", help="with --engine dask: the scheduler's address (default: a local cluster)")
    w.add_argument("--workers", type=int, default=2, help="with --engine dask and no --address: local workers")
    w.add_argument("--partition-size", type=int, default=None,
                   help="with --engine dask: variants per partition (default: 4 partitions per worker, at most "
                        "2000 variants and what half the memory allows)")
    w.set_defaults(run=run)


def memory_limit(text: str | None) -> tuple[int, str]:
    """The bytes a chunk may hold, and where that limit comes from."""
    from efp_tables.sweeps import MEMORY_CAP, memory_limit_default
    from efp_tables.units import to_canonical

    if text is None:
        return memory_limit_default(), f"half the available memory, at most {MEMORY_CAP / 2**30:g} GiB"
    limit = to_canonical(text, "byte", obj="sweep", attribute="--memory-limit")
    if limit < 1e6:
        raise ModelError("sweep", "--memory-limit", text, "at least 1 MB, e.g. '4 GB'")
    return int(limit), "--memory-limit"


def run(args) -> int:
    import polars as pl

    from efp_tables.sweeps import sweep_to_parquet

    if args.engine != "local":
        return _run_distributed(args)
    if args.journeys and not args.attribution:
        raise ModelError("sweep", "--journeys", True, "--attribution as well")
    attribution = ("usage_pattern", *(("journey",) if args.journeys else ())) if args.attribution else ()
    limit, source = memory_limit(args.memory_limit)
    print(f"memory limit {limit / 2**30:,.2f} GiB ({source})")
    with output_folder(args.out):
        model, grid, plan = _read(args)
        if len(plan) > LARGE_GRID:
            print(large_grid_estimate(model, plan, args.hourly))
        out, hourly = Path(args.out) / "sweep.parquet", Path(args.out) / "hourly" if args.hourly else None
        count = sweep_to_parquet(model, grid, out, hourly_folder=hourly, chunk_size=args.chunk_size,
                                 memory_limit=limit, progress=sys.stderr.isatty(), to_arrow=kilograms,
                                 attribution=attribution)
    total = pl.col("total_footprint_kg")
    low, high = pl.scan_parquet(out).select(total.min().alias("low"), total.max().alias("high")).collect().row(0)
    print(f"{_variants(count)}: total footprint from {tonnes(low)} to {tonnes(high)}")
    print(f"wrote {out}{f' and {hourly}/' if hourly else ''} in {seconds_since(args.started)}")
    return 0


def _read(args):
    """The model, the grid and its plan (every name, unit and value checked), the model's own total printed
    before the variants'."""
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.sweeps import parse_grid, read_grid

    model = read_model(args.model)
    print(model_summary(model, [args.model]))
    grid = read_grid(args.grid)
    plan = parse_grid(model, grid)
    [baseline] = compute(model).total_footprint_kg().values()
    print(f"model as given: total footprint {tonnes(baseline)}; {_variants(len(plan))} to compute")
    return model, grid, plan


def _variants(count: int) -> str:
    return f"{count:,} variant{'s' * (count != 1)}"


def kilograms(frame):
    """A sweep's rows as Arrow, its *_kg columns stating their unit."""
    from efp_tables.io.results_table import with_units
    return with_units(frame, {column: "kilogram" for column in frame.columns if column.endswith("_kg")})


def large_grid_estimate(model, plan, hourly: bool) -> str:
    """The size of a large grid, and its time and output size estimated from a trial run of its first chunk of
    variants (computed and written to memory), times its number of chunks (a rough estimate: chunks with more
    values of an hourly parameter, or cut shorter by the memory limit, cost more)."""
    import io
    import math

    import pyarrow.parquet as pq

    from efp_tables.sweeps import CHUNK_VARIANTS, sweep_partition

    size = len(plan)
    trial = min(CHUNK_VARIANTS, size)
    started = time.monotonic()
    totals = sweep_partition(model, plan, 0, trial)
    buffer = io.BytesIO()
    pq.write_table(kilograms(totals), buffer, compression="zstd")
    seconds = (time.monotonic() - started) * math.ceil(size / trial)
    text = (f"{size:,} variants: roughly {_duration(seconds)} and {_size(buffer.tell() / trial * size)} of "
            f"sweep.parquet (from a trial on its first {trial:,} variants)")
    if hourly:
        _, per_hour = sweep_partition(model, plan, 0, 1, hourly=True)
        buffer = io.BytesIO()
        pq.write_table(kilograms(per_hour.drop("variant")), buffer, compression="zstd")
        text += f"; --hourly adds a file per variant, about {_size(buffer.tell() * size)} and the time to write them"
    return text


def _size(bytes_: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if bytes_ >= scale:
            return f"{bytes_ / scale:,.1f} {unit}"
    return f"{bytes_ / 1e3:,.1f} kB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _run_distributed(args) -> int:
    from efp_tables.distributed import check_engine, sweep_on_dask

    check_engine(args.engine)
    for flag, value in (("--hourly", args.hourly or None), ("--chunk-size", args.chunk_size),
                        ("--memory-limit", args.memory_limit), ("--attribution", args.attribution or None)):
        if value is not None:
            raise ModelError("sweep", flag, value, "the local engine (with --engine dask, see --partition-size)")
    with output_folder(args.out):
        model, grid, _ = _read(args)
        summaries = sweep_on_dask(model, grid, args.out, address=args.address,
                                  workers=args.workers, partition_size=args.partition_size,
                                  progress=sys.stderr.isatty())
    low, high = min(s.min_total_kg for s in summaries), max(s.max_total_kg for s in summaries)
    variants = sum(s.variants for s in summaries)
    print(f"{_variants(variants)}: total footprint from {tonnes(low)} to {tonnes(high)}")
    print(f"wrote {Path(args.out) / 'sweep.parquet'}/ ({len(summaries)} partitions, "
          f"{len({s.worker for s in summaries})} workers) in {seconds_since(args.started)}")
    return 0
