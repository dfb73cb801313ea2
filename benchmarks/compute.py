"""efp_tables vs efootprint 27.0.0 on the reference scenarios, side by side in one run.

    .venv/bin/python benchmarks/compute.py [SCENARIO ...] [--repeat N] [--no-write]

efootprint: JSON load + System.total_footprint (its computation happens on load). efp_tables: JSON read +
every stage computed (`efp compute` without the Parquet write), and the same plus the long results table and
its Parquet write (not with --no-write: the per-model cost alone, quick enough for many repeats on a busy
machine), shown without a ratio: efootprint writes nothing here (benchmarks/compute_process.py compares both
writing every hourly result). Best of N runs each (default 3), wall clock, same process."""
import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "edge_fleet", "genai_assistant"]


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def run_efootprint(path):
    from efootprint.api_utils.json_to_system import json_to_system
    classes, _, _ = json_to_system(json.loads(path.read_text()))
    system = next(iter(classes["System"].values()))
    return float(system.total_footprint.sum().magnitude)


def run_efp(path, write=False):
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.results_table import write_parquet_atomic
    results = compute(read_model(path))
    totals = results.total_footprint_kg()
    if write:
        with tempfile.TemporaryDirectory() as folder:
            write_parquet_atomic(results.long(), Path(folder) / "results.parquet")
    return next(iter(totals.values()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"{'scenario':16s} {'efootprint':>11s} {'efp compute':>12s} {'ratio':>7s} {'efp + write':>12s}"
          f"  total kg (efootprint / efp)")
    for name in args.scenarios:
        path = REFERENCE / f"{name}.json"
        ef_total, efp_total = run_efootprint(path), run_efp(path)  # warm-up, and the totals to compare
        ef = best_of(args.repeat, lambda: run_efootprint(path))
        ours = best_of(args.repeat, lambda: run_efp(path))
        if args.no_write:
            written = f"{'-':>12s}"
        else:
            ours_write = best_of(args.repeat, lambda: run_efp(path, write=True))
            written = f"{ours_write:11.3f}s"
        print(f"{name:16s} {ef:10.3f}s {ours:11.3f}s {ef / ours:6.1f}x {written}  {ef_total:,.0f} / {efp_total:,.0f}")


if __name__ == "__main__":
    main()
