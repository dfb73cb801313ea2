"""`efp simulate`: changes from a date on, with the diffs they cause."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from efp_tables.errors import ModelError


def add(commands) -> None:
    m = commands.add_parser("simulate", help="changes from a date on: DIR/results.parquet and DIR/diffs.parquet")
    m.add_argument("model", help="efootprint JSON model (efootprint 9 to 27)")
    m.add_argument("--changes", required=True, help='CHANGES.json: {"OBJECT_ID.attribute": value, ...}')
    m.add_argument("--from", dest="from_date", required=True, help="first changed hour, e.g. 2026-01-01 (UTC)")
    m.add_argument("--out", required=True, help="output folder")
    m.set_defaults(run=run)


def run(args) -> int:
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

