"""`efp quickstart`: the seeds' quickstart built with the Python API, computed and charted."""
from __future__ import annotations

from pathlib import Path


def add(commands) -> None:
    q = commands.add_parser("quickstart", help="build the seeds' quickstart with the Python API, compute, chart")
    q.add_argument("--out", default="out/quickstart", help="output folder")
    q.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.quickstart import run_quickstart
    for line in run_quickstart(Path(args.out)):
        print(line)
    return 0

