"""The 1000-variant quickstart sweep (10 x 5 x 4 x 5 inputs) with efp_tables, and with efootprint 27.0.0's live
model (the same inputs changed variant by variant, total footprint read each time), in one run; then the
100,000-variant quickstart sweep (10 values of 5 inputs) to Parquet in a subprocess: its wall time and peak RSS.

    .venv/bin/python benchmarks/sweep.py [--efootprint-variants N] [--skip-100k]

efootprint is timed on the first N variants (default all 1000), its model loaded beforehand, and its per-variant
time extrapolated; every variant it computes is compared with ours (relative difference printed). efp_tables is
timed as the best of 5 runs of JSON read + sweep, after a first call (printed too), and of the sweep alone on a
model read beforehand, as efootprint's model is loaded before its timing starts."""
import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from efootprint_live import LiveModel  # noqa: E402  (first: name-based ids before efootprint loads)
from sweep_grids import QUICKSTART_GRID, QUICKSTART_GRID_100K  # noqa: E402

from compute import best_of  # noqa: E402  (benchmarks/compute.py, beside this script)

from efp_tables.io.efootprint_json import read_model  # noqa: E402
from efp_tables.sweeps import sweep, sweep_to_parquet  # noqa: E402

QUICKSTART = ROOT.parent / "shared" / "reference" / "quickstart.json"


def sweep_100k(out: str) -> None:
    """The 100,000-variant sweep to OUT/sweep.parquet (run in its own process, so its peak RSS is its own)."""
    sweep_to_parquet(read_model(QUICKSTART), QUICKSTART_GRID_100K, Path(out) / "sweep.parquet")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--efootprint-variants", type=int, default=1000)
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--child-100k", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_100k:
        return sweep_100k(args.child_100k)

    started = time.perf_counter()
    ours = sweep(read_model(QUICKSTART), QUICKSTART_GRID)
    cold_seconds = time.perf_counter() - started  # the first call also imports and builds lazily made state
    efp_seconds = best_of(5, lambda: sweep(read_model(QUICKSTART), QUICKSTART_GRID))
    model = read_model(QUICKSTART)
    sweep_seconds = best_of(5, lambda: sweep(model, QUICKSTART_GRID))  # like efootprint's: model loaded before

    live = LiveModel(QUICKSTART)
    rows = ours.head(args.efootprint_variants).rows(named=True)
    worst = 0.0
    started = time.perf_counter()
    for row in rows:
        for name in QUICKSTART_GRID:
            value = row[name]
            live.set(name, float(value) if value.replace(".", "", 1).isdigit() else value)
        total = live.total_kg()
        worst = max(worst, abs(row["total_footprint_kg"] - total) / total)
    ef_per_variant = (time.perf_counter() - started) / len(rows)

    ours_per_variant = efp_seconds / ours.height
    sweep_per_variant = sweep_seconds / ours.height
    print(f"variants: {ours.height}")
    print(f"efp_tables: {efp_seconds:.3f} s for all (read + sweep, best of 5 after a first call of "
          f"{cold_seconds:.2f} s), {ours_per_variant * 1000:.3f} ms per variant; {sweep_seconds:.3f} s for the "
          f"sweep alone (model read before), {sweep_per_variant * 1000:.3f} ms per variant")
    print(f"efootprint: {ef_per_variant * 1000:.2f} ms per variant over {len(rows)} variants, model loaded before "
          f"(~{ef_per_variant * ours.height:.1f} s for all)")
    print(f"ratio: efp_tables {ef_per_variant / ours_per_variant:.1f}x faster per variant with its JSON read, "
          f"{ef_per_variant / sweep_per_variant:.1f}x without (as efootprint is timed); "
          f"worst relative difference of totals {worst:.1e}")
    if args.skip_100k:
        return
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child-100k", out], check=True)
        seconds = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # ru_maxrss is in KiB
        rows = pl.scan_parquet(Path(out) / "sweep.parquet").select(pl.len()).collect().item()
    print(f"100,000-variant sweep to Parquet ({rows:,} rows, subprocess, read + sweep + write): {seconds:.1f} s, "
          f"{seconds / rows * 1000:.3f} ms per variant ({ef_per_variant * rows / seconds:.0f}x efootprint's "
          f"extrapolated time), peak RSS {peak_gb:.2f} GB")



if __name__ == "__main__":
    main()
