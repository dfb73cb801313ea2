"""Where the time of `compute(...).collected` goes, on the reference scenarios.

    .venv/bin/python benchmarks/profile_stages.py [SCENARIO ...] [--repeat N] [--stages]

Prints the best-of-N wall clock of read_model; of compute + collected on the model already read (materialized,
the default); of read_model + compute + collected; and of compute + collected with one lazy plan
(materialize=False). With --stages, also each stage's own run time (inputs materialized), slowest first."""
import argparse
import logging

import polars as pl

from efp_tables.compute import STAGES, compute, idle_output, idle_stages, parameters
from efp_tables.engine import ENGINE
from efp_tables.io.efootprint_json import read_model
from efp_tables.stages.hourly import Hourly

from compute import REFERENCE, SCENARIOS, best_of  # benchmarks/compute.py, beside this script


def stage_times(model, repeat):
    """Each stage run on its materialized inputs (those of `compute`): {stage: (seconds, rows or series)}. A
    stage of a family the model has no object of is timed as a model pays for it (compute.idle_output)."""
    frames, idle = compute(model).frames, idle_stages(model)
    times = {}
    for stage in STAGES:
        args = [frames[name] for name in parameters(stage)]
        seconds = best_of(repeat, lambda: run(stage, args, stage.__name__ in idle))
        times[stage.__name__] = (seconds, run(stage, args, stage.__name__ in idle).height)
    return times


def run(stage, args, idle):
    """The stage's output: an Hourly (its key table's rows count the series), or a small table (collected)."""
    frame = idle_output(stage, args) if idle else stage(*args)
    return frame if isinstance(frame, Hourly | pl.DataFrame) else frame.collect(engine=ENGINE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"{'scenario':16s} {'read':>8s} {'compute':>8s} {'read+compute':>13s} {'lazy plan':>10s}")
    for name in args.scenarios:
        path = REFERENCE / f"{name}.json"
        model = read_model(path)
        compute(model).collected  # warm-up
        read = best_of(args.repeat, lambda: read_model(path))
        eager = best_of(args.repeat, lambda: compute(model).collected)
        both = best_of(args.repeat, lambda: compute(read_model(path)).collected)
        lazy = best_of(args.repeat, lambda: compute(model, materialize=False).collected)
        print(f"{name:16s} {read:7.3f}s {eager:7.3f}s {both:12.3f}s {lazy:9.3f}s")
        if args.stages:
            times = stage_times(model, args.repeat)
            for stage, (seconds, rows) in sorted(times.items(), key=lambda item: -item[1][0]):
                print(f"    {stage:56s} {seconds * 1000:8.2f} ms {rows:>9,d} rows or series")
            print(f"    {'sum of stages':56s} {sum(t for t, _ in times.values()) * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
