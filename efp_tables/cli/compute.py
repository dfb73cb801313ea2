"""`efp compute`: efootprint JSON models to DIR/results.parquet and the tables for BI tools (io.bi_tables)."""
from __future__ import annotations

import time
from pathlib import Path

from efp_tables.errors import ModelError


def add(commands) -> None:
    c = commands.add_parser("compute", help="compute efootprint JSON models, write DIR/results.parquet and BI tables")
    c.add_argument("models", nargs="+", help="efootprint 27 JSON model(s); several make a portfolio")
    c.add_argument("--out", required=True, help="output folder")
    c.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.compute import compute
    from efp_tables.io.bi_tables import bi_tables, write_bi_tables
    from efp_tables.io.efootprint_json import read_model

    started = time.perf_counter()
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
    print(f"wrote {out} ({tables['results'].num_rows:,} rows) in {time.perf_counter() - started:.2f} s")
    print(f"and {len(others)} tables for BI tools: {', '.join(path.name for path in others)}")
    return 0

