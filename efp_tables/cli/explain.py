"""`efp explain`: how one calculated attribute of an object is computed, down to the user inputs."""
from __future__ import annotations

import json
from pathlib import Path

from efp_tables.cli.common import parser
from efp_tables.errors import ModelError


def add(commands) -> None:
    c = parser(commands, "explain", "print how an attribute is computed, down to the user inputs",
               "efp explain model.json server.instances_energy --depth 2")
    c.add_argument("model", help="efootprint JSON model (efootprint 9 to 27)")
    c.add_argument("target", metavar="OBJECT_ID.attribute", help="e.g. server.instances_energy")
    c.add_argument("--depth", type=int, default=None, help="expand the dependencies this many levels deep")
    c.add_argument("--html", default=None, help="also write the calculus graph to this HTML file")
    c.add_argument("--objects-html", default=None, help="also write the model's object graph to this HTML file")
    c.set_defaults(run=run)


def _write_html(path: str, text: str, option: str) -> None:
    from efp_tables.io.atomic import atomic_path
    try:
        with atomic_path(path) as temporary:
            temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ModelError(path, option, path, f"a file path that can be written ({exc.strerror or exc})") from None


def run(args) -> int:
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.outputs.explain import explain, sources_of, tree_text
    from efp_tables.outputs.graphs import calculus_graph_html, object_graph_html

    object_id, dot, attribute = args.target.rpartition(".")
    if not dot or not object_id or not attribute:
        raise ModelError("efp explain", "target", args.target, "OBJECT_ID.attribute, e.g. server.instances_energy")
    if args.depth is not None and args.depth < 0:
        raise ModelError("efp explain", "--depth", args.depth, "a whole number >= 0")
    model = read_model(args.model)
    sources = sources_of(json.loads(Path(args.model).read_text(encoding="utf-8")))
    lineage = explain(model, compute(model), object_id, attribute, max_depth=args.depth, sources=sources)
    print(tree_text(lineage))
    if args.html:
        _write_html(args.html, calculus_graph_html(lineage), "--html")
        print(f"wrote {args.html} ({lineage['node'].n_unique()} nodes)")
    if args.objects_html:
        _write_html(args.objects_html, object_graph_html(model), "--objects-html")
        print(f"wrote {args.objects_html}")
    return 0
