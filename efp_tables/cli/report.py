"""`efp report`: one self-contained HTML page of a computed model."""
from __future__ import annotations

from pathlib import Path

from efp_tables.cli.common import model_summary, output_file, parser, read_models, seconds_since
from efp_tables.errors import ModelError


def add(commands) -> None:
    r = parser(commands, "report", "compute models and write one self-contained HTML report",
               "efp report model.json --out report.html   (several models: a portfolio report)")
    r.add_argument("models", nargs="+",
                   help="efootprint JSON model(s) (efootprint 9 to 27); several make a portfolio")
    r.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    r.add_argument("--title", help="the page title (default: the system's name)")
    r.set_defaults(run=run)


def run(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ModelError("report", "--out", str(out), "an .html file")
    with output_file(out):
        from efp_tables.cli.compute import print_totals
        from efp_tables.compute import compute
        from efp_tables.io.atomic import atomic_path
        from efp_tables.outputs.report import report_html

        model = read_models(args.models)
        print(model_summary(model, args.models))
        results = compute(model)
        print_totals(results.total_footprint_kg())
        page = report_html(model, results, title=args.title)
        with atomic_path(out) as temporary:
            temporary.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) / 1e6:.1f} MB) in {seconds_since(args.started)}")
    return 0
