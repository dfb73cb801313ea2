"""`efp`: compute efootprint JSON models, sweep and simulate them, run the quickstart.

Each command lives in its own module with `add(commands)` (its arguments) and `run(args) -> exit code`."""
from __future__ import annotations

import argparse
import sys
import warnings

from efp_tables.cli import chart, compare, compute, explain, quickstart, report, simulate, sweep, upgrade
from efp_tables.errors import ModelError
from efp_tables.io.json_upgrade import UpgradeWarning

COMMANDS = (compute, sweep, simulate, quickstart, chart, explain, report, upgrade, compare)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="efp", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(commands)
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", UpgradeWarning)
            warnings.showwarning = _show_warning
            return args.run(args)
    except ModelError as exc:
        print(f"efp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("efp: interrupted (nothing written)", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of a reading (an upgraded file) as one line each, without Python's source location."""
    if issubclass(category, UpgradeWarning):
        print(f"efp: warning: {message}", file=sys.stderr)
    else:
        warnings._showwarnmsg_impl(warnings.WarningMessage(message, category, filename, lineno, file, line))


if __name__ == "__main__":
    sys.exit(main())
