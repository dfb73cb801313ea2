"""`efp compute MODEL --out DIR` as a whole process (imports, JSON read, every stage, results.parquet and the BI
tables written) against a Python process that imports efootprint 27.0.0, loads the same JSON and writes every
hourly result to Parquet (../shared/tools/efootprint_dump.py, the reference tables' own writer), run one after the
other in one run: wall time and peak RSS of each.

    .venv/bin/python benchmarks/compute_process.py [SCENARIO ...] [--repeat N]

Best of N runs each (default 3)."""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
DUMP = ROOT.parent / "shared" / "tools" / "efootprint_dump.py"
SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one run of `command`, in a child process of its own."""
    wrapper = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
               "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, int(out.stdout.split()[-1]) / 1024**2


def best(repeat: int, command: list[str]) -> tuple[float, float]:
    runs = [timed(command) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), max(peak for _, peak in runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    efp = str(Path(sys.executable).parent / "efp")
    print(f"{'scenario':16s} {'efootprint + dump':>18s} {'peak':>7s} {'efp compute':>12s} {'peak':>7s} {'ratio':>6s}")
    for name in args.scenarios:
        model = str(REFERENCE / f"{name}.json")
        with tempfile.TemporaryDirectory() as out:
            theirs, their_peak = best(args.repeat, [sys.executable, str(DUMP), model, f"{out}/ref.parquet"])
            ours, our_peak = best(args.repeat, [efp, "compute", model, "--out", out])
        print(f"{name:16s} {theirs:17.2f}s {their_peak:6.2f}G {ours:11.2f}s {our_peak:6.2f}G {theirs / ours:5.1f}x")


if __name__ == "__main__":
    main()
