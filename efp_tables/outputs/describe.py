"""What a model is made of: every object with its id, class and name, and every input it takes with its value and
unit (the inputs a grid can sweep: numbers, choices, links and lists of links)."""
from __future__ import annotations

import polars as pl

from efp_tables.tables import schema as s
from efp_tables.units import unit_symbol

COLUMNS = {"object_class": pl.String, "object_id": pl.String, "name": pl.String, "attribute": pl.String,
           "kind": pl.String, "value": pl.String, "unit": pl.String}
# Compute columns have no unit of their own: a GPU class counts gpu, the others cpu_core (schema.SERVERS).
_GPU_CLASSES = ("GPUServer", "GPUJob")


def _number(value: float) -> str:
    return f"{value:.12g}"


def model_inputs(model, document: dict | None = None) -> pl.DataFrame:
    """One row per (object, input): object_class, object_id, name, attribute, kind (number, choice, link or
    links), value (as text) and unit. Numbers come as the efootprint JSON `document` states them (its value
    and unit), else in the column's canonical unit. Empty inputs (a fixed number of instances on an
    autoscaling server) are left out."""
    from efp_tables.sweeps import EDGES

    written = {object_id: obj for members in (document or {}).values() if isinstance(members, dict)
               for object_id, obj in members.items() if isinstance(obj, dict)}
    lists = {}
    for (owner_table, attribute), (edge, owner_column, target_column) in EDGES.items():
        rows = model.table(edge).sort("position")
        for row in rows.iter_rows(named=True):
            weight = row.get("weight", 1.0)
            shown = row[target_column] if weight == 1.0 else f"{row[target_column]} (x{_number(weight)})"
            lists.setdefault((row[owner_column], attribute), []).append(shown)
    rows = []
    for row in model.table("systems").iter_rows(named=True):
        for attribute, table in (("usage_patterns", "system_usage_patterns"),
                                 ("edge_usage_patterns", "system_edge_usage_patterns")):
            patterns = model.table(table).filter(pl.col("system_id") == row["system_id"])
            if patterns.height or attribute == "usage_patterns":
                rows.append({"object_class": "System", "object_id": row["system_id"], "name": row["name"],
                             "attribute": attribute, "kind": "links",
                             "value": ", ".join(patterns.sort("position")["usage_pattern_id"]), "unit": ""})
    for table in reversed(s.OBJECT_TABLES):  # from the usage patterns down to the hardware
        for row in model.table(table.name).iter_rows(named=True):
            cls = s.object_class(table, row)
            obj = {"object_class": cls, "object_id": row[table.id], "name": row["name"]}
            for f in s.input_fields(table, cls):
                value = row[f.name]
                if value is None:
                    continue
                if f.link:
                    rows.append({**obj, "attribute": f.name.removesuffix("_id"), "kind": "link", "value": value,
                                 "unit": ""})
                elif f.dtype == pl.String:
                    rows.append({**obj, "attribute": f.name, "kind": "choice" if f.isin else "text",
                                 "value": value, "unit": ""})
                elif f.dtype == pl.Boolean:
                    rows.append({**obj, "attribute": f.name, "kind": "choice", "value": str(value).lower(),
                                 "unit": ""})
                elif f.dtype == pl.Float64:
                    rows.append({**obj, "attribute": f.name, "kind": "number",
                                 **_quantity(written.get(row[table.id], {}).get(f.name), value, f, cls)})
            for (owner_table, attribute) in EDGES:
                if owner_table == table.name and (row[table.id], attribute) in lists:
                    rows.append({**obj, "attribute": attribute, "kind": "links",
                                 "value": ", ".join(lists[row[table.id], attribute]), "unit": ""})
    return pl.DataFrame(rows, schema=COLUMNS)


def _quantity(written, value: float, field: s.Field, object_class: str) -> dict:
    """value and unit: as the JSON wrote them when it did, else canonical."""
    if isinstance(written, dict) and isinstance(written.get("value"), (int, float)) \
            and not isinstance(written.get("value"), bool):
        return {"value": _number(written["value"]), "unit": unit_symbol(str(written.get("unit", "")))}
    unit = field.unit or ("gpu" if object_class in _GPU_CLASSES else "cpu_core")
    return {"value": _number(value), "unit": unit_symbol(unit)}


def grid_skeleton(inputs: pl.DataFrame) -> dict[str, list[str]]:
    """{"OBJECT_ID.attribute": ["value unit"]} for every numeric input: a one-variant grid to edit."""
    numbers = inputs.filter(pl.col("kind") == "number")
    return {f"{row['object_id']}.{row['attribute']}": [f"{row['value']} {row['unit']}".strip()]
            for row in numbers.iter_rows(named=True)}
