"""`efp upgrade`: an efootprint JSON file of any version read (9.0.0 to 27.x) written in the efootprint 27 form;
with --check-saved, its saved calculated values compared with today's computation."""
from __future__ import annotations

import json
from pathlib import Path

from efp_tables.cli.common import parser
from efp_tables.errors import ModelError


def add(commands) -> None:
    u = parser(commands, "upgrade", "write an older efootprint JSON file (9.0.0 and later) in the efootprint 27 "
                                    "form; compare its saved results with today's",
               "efp upgrade old.json --out model.json --check-saved")
    u.add_argument("model", help="an efootprint JSON file written by efootprint 9.0.0 to 27.x")
    u.add_argument("--out", help="the efootprint 27 JSON file to write (inputs only)")
    u.add_argument("--check-saved", action="store_true",
                   help="compute the model and compare, per object and attribute, the calculated values the file "
                        "saved with today's (never used as results: everything is recomputed)")
    u.add_argument("--ecobenchmark-needs", action="store_true",
                   help="WebApplicationJobs (efootprint 9 to 15) keep the needs Boavizta's ecobenchmark gave them, "
                        "where efootprint 27 gives them its Job defaults (results then differ from efootprint 27's)")
    u.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.io.efootprint_json import read_document, upgraded_document, upgraded_rows
    from efp_tables.io.json_upgrade import CURRENT_VERSION

    if args.out is None and not args.check_saved:
        raise ModelError("upgrade", "--out", None, "a file to write, or --check-saved (or both)")
    path = Path(args.model)
    upgraded = upgraded_document(read_document(path), path.name, args.ecobenchmark_needs)
    rows = upgraded_rows(upgraded, where=path.name)  # what is written is a model efp_tables reads
    print(upgraded.summary())
    if args.out is not None:
        _write(upgraded.document, Path(args.out))
        print(f"wrote {args.out} (efootprint {CURRENT_VERSION} form)")
    if args.check_saved:
        from efp_tables.compute import compute
        from efp_tables.outputs.saved_results import compare_saved, comparison_text
        from efp_tables.tables.model import Model

        if not upgraded.saved:
            print(f"{path.name} saved no calculated values")
        else:
            print(comparison_text(compare_saved(upgraded, compute(Model.from_rows(rows)).long())))
    return 0


def _write(document: dict, out: Path) -> None:
    from efp_tables.io.atomic import atomic_path

    try:
        with atomic_path(out, make_parents=False) as temporary:
            temporary.write_text(json.dumps(document, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ModelError("upgrade", "--out", str(out), f"a file that can be written ({exc.strerror or exc})") from None
