"""`efp describe`: a model's objects and their inputs, as a table to read or as a grid skeleton to edit."""
from __future__ import annotations

import difflib
import json

from efp_tables.cli.common import parser
from efp_tables.errors import ModelError


def add(commands) -> None:
    d = parser(commands, "describe", "list a model's objects (id, class, name) and their inputs with values and "
               "units", "efp describe model.json --class Server   (--json > grid.json: a grid for efp sweep)")
    d.add_argument("model", help="efootprint 27 JSON model")
    d.add_argument("--class", dest="object_class", help="only the objects of this class, e.g. Server, Job, Device")
    d.add_argument("--json", action="store_true",
                   help='print a grid skeleton instead: {"OBJECT_ID.attribute": ["current value"]} for every '
                        "numeric input, ready to edit into a grid for efp sweep --grid")
    d.set_defaults(run=run)


def run(args) -> int:
    import polars as pl

    from efp_tables.io.efootprint_json import read_model
    from efp_tables.outputs.describe import grid_skeleton, model_inputs

    model = read_model(args.model)
    with open(args.model, encoding="utf-8") as handle:  # read_model checked it: values as the file writes them
        inputs = model_inputs(model, json.load(handle))
    if args.object_class is not None:
        classes = inputs["object_class"].unique(maintain_order=True).to_list()
        if args.object_class not in classes:
            close = difflib.get_close_matches(args.object_class, classes, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ModelError(args.model, "--class", args.object_class, f"a class of the model's objects, one of "
                                                                       f"{classes}{hint}")
        inputs = inputs.filter(pl.col("object_class") == args.object_class)
    if args.json:
        lines = [f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(values, ensure_ascii=False)}"
                 for name, values in grid_skeleton(inputs).items()]
        print("{\n" + ",\n".join(lines) + "\n}")
        return 0
    width = max(inputs["attribute"].str.len_chars().max() or 0, 10)
    for (object_class, object_id, name), rows in inputs.group_by("object_class", "object_id", "name",
                                                                   maintain_order=True):
        print(f"{object_class} {object_id}" + (f'  "{name}"' if name != object_id else ""))
        for row in rows.iter_rows(named=True):
            print(f"  {row['attribute']:{width}}  {row['value']} {row['unit']}".rstrip())
    objects = inputs.select("object_id").n_unique()
    print(f"{objects} objects, {inputs.filter(pl.col('kind') == 'number').height} numeric inputs "
          "(efp describe --json: a grid of them)")
    return 0
