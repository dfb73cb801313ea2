"""`efp compute`: efootprint JSON models to DIR/results.parquet and the tables for BI tools (io.bi_tables)."""
from __future__ import annotations

import time
from pathlib import Path

from efp_tables.errors import ModelError


def add(commands) -> None:
    c = commands.add_parser("compute", help="compute efootprint JSON models, write DIR/results.parquet and BI tables")
    c.add_argument("models", nargs="+",
                   help="efootprint JSON model(s) (efootprint 9 to 27); several make a portfolio")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--engine", default="local",
                   help="local (default), or dask: the models computed by a Dask cluster's workers, each writing "
                        "its part of DIR/results.parquet/ (no BI tables); needs efp_tables[distributed]")
    c.add_argument("--address", help="with --engine dask: the scheduler's address (default: a local cluster)")
    c.add_argument("--workers", type=int, default=2, help="with --engine dask and no --address: local workers")
    c.add_argument("--partition-size", type=int, default=None,
                   help="with --engine dask: models per task (default: 2 tasks per worker)")
    c.set_defaults(run=run)


def run(args) -> int:
    import pyarrow.parquet as pq

    from efp_tables.compute import compute
    from efp_tables.io.bi_tables import bi_tables, write_bi_tables
    from efp_tables.io.efootprint_json import read_model

    started = time.perf_counter()
    if args.engine != "local":
        return _run_distributed(args, started)
    model = None
    for path in args.models:
        one = read_model(path, system_id=Path(path).stem if len(args.models) > 1 else None)
        model = one if model is None else model.concat(one)
    results = compute(model)
    tables = bi_tables(results, portfolio=len(args.models) > 1)
    try:
        out, *others = write_bi_tables(tables, args.out)
    except OSError as exc:
        raise ModelError(str(args.out), "--out", str(args.out),
                         f"a folder where the output tables can be written ({exc.strerror or exc})") from None
    totals = results.total_footprint_kg()
    for system_id, kg in totals.items():
        print(f"{system_id}: total footprint {kg / 1000:,.1f} t CO2e")
    rows = pq.ParquetFile(out).metadata.num_rows
    print(f"wrote {out} ({rows:,} rows) in {time.perf_counter() - started:.2f} s")
    print(f"and {len(others)} tables for BI tools: {', '.join(path.name for path in others)}")
    return 0



def _run_distributed(args, started: float) -> int:
    import sys

    from efp_tables.distributed import check_engine, portfolio_on_dask

    check_engine(args.engine)
    summaries = portfolio_on_dask(args.models, args.out, address=args.address, workers=args.workers,
                                  partition_size=args.partition_size, progress=sys.stderr.isatty())
    for summary in summaries:
        for system_id, kg in summary.totals_kg.items():
            print(f"{system_id}: total footprint {kg / 1000:,.1f} t CO2e")
    print(f"wrote {Path(args.out) / 'results.parquet'}/ ({len(summaries)} parts, "
          f"{len({s.worker for s in summaries})} workers) in {time.perf_counter() - started:.2f} s")
    return 0
