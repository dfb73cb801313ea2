"""`efp report`: one self-contained HTML page of a computed model."""
from __future__ import annotations

from pathlib import Path

from efp_tables.errors import ModelError


def add(commands) -> None:
    r = commands.add_parser("report", help="compute models and write one self-contained HTML report")
    r.add_argument("models", nargs="+",
                   help="efootprint JSON model(s) (efootprint 9 to 27); several make a portfolio")
    r.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    r.add_argument("--title", help="the page title (default: the system's name)")
    r.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.compute import compute
    from efp_tables.io.atomic import atomic_path
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.outputs.report import report_html

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ModelError("report", "--out", str(out), "an .html file")
    model = None
    for path in args.models:
        one = read_model(path, system_id=Path(path).stem if len(args.models) > 1 else None)
        model = one if model is None else model.concat(one)
    page = report_html(model, compute(model), title=args.title)
    try:
        with atomic_path(out) as temporary:
            temporary.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ModelError("report", "--out", str(out), f"a file that can be written ({exc.strerror or exc})") from None
    print(f"wrote {out} ({len(page) / 1e6:.1f} MB)")
    return 0
