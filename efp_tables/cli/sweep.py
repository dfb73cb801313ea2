"""`efp sweep`: many variants of a model to DIR/sweep.parquet."""
from __future__ import annotations

import time
from pathlib import Path


def add(commands) -> None:
    w = commands.add_parser("sweep", help="compute many variants of a model, write DIR/sweep.parquet")
    w.add_argument("model", help="efootprint 27 JSON model")
    w.add_argument("--grid", required=True,
                   help='GRID.json: {"OBJECT_ID.attribute": [values...], ...} or {"variants": [{...}, ...]}')
    w.add_argument("--out", required=True, help="output folder")
    w.set_defaults(run=run)


def run(args) -> int:
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

