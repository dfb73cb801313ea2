"""Sweeps with efp_tables and with efootprint 27.0.0's live model (inputs changed variant by variant, total footprint
read each time), side by side in one run, on two quickstart grids and an edge_fleet one:
- scalar: the 1000-variant grid of inputs that only scale sums (carbon intensity, utilization, storage lifespan,
  upload size); also its marginal cost per variant (the 1000-variant sweep minus a 100-variant part of it);
- shape: the 480-variant grid of inputs that change hourly shapes (a job's request duration, a step's time, the
  storage duration, a job's data stored, the server's RAM);
- edge: the 480-variant edge_fleet grid (its usage span, which changes every hourly shape of its edge side, x a
  PC's compute and a kiosk's power, which change a component's hourly power, x the country's carbon intensity);
  edge-span: the usage span alone (8 variants). Also their marginal cost per variant (the sweep minus its part
  with the usage span at its first value);
- attribution: the shape grid with each usage pattern's footprint per variant (`sweep --attribution`), against
  efootprint's live model reading the same from its attribution atoms variant by variant.
Then the 100,000-variant grids of both kinds to Parquet, each in a subprocess: wall time and peak RSS.

    .venv/bin/python benchmarks/sweep.py [--efootprint-variants N] [--skip-100k]
                                         [--only scalar|shape|edge|edge-span|attribution]

efootprint is timed on the first N variants of each grid (default: all), its model loaded beforehand (only the
inputs that change from one variant to the next are set), and its per-variant time extrapolated; every variant
it computes is compared with ours (worst relative difference printed). efp_tables is timed as the best of 5 runs
of the sweep on a model read beforehand (as efootprint's is), and of JSON read + sweep."""
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
from sweep_grids import (EDGE_GRID, EDGE_SPAN_GRID, QUICKSTART_GRID, QUICKSTART_GRID_100K, SHAPE_GRID,  # noqa: E402
                         SHAPE_GRID_100K)

from compute import best_of  # noqa: E402  (benchmarks/compute.py, beside this script)

from efp_tables.io.efootprint_json import read_model  # noqa: E402
from efp_tables.sweeps import sweep, sweep_to_parquet  # noqa: E402

QUICKSTART = ROOT.parent / "shared" / "reference" / "quickstart.json"
EDGE_FLEET = ROOT.parent / "shared" / "reference" / "edge_fleet.json"
GRIDS_100K = {"scalar": QUICKSTART_GRID_100K, "shape": SHAPE_GRID_100K}


def efootprint_per_variant(ours: pl.DataFrame, grid: dict, count: int, path: Path = QUICKSTART
                           ) -> tuple[float, float]:
    """efootprint's seconds per variant over the first `count` variants of `ours`, and the worst relative
    difference of its totals from ours."""
    live = LiveModel(path)
    rows = ours.head(count).rows(named=True)
    worst, previous = 0.0, {}
    started = time.perf_counter()
    for row in rows:
        for name in grid:
            value = row[name]
            if previous.get(name) != value:
                live.set(name, float(value) if value.replace(".", "", 1).isdigit() else value)
        previous = row
        total = live.total_kg()
        worst = max(worst, abs(row["total_footprint_kg"] - total) / total)
    return (time.perf_counter() - started) / len(rows), worst


def compare(name: str, grid: dict, count: int | None, path: Path = QUICKSTART) -> None:
    model = read_model(path)
    ours = sweep(model, grid)  # warm-up
    with_read = best_of(5, lambda: sweep(read_model(path), grid))
    alone = best_of(5, lambda: sweep(model, grid))
    ef, worst = efootprint_per_variant(ours, grid, count or ours.height, path)
    per_variant = alone / ours.height
    print(f"{name} grid, {ours.height} variants: efp_tables {alone:.3f} s ({per_variant * 1000:.3f} ms per variant; "
          f"{with_read:.3f} s with the JSON read); efootprint {ef * 1000:.2f} ms per variant "
          f"(~{ef * ours.height:.1f} s for all): {ef / per_variant:.1f}x faster per variant "
          f"({ef * ours.height / with_read:.1f}x with the read); worst relative difference {worst:.1e}")
    if grid in (QUICKSTART_GRID, EDGE_GRID, EDGE_SPAN_GRID):
        # The sweep with its first parameter at its first value only (scalar: 100 variants; edge: 60; edge-span:
        # 1): what the other variants add is the marginal cost, the fixed cost of a run (its key tables, the
        # chunks' pricing) left out.
        part = {**grid, next(iter(grid)): grid[next(iter(grid))][:1]}
        # Best of 15 on both sides: the marginal cost is a small difference of two times.
        small = best_of(15, lambda: sweep(model, part))
        alone = best_of(15, lambda: sweep(model, grid))
        count = len(sweep(model, part))
        marginal = (alone - small) / (ours.height - count)
        print(f"  marginal cost: ({alone:.3f} - {small:.3f} s for {count} variants) / {ours.height - count} = "
              f"{marginal * 1e6:.1f} us per variant: {ef / marginal:.0f}x cheaper than efootprint's")


