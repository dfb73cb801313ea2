"""`efp chart`: a chart (HTML or PNG) of what `efp compute`, `efp simulate` or `efp sweep` wrote."""
from __future__ import annotations

from pathlib import Path

from efp_tables.cli.common import parser
from efp_tables.errors import ModelError

# kind -> the file it reads in a results folder, what that file is, and which command writes it
_RESULTS = ("results.parquet", "long results", "efp compute or efp simulate")
KINDS = {
    "footprint": _RESULTS,
    "hourly": _RESULTS,
    "cumulative": _RESULTS,
    "diffs": ("diffs.parquet", "emission diffs", "efp simulate"),
    "sensitivity": ("sweep.parquet", "sweep", "efp sweep"),
    "sankey": ("attribution.parquet", "attribution atoms", "efp compute"),
}
# a column that only the files of that kind have
MARKER_COLUMNS = {"long results": "kind", "emission diffs": "delta_kg", "sweep": "total_footprint_kg",
                  "attribution atoms": "value_kg"}
FORMATS = (".html", ".png")


def add(commands) -> None:
    c = parser(commands, "chart", "chart results.parquet, diffs.parquet or sweep.parquet as HTML or PNG",
               "efp chart out/model --kind hourly --object server --attribute instances_energy --out energy.png")
    c.add_argument("results", help="a folder written by efp compute / simulate / sweep, or one of its Parquet files")
    c.add_argument("--kind", required=True, choices=list(KINDS),
                   help="footprint, hourly, cumulative (results.parquet), diffs (diffs.parquet), "
                        "sensitivity (sweep.parquet), sankey (attribution.parquet and objects.parquet)")
    c.add_argument("--object", dest="objects", action="append",
                   help="object id or name (repeat for several); hourly: required, cumulative: default all")
    c.add_argument("--attribute", help="hourly: the result attribute, e.g. instances_energy")
    c.add_argument("--by", choices=["object", "category"], default="object", help="cumulative: stack by")
    c.add_argument("--resample", choices=["auto", "hour", "day", "month", "year"], default="auto",
                   help="hourly, cumulative, diffs: period of the points (auto: at most 2,000 per line)")
    c.add_argument("--hourly-delta", action="store_true", help="diffs: add the change over time")
    c.add_argument("--baseline", type=int, default=0, help="sensitivity: the baseline variant (default 0)")
    c.add_argument("--phase", dest="phases", action="append", choices=["manufacturing", "use"],
                   help="sankey: only this life-cycle phase (repeat for both; default both)")
    c.add_argument("--exclude", action="append",
                   help="sankey: leave out the atoms of this class of sources (Server, GPUServer, BoaviztaCloudServer, "
                        "ServerBase, Storage, Network, Device, EdgeDevice, EdgeComputer, EdgeAppliance, "
                        "ExternalAPIServer and its EcoLogits classes; repeat for several)")
    c.add_argument("--levels", help="sankey: the columns shown, comma-separated among country, usage_pattern, "
                                    "journey, step, edge_function, device_need, server_need, component_need, job, "
                                    "source (default all)")
    c.add_argument("--small-nodes", type=float, default=1.0, metavar="PERCENT",
                   help="sankey: the nodes of a column under PERCENT of the total are drawn as one 'Other (n)' node, "
                        "as in efootprint (default 1; 0 shows every node)")
    c.add_argument("--system", help="sankey: the system to show, when the results hold several")
    c.add_argument("--out", required=True, help="FILE.html or FILE.png")
    c.set_defaults(run=run)


def run(args) -> int:
    from efp_tables.outputs import charts

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise ModelError("chart", "--out", args.out, f"a file name ending in {' or '.join(FORMATS)}")
    for option, given, kinds in (("--object", args.objects, ("hourly", "cumulative")),
                                 ("--attribute", args.attribute, ("hourly",)),
                                 ("--hourly-delta", args.hourly_delta, ("diffs",)),
                                 ("--phase", args.phases, ("sankey",)), ("--exclude", args.exclude, ("sankey",)),
                                 ("--levels", args.levels, ("sankey",)), ("--system", args.system, ("sankey",))):
        if given and args.kind not in kinds:
            raise ModelError(f"chart --kind {args.kind}", option, given,
                             f"no {option} (it is for --kind {' or '.join(kinds)})")
    table = _read(Path(args.results), args.kind)
    if args.kind == "footprint":
        chart = charts.footprint_from_long(table)
    elif args.kind == "hourly":
        if not args.objects or not args.attribute:
            raise ModelError("chart --kind hourly", "--object/--attribute", [args.objects, args.attribute],
                             "at least one --object and an --attribute")
        chart = charts.hourly(table, args.objects, args.attribute, args.resample)
    elif args.kind == "cumulative":
        chart = charts.cumulative(table, args.by, args.objects, args.resample)
    elif args.kind == "diffs":
        chart = charts.emission_diffs(table, args.hourly_delta, args.resample)
    elif args.kind == "sankey":
        chart = _sankey(Path(args.results), table, args)
    else:
        chart = charts.sweep_sensitivity(table, args.baseline)
    try:
        written = charts.save_chart(chart, out)
    except OSError as exc:
        raise ModelError("chart", "--out", args.out, f"a file that can be written ({exc.strerror or exc})") from None
    print(f"wrote {written}")
    return 0


def _sankey(path: Path, atoms, args):
    import polars as pl

    from efp_tables.outputs.sankey import folder_sankey
    objects = (path if path.is_dir() else path.parent) / "objects.parquet"
    if not objects.is_file():
        raise ModelError("chart", "results", str(objects), "the objects.parquet that efp compute writes beside "
                                                           "attribution.parquet")
    levels = [level.strip() for level in args.levels.split(",")] if args.levels else None
    if args.small_nodes < 0:
        raise ModelError("chart --kind sankey", "--small-nodes", args.small_nodes, "a percentage, 0 or more")
    return folder_sankey(atoms, pl.read_parquet(objects), args.phases, args.exclude, levels, args.system,
                         args.small_nodes)


def _read(path: Path, kind: str):
    """The Parquet file for `kind`: `path` itself, or the file of that kind in the folder `path`."""
    import polars as pl

    name, what, command = KINDS[kind]
    file = path / name if path.is_dir() else path
    if not file.is_file():
        raise ModelError("chart", "results", str(file), f"the {what} file {name} that {command} writes")
    try:
        table = pl.read_parquet(file)
    except (OSError, pl.exceptions.ComputeError) as exc:
        raise ModelError("chart", "results", str(file), f"a Parquet file ({exc})") from None
    found = next((w for w, column in MARKER_COLUMNS.items() if column in table.columns), None)
    if found != what:
        fitting = [k for k, (_, w, _) in KINDS.items() if w == found]
        raise ModelError("chart", "--kind", kind, f"a kind that fits {file.name} ({found or 'not a'} table): "
                                                  f"{fitting or 'none'}")
    return table
