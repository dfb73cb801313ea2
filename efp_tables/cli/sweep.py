"""`efp sweep`: many variants of a model to DIR/sweep.parquet."""
from __future__ import annotations

import time
from pathlib import Path


def add(commands) -> None:
    w = commands.add_parser("sweep", help="compute many variants of a model, write DIR/sweep.parquet")
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
                   help="variants per chunk (default: as many as half the available memory, at most 2 GB, allows)")
    w.add_argument("--engine", default="local",
                   help="local (default), or dask: a Dask cluster, needs the extra efp_tables[distributed]")
    w.add_argument("--address", help="with --engine dask: the scheduler's address (default: a local cluster)")
    w.add_argument("--workers", type=int, default=2, help="with --engine dask and no --address: local workers")
    w.add_argument("--partition-size", type=int, default=None,
                   help="with --engine dask: variants per partition (default: 4 partitions per worker, at most "
                        "2000 variants and what half the memory allows)")
    w.set_defaults(run=run)


def run(args) -> int:
    import sys

    import polars as pl

    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.results_table import with_units
    from efp_tables.sweeps import read_grid, sweep_to_parquet

    def kilograms(frame: pl.DataFrame):
        return with_units(frame, {column: "kilogram" for column in frame.columns if column.endswith("_kg")})

    started = time.perf_counter()
    if args.engine != "local":
        return _run_distributed(args, started)
    out, hourly = Path(args.out) / "sweep.parquet", Path(args.out) / "hourly" if args.hourly else None
    if args.journeys and not args.attribution:
        from efp_tables.errors import ModelError
        raise ModelError("sweep", "--journeys", True, "--attribution as well")
    attribution = ("usage_pattern", *(("journey",) if args.journeys else ())) if args.attribution else ()
    count = sweep_to_parquet(read_model(args.model), read_grid(args.grid), out, hourly_folder=hourly,
                             chunk_size=args.chunk_size, progress=sys.stderr.isatty(), to_arrow=kilograms,
                             attribution=attribution)
    total = pl.col("total_footprint_kg")
    low, high = pl.scan_parquet(out).select(total.min().alias("low"), total.max().alias("high")).collect().row(0)
    print(f"{count:,} variants: total footprint from {low / 1000:,.1f} to {high / 1000:,.1f} t CO2e")
    print(f"wrote {out}{f' and {hourly}' if hourly else ''} in {time.perf_counter() - started:.2f} s")
    return 0


def _run_distributed(args, started: float) -> int:
    import sys

    from efp_tables.distributed import check_engine, sweep_on_dask
    from efp_tables.errors import ModelError
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.sweeps import read_grid

    check_engine(args.engine)
    for flag, value in (("--hourly", args.hourly or None), ("--chunk-size", args.chunk_size),
                        ("--attribution", args.attribution or None)):
        if value is not None:
            raise ModelError("sweep", flag, value, "the local engine (with --engine dask, see --partition-size)")
    summaries = sweep_on_dask(read_model(args.model), read_grid(args.grid), args.out, address=args.address,
                              workers=args.workers, partition_size=args.partition_size,
                              progress=sys.stderr.isatty())
    low, high = min(s.min_total_kg for s in summaries), max(s.max_total_kg for s in summaries)
    variants = sum(s.variants for s in summaries)
    print(f"{variants:,} variants: total footprint from {low / 1000:,.1f} to {high / 1000:,.1f} t CO2e")
    print(f"wrote {Path(args.out) / 'sweep.parquet'}/ ({len(summaries)} partitions, "
          f"{len({s.worker for s in summaries})} workers) in {time.perf_counter() - started:.2f} s")
    return 0
