"""`efp`: compute efootprint JSON models, run the quickstart."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

from efp_tables.errors import ModelError


def _compute(args) -> int:
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.results_table import write_parquet_atomic

    started = time.perf_counter()
    model = None
    for path in args.models:
        one = read_model(path, system_id=Path(path).stem if len(args.models) > 1 else None)
        model = one if model is None else model.concat(one)
    results = compute(model)
    table = results.long()
    if len(args.models) == 1:
        table = table.drop("system_id")
    try:
        out = write_parquet_atomic(table, Path(args.out) / "results.parquet")
    except OSError as exc:
        raise ModelError(str(args.out), "--out", str(args.out),
                         f"a folder where results.parquet can be written ({exc.strerror or exc})") from None
    totals = results.total_footprint_kg()
    for system_id, kg in totals.items():
        print(f"{system_id}: total footprint {kg / 1000:,.1f} t CO2e")
    print(f"wrote {out} ({table.height:,} rows) in {time.perf_counter() - started:.2f} s")
    return 0


def _sweep(args) -> int:
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.results_table import write_parquet_atomic
    from efp_tables.sweeps import read_grid, sweep

    started = time.perf_counter()
    table = sweep(read_model(args.model), read_grid(args.grid))
    out = write_parquet_atomic(table, Path(args.out) / "sweep.parquet")
    low, high = table["total_footprint_kg"].min() / 1000, table["total_footprint_kg"].max() / 1000
    print(f"{table.height:,} variants: total footprint from {low:,.1f} to {high:,.1f} t CO2e")
    print(f"wrote {out} in {time.perf_counter() - started:.2f} s")
    return 0


def _simulate(args) -> int:
    from datetime import datetime

    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.results_table import write_parquet_atomic
    from efp_tables.simulations import changed_model, diff_summary, emission_diffs, splice
    from efp_tables.sweeps import read_grid

    try:
        from_date = datetime.fromisoformat(args.from_date)
    except ValueError:
        raise ModelError("simulate", "--from", args.from_date, "a date like 2026-01-01 (UTC)") from None
    model = read_model(args.model)
    changed = changed_model(model, read_grid(args.changes))  # checked before anything is computed
    baseline = compute(model).long().drop("system_id")
    simulated = splice(baseline, compute(changed).long().drop("system_id"), from_date)
    diffs = emission_diffs(baseline, simulated)
    out = Path(args.out)
    written = [write_parquet_atomic(simulated, out / "results.parquet"),
               write_parquet_atomic(diffs, out / "diffs.parquet")]
    # below 1e-9 of the footprint is the order of float additions, not a change
    moved = pl.col("delta_kg").abs() > 1e-9 * pl.max_horizontal(pl.col("before_kg").abs(), pl.col("after_kg").abs())
    for row in diff_summary(diffs).filter(moved).iter_rows(named=True):
        print(f"{row['object_name']:30s} {row['attribute']:35s} {row['delta_kg'] / 1000:+12,.1f} t CO2e")
    for path in written:
        print(f"wrote {path}")
    return 0


def _quickstart(args) -> int:
    from efp_tables.quickstart import run_quickstart
    for line in run_quickstart(Path(args.out)):
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="efp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("compute", help="compute efootprint JSON models, write DIR/results.parquet")
    c.add_argument("models", nargs="+", help="efootprint 27 JSON model(s); several make a portfolio")
    c.add_argument("--out", required=True, help="output folder")
    c.set_defaults(run=_compute)
    w = commands.add_parser("sweep", help="compute many variants of a model, write DIR/sweep.parquet")
    w.add_argument("model", help="efootprint 27 JSON model")
    w.add_argument("--grid", required=True,
                   help='GRID.json: {"OBJECT_ID.attribute": [values...], ...} or {"variants": [{...}, ...]}')
    w.add_argument("--out", required=True, help="output folder")
    w.set_defaults(run=_sweep)
    m = commands.add_parser("simulate", help="changes from a date on: DIR/results.parquet and DIR/diffs.parquet")
    m.add_argument("model", help="efootprint 27 JSON model")
    m.add_argument("--changes", required=True, help='CHANGES.json: {"OBJECT_ID.attribute": value, ...}')
    m.add_argument("--from", dest="from_date", required=True, help="first changed hour, e.g. 2026-01-01 (UTC)")
    m.add_argument("--out", required=True, help="output folder")
    m.set_defaults(run=_simulate)
    q = commands.add_parser("quickstart", help="build the seeds' quickstart with the Python API, compute, chart")
    q.add_argument("--out", default="out/quickstart", help="output folder")
    q.set_defaults(run=_quickstart)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModelError as exc:
        print(f"efp: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