def efootprint_pattern_totals(live: LiveModel) -> dict[str, float]:
    """Each usage pattern's footprint (kg over the period), as efootprint's attribution atoms give it."""
    from efootprint.core.attribution import atoms
    from efootprint.core.lifecycle_phases import LifeCyclePhases
    totals: dict[str, float] = {}
    for phase in LifeCyclePhases:
        for atom in atoms(live.system, phase):
            kg = atom.value.sum().to("kg").magnitude if hasattr(atom.value, "sum") else 0.0
            totals[atom.up.id] = totals.get(atom.up.id, 0.0) + float(kg)
    return totals


def compare_attribution(count: int | None) -> None:
    """The shape grid with per-usage-pattern footprints: `sweep(..., attribution=("usage_pattern",))` against
    efootprint's live model summing its atoms by usage pattern after each variant's change."""
    model, grid = read_model(QUICKSTART), SHAPE_GRID
    ours = sweep(model, grid, attribution=("usage_pattern",))  # warm-up
    alone = best_of(5, lambda: sweep(model, grid, attribution=("usage_pattern",)))
    columns = [c for c in ours.columns if c.startswith("usage_pattern_") and c.endswith("_kg")]
    live, worst, previous = LiveModel(QUICKSTART), 0.0, {}
    rows = ours.head(count or 20).rows(named=True)  # efootprint's atoms cost ~1 s per variant: a sample
    started = time.perf_counter()
    for row in rows:
        for name in grid:
            if previous.get(name) != row[name]:
                live.set(name, float(row[name]) if row[name].replace(".", "", 1).isdigit() else row[name])
        previous = row
        theirs = efootprint_pattern_totals(live)
        for column in columns:
            pattern = column.removeprefix("usage_pattern_").removesuffix("_kg")
            worst = max(worst, abs(row[column] - theirs[pattern]) / theirs[pattern])
    ef = (time.perf_counter() - started) / len(rows)
    per_variant = alone / ours.height
    print(f"attribution (shape grid + per-pattern footprints), {ours.height} variants: efp_tables {alone:.3f} s "
          f"({per_variant * 1000:.3f} ms per variant); efootprint {ef * 1000:.1f} ms per variant on {len(rows)}: "
          f"{ef / per_variant:.0f}x faster per variant; worst relative difference {worst:.1e}")


def sweep_100k(kind: str, out: str) -> None:
    """A 100,000-variant sweep to OUT/sweep.parquet (run in its own process, so its peak RSS is its own)."""
    sweep_to_parquet(read_model(QUICKSTART), GRIDS_100K[kind], Path(out) / "sweep.parquet")


def run_100k(kind: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--child-100k", kind, out], check=True)
        seconds = time.perf_counter() - started
        del child
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB; the largest child so far
        rows = pl.scan_parquet(Path(out) / "sweep.parquet").select(pl.len()).collect().item()
    print(f"100,000-variant {kind} sweep to Parquet ({rows:,} rows, subprocess, read + sweep + write): "
          f"{seconds:.1f} s, {seconds / rows * 1000:.3f} ms per variant, peak RSS of the children so far "
          f"{peak_gb:.2f} GB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--efootprint-variants", type=int, default=None)
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--only", choices=["scalar", "shape", "edge", "edge-span", "attribution"], default=None)
    parser.add_argument("--child-100k", nargs=2, metavar=("KIND", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_100k:
        return sweep_100k(*args.child_100k)
    only = args.only
    if only in (None, "scalar"):
        compare("scalar", QUICKSTART_GRID, args.efootprint_variants)
    if only in (None, "shape"):
        compare("shape", SHAPE_GRID, args.efootprint_variants)
    if only in (None, "edge"):
        compare("edge", EDGE_GRID, args.efootprint_variants, EDGE_FLEET)
    if only in (None, "edge-span"):
        compare("edge-span", EDGE_SPAN_GRID, args.efootprint_variants, EDGE_FLEET)
    if only in (None, "attribution"):
        compare_attribution(args.efootprint_variants)
    if not args.skip_100k and only is None:
        run_100k("scalar")  # the smaller one first: ru_maxrss is the largest child's
        run_100k("shape")


if __name__ == "__main__":
    main()
