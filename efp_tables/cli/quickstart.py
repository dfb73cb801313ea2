"""`efp quickstart`: the seeds' quickstart built with the Python API, computed and charted."""
from __future__ import annotations

from pathlib import Path

from efp_tables.cli.common import parser


def add(commands) -> None:
    q = parser(commands, "quickstart", "build the seeds' quickstart with the Python API, compute, chart",
               "efp quickstart --out out/quickstart")
    q.add_argument("--out", default="out/quickstart", help="output folder")
    q.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.quickstart import run_quickstart
    for line in run_quickstart(Path(args.out)):
        print(line)
    return 0

