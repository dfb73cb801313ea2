"""The 1000-variant quickstart sweep (10 x 5 x 4 x 5 inputs) with efp_tables, and with efootprint 27.0.0's live
model (the same inputs changed variant by variant, total footprint read each time), in one run.

    .venv/bin/python benchmarks/sweep.py [--efootprint-variants N]

efootprint is timed on the first N variants (default all 1000) and its per-variant time extrapolated; every
variant it computes is compared with ours (relative difference printed)."""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from efootprint_live import LiveModel  # noqa: E402  (first: name-based ids before efootprint loads)
from sweep_grids import QUICKSTART_GRID  # noqa: E402

from efp_tables.io.efootprint_json import read_model  # noqa: E402
from efp_tables.sweeps import sweep  # noqa: E402

QUICKSTART = ROOT.parent / "shared" / "reference" / "quickstart.json"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--efootprint-variants", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    ours = sweep(read_model(QUICKSTART), QUICKSTART_GRID)
    efp_seconds = time.perf_counter() - started

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
    print(f"variants: {ours.height}")
    print(f"efp_tables: {efp_seconds:.2f} s for all (read + sweep), {ours_per_variant * 1000:.2f} ms per variant")
    print(f"efootprint: {ef_per_variant * 1000:.2f} ms per variant over {len(rows)} variants "
          f"(~{ef_per_variant * ours.height:.1f} s for all)")
    print(f"ratio: efp_tables {ef_per_variant / ours_per_variant:.1f}x faster per variant; "
          f"worst relative difference of totals {worst:.1e}")


if __name__ == "__main__":
    main()
