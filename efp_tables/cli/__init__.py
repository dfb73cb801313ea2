"""`efp`: compute efootprint JSON models, sweep and simulate them, run the quickstart.

Each command lives in its own module with `add(commands)` (its arguments) and `run(args) -> exit code`."""
from __future__ import annotations

import argparse
import sys

from efp_tables.cli import chart, compute, explain, quickstart, report, simulate, sweep
from efp_tables.errors import ModelError

COMMANDS = (compute, sweep, simulate, quickstart, chart, explain, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="efp", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModelError as exc:
        print(f"efp: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
