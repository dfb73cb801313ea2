"""`efp report` of a portfolio against its slowest member: each reference model alone, then all of them as one
portfolio, each run in its own process (imports included, as a user waits for them), best of N. Prints the wall
times, peak RSS and the portfolio's ratio to its slowest member (issue 19: under 3x).

    .venv/bin/python benchmarks/report.py [--runs N] [MODEL ...]   (default: quickstart ecommerce ml_workflow)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def run(models: list[str], out: Path) -> tuple[float, float]:
    """Wall time (s) and peak RSS (GB) of `efp report MODELS --out OUT` in a process of its own."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "efp_tables", "report",
                                *(str(REFERENCE / f"{m}.json") for m in models), "--out", str(out)],
                               stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"efp report {' '.join(models)} failed ({status})")
    return seconds, usage.ru_maxrss / 1024**2  # KiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["quickstart", "ecommerce", "ml_workflow"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args.models[:1], Path(folder) / "warm-up.html")  # the Vega bundle into the user's cache
        best = {}
        for _ in range(args.runs):
            for models in [[m] for m in args.models] + [args.models]:
                key = " + ".join(models)
                seconds, gigabytes = run(models, Path(folder) / "report.html")
                if key not in best or seconds < best[key][0]:
                    best[key] = (seconds, gigabytes)
    for key, (seconds, gigabytes) in best.items():
        print(f"{key:45s} {seconds:6.2f} s  peak RSS {gigabytes:.2f} GB")
    slowest = max(best[m][0] for m in args.models)
    print(f"portfolio / slowest member: {best[' + '.join(args.models)][0] / slowest:.2f}x (best of {args.runs})")


if __name__ == "__main__":
    main()
