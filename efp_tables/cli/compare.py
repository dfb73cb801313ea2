"""`efp compare`: two systems (two efootprint JSON files, or two variants of a sweep) compared as efootprint's
`System.compare_to` does, to DIR/comparison.json, comparison.timeseries.parquet and comparison.html."""
from __future__ import annotations

from efp_tables.cli.common import output_folder, parser, seconds_since, tonnes
from efp_tables.errors import ModelError


def add(commands) -> None:
    c = parser(commands, "compare", "compare two models (or two variants of a sweep): total and category deltas, "
                                    "aligned hourly series, input diff",
               "efp compare model.json model_b.json --out out/compare   (or: efp compare model.json --grid grid.json "
               "--variants 0 3 --out out/compare)")
    c.add_argument("models", nargs="+", help="A.json B.json (B compared against A), or MODEL.json with --grid")
    c.add_argument("--grid", help="GRID.json of a sweep of MODEL.json: compare two of its variants (--variants)")
    c.add_argument("--variants", nargs=2, type=int, metavar=("I", "J"),
                   help="with --grid: variant J compared against variant I (numbered from 0)")
    c.add_argument("--out", required=True, help="output folder")
    c.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.outputs.comparison import compare, compare_variants, side_of_file

    if args.grid is not None and (len(args.models) != 1 or args.variants is None):
        raise ModelError("compare", "--grid", args.grid, "one MODEL.json and --variants I J")
    if args.grid is None and len(args.models) != 2:
        raise ModelError("compare", "models", " ".join(args.models), "two efootprint JSON files, A and B")
    if args.grid is None and args.variants is not None:
        raise ModelError("compare", "--variants", args.variants, "--grid GRID.json and one model")
    with output_folder(args.out):  # checked before anything is computed
        if args.grid is not None:
            from efp_tables.io.efootprint_json import read_model
            from efp_tables.sweeps import read_grid
            comparison = compare_variants(read_model(args.models[0]), read_grid(args.grid), *args.variants)
        else:
            comparison = compare(side_of_file(args.models[0]), side_of_file(args.models[1]))
        try:
            paths = comparison.write(args.out)
        except OSError as exc:
            raise ModelError(str(args.out), "--out", str(args.out),
                             f"a folder where the comparison can be written ({exc.strerror or exc})") from None
    s = comparison.summary
    relative = "" if s["delta"]["relative"] is None else f" ({s['delta']['relative']:+.2%})"
    print(f"{s['a']['model']}: {tonnes(s['total_a'])}; {s['b']['model']}: {tonnes(s['total_b'])}; "
          f"delta {s['delta']['absolute'] / 1000:+,.1f} t CO2e{relative}")
    diff = s["input_diff"]
    print(f"inputs: {len(diff['changed'])} changed, {len(diff['only_in_a'])} objects only in A, "
          f"{len(diff['only_in_b'])} only in B")
    print(f"wrote {', '.join(str(p) for p in paths)} in {seconds_since(args.started)}")
    return 0
