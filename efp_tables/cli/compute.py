"""`efp compute`: efootprint JSON models to DIR/results.parquet and the tables for BI tools (io.bi_tables)."""
from __future__ import annotations

import sys
from pathlib import Path

from efp_tables.cli.common import (model_summary, output_folder, parser, read_models, seconds_since,
                                   tonnes)

ENGINE_CHOICES = "{local,dask}"


def add(commands) -> None:
    c = parser(commands, "compute", "compute efootprint JSON models, write DIR/results.parquet and BI tables",
               "efp compute model.json --out out/model")
    c.add_argument("models", nargs="+",
                   help="efootprint JSON model(s) (efootprint 9 to 27); several make a portfolio")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--engine", default="local", metavar=ENGINE_CHOICES,
                   help="local (default), or dask: the models computed by a Dask cluster's workers, each writing "
                        "its part of DIR/results.parquet/ (no BI tables); needs efp_tables[distributed]")
    c.add_argument("--address", help="with --engine dask: the scheduler's address (default: a local cluster)")
    c.add_argument("--workers", type=int, default=2, help="with --engine dask and no --address: local workers")
    c.add_argument("--partition-size", type=int, default=None,
                   help="with --engine dask: models per task (default: 2 tasks per worker)")
    c.set_defaults(run=run)


def run(args) -> int:
    if args.engine != "local":
        return _run_distributed(args)
    with output_folder(args.out):
        import pyarrow.parquet as pq

        from efp_tables.compute import compute
        from efp_tables.io.bi_tables import bi_tables, write_bi_tables

        model = read_models(args.models)
        print(model_summary(model, args.models))
        results = compute(model)
        print_totals(results.total_footprint_kg())
        tables = bi_tables(results, portfolio=len(args.models) > 1)
        out, *others = write_bi_tables(tables, args.out)
    print(f"wrote {out} ({pq.ParquetFile(out).metadata.num_rows:,} rows) in {seconds_since(args.started)}")
    print(f"and {len(others)} tables for BI tools in {out.parent}/: {', '.join(path.name for path in others)}")
    return 0


def print_totals(totals: dict[str, float]) -> None:
    """Each system's total footprint, and the portfolio's."""
    for system_id, kg in sorted(totals.items()):
        print(f"{system_id}: total footprint {tonnes(kg)}")
    if len(totals) > 1:
        print(f"portfolio of {len(totals)} systems: total footprint {tonnes(sum(totals.values()))}")


def _run_distributed(args) -> int:
    from efp_tables.distributed import check_engine, portfolio_on_dask

    check_engine(args.engine)
    with output_folder(args.out):
        summaries = portfolio_on_dask(args.models, args.out, address=args.address, workers=args.workers,
                                      partition_size=args.partition_size, progress=sys.stderr.isatty())
    print_totals({system_id: kg for summary in summaries for system_id, kg in summary.totals_kg.items()})
    print(f"wrote {Path(args.out) / 'results.parquet'}/ ({len(summaries)} parts, "
          f"{len({s.worker for s in summaries})} workers) in {seconds_since(args.started)}")
    return 0
