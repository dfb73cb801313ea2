"""`efp simulate`: changes from a date on, with the diffs they cause."""
from __future__ import annotations

import sys
from pathlib import Path

from efp_tables.cli.common import model_summary, output_folder, parser, seconds_since, tonnes
from efp_tables.errors import ModelError


def add(commands) -> None:
    m = parser(commands, "simulate", "changes from a date on: DIR/results.parquet and DIR/diffs.parquet",
               "efp simulate model.json --changes changes.json --from 2026-01-01 --out out/simulation")
    m.add_argument("model", help="efootprint JSON model (efootprint 9 to 27)")
    m.add_argument("--changes", required=True, help='CHANGES.json: {"OBJECT_ID.attribute": value, ...}')
    m.add_argument("--from", dest="from_date", required=True, help="first changed hour, e.g. 2026-01-01 (UTC)")
    m.add_argument("--out", required=True, help="output folder")
    m.set_defaults(run=run)


def run(args) -> int:
    from datetime import datetime

    try:
        from_date = datetime.fromisoformat(args.from_date)
    except ValueError:
        raise ModelError("simulate", "--from", args.from_date, "a date like 2026-01-01 (UTC)") from None
    if from_date.tzinfo is not None:
        raise ModelError("simulate", "--from", args.from_date, "a date without time zone: hours are UTC")
    with output_folder(args.out):
        import polars as pl

        from efp_tables.compute import compute
        from efp_tables.io.efootprint_json import read_model
        from efp_tables.io.results_table import write_parquet_atomic
        from efp_tables.simulations import changed_model, diff_summary, emission_diffs, splice
        from efp_tables.sweeps import read_grid

        model = read_model(args.model)
        print(model_summary(model, [args.model]))
        changed = changed_model(model, read_grid(args.changes))  # checked before anything is computed
        baseline = compute(model).long().drop("system_id")
        _warn_outside(baseline, from_date, args.from_date)
        simulated = splice(baseline, compute(changed).long().drop("system_id"), from_date)
        diffs = emission_diffs(baseline, simulated)
        out = Path(args.out)
        written = [write_parquet_atomic(simulated, out / "results.parquet"),
                   write_parquet_atomic(diffs, out / "diffs.parquet")]
    # below 1e-9 of the footprint is the order of float additions, not a change
    moved = pl.col("delta_kg").abs() > 1e-9 * pl.max_horizontal(pl.col("before_kg").abs(), pl.col("after_kg").abs())
    for row in diff_summary(diffs).filter(moved).iter_rows(named=True):
        print(f"{row['object_name']:30s} {row['attribute']:35s} {row['delta_kg'] / 1000:+12,.1f} t CO2e")
    before, after = _total_kg(baseline), _total_kg(simulated)
    print(f"total footprint before: {tonnes(before)}, after: {tonnes(after)} ({(after - before) / 1000:+,.1f} t)")
    print(f"wrote {', '.join(map(str, written))} in {seconds_since(args.started)}")
    return 0


def _total_kg(long) -> float:
    import polars as pl
    system = (pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint")
    return long.filter(system & (pl.col("kind") == "hourly"))["value"].sum()


def _warn_outside(baseline, from_date, given: str) -> None:
    """A date outside the model's hours changes nothing, or everything: say so."""
    import polars as pl
    hours = baseline.filter(pl.col("kind") == "hourly")["hour"]
    first, last = hours.min(), hours.max()
    if from_date > last:
        print(f"efp simulate: warning: --from {given} is after the model's last hour ({last:%Y-%m-%d %H:%M} UTC): "
              "the changes apply to no hour, nothing changes", file=sys.stderr)
    elif from_date < first:
        print(f"efp simulate: warning: --from {given} is before the model's first hour ({first:%Y-%m-%d %H:%M} "
              "UTC): the changes apply to the whole period", file=sys.stderr)
