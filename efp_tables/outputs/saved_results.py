"""How a file's saved calculated values differ from today's computation.

efootprint files can carry the results of the version that saved them. They are never used (every result is
recomputed), but comparing them with today's numbers shows what changed between that version and efootprint 27:
per object and attribute, the saved total (a sum over the hours for an hourly series) against the computed one.
"""
from __future__ import annotations

import math

import numpy as np
import polars as pl

from efp_tables.builders.time_series import decode_compressed
from efp_tables.errors import ModelError
from efp_tables.io.json_upgrade import Upgraded
from efp_tables.units import convert

SAME = 1e-6  # relative difference below which two totals are the same (efootprint sums hours in float32)
SAVED_COLUMNS = {"object_class": pl.String, "object_id": pl.String, "object_name": pl.String,
                 "attribute": pl.String, "key_id": pl.String, "kind": pl.String, "saved_unit": pl.String,
                 "saved_total": pl.Float64}


def _total(value: dict, where: str) -> tuple[str, str, float] | None:
    """(kind, unit, total) of one saved value; None for an empty value or anything that is not a number."""
    if not isinstance(value, dict) or not isinstance(value.get("unit"), str):
        return None
    if isinstance(value.get("compressed_values"), str):
        return "hourly", value["unit"], float(np.sum(decode_compressed(value["compressed_values"], where),
                                                     dtype=np.float64))
    if isinstance(value.get("values"), list):
        numbers = [v for v in value["values"] if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return ("hourly", value["unit"], math.fsum(numbers)) if len(numbers) == len(value["values"]) else None
    number = value.get("value")
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        return "scalar", value["unit"], float(number)
    return None


def saved_totals(upgraded: Upgraded) -> pl.DataFrame:
    """One row per saved number: its object, attribute, key (the id of a per-object dict's key, else ""),
    kind (hourly or scalar), unit and total."""
    rows = []
    for cls, members in upgraded.saved.items():
        for object_id, attributes in members.items():
            obj = upgraded.document.get(cls, {}).get(object_id, {})
            name = obj.get("name", object_id) if isinstance(obj, dict) else object_id
            for attribute, value in attributes.items():
                where = f"{cls} {object_id!r}.{attribute}"
                plain = isinstance(value, dict) and "label" in value
                entries = {"": value} if plain else value if isinstance(value, dict) else {}
                for key_id, entry in entries.items():
                    try:
                        found = _total(entry, where)
                    except ModelError:  # a saved series we cannot decode is not compared, never fatal
                        found = None
                    if found is not None:
                        rows.append((cls, object_id, name, attribute, str(key_id), *found))
    return pl.DataFrame(rows, schema=SAVED_COLUMNS, orient="row")


def compare_saved(upgraded: Upgraded, long: pl.DataFrame) -> pl.DataFrame:
    """Saved totals against today's (`long`: the long results table of the same model), in today's unit, sorted
    by the largest relative difference. status: 'same' (within SAME), 'differs', 'not computed' (efp_tables
    computes no such attribute) or 'unit changed' (the saved unit no longer converts to today's)."""
    computed = (long.filter(pl.col("kind") != "empty")
                .group_by("object_id", "attribute", "key_id")
                .agg(pl.col("unit").first(), pl.col("value").sum().alias("computed_total")))
    joined = saved_totals(upgraded).join(computed, on=["object_id", "attribute", "key_id"], how="left")
    rows = []
    for row in joined.iter_rows(named=True):
        saved, computed_total, unit = row["saved_total"], row["computed_total"], row["unit"]
        if unit is None:
            status, saved_in_unit, unit = "not computed", saved, row["saved_unit"]
        else:
            try:
                saved_in_unit = convert(saved, row["saved_unit"], unit)
                status = None
            except Exception:  # noqa: BLE001: pint's dimensionality or unknown-unit errors
                status, saved_in_unit = "unit changed", None
        difference = relative = None
        if status is None:
            difference = computed_total - saved_in_unit
            scale = max(abs(saved_in_unit), abs(computed_total))
            relative = difference / scale if scale else 0.0
            status = "same" if abs(relative) <= SAME else "differs"
        rows.append({**{k: row[k] for k in ("object_class", "object_name", "object_id", "attribute", "key_id",
                                            "kind")},
                     "unit": unit, "saved_total": saved_in_unit, "computed_total": computed_total,
                     "difference": difference, "relative_difference": relative, "status": status})
    schema = {"object_class": pl.String, "object_name": pl.String, "object_id": pl.String, "attribute": pl.String,
              "key_id": pl.String, "kind": pl.String, "unit": pl.String, "saved_total": pl.Float64,
              "computed_total": pl.Float64, "difference": pl.Float64, "relative_difference": pl.Float64,
              "status": pl.String}
    return (pl.DataFrame(rows, schema=schema)
            .sort(pl.col("relative_difference").abs(), "object_class", "object_name", "attribute", "key_id",
                  descending=[True, False, False, False, False], nulls_last=True))


def comparison_text(comparison: pl.DataFrame) -> str:
    """One line per saved value, then a summary."""
    lines = []
    for row in comparison.iter_rows(named=True):
        key = f"[{row['key_id']}]" if row["key_id"] else ""
        head = f"{row['object_class']} {row['object_name']!r} {row['attribute']}{key}"
        if row["status"] in ("same", "differs"):
            lines.append(f"{head}: saved {row['saved_total']:,.6g}, computed {row['computed_total']:,.6g} "
                         f"{row['unit']} ({row['relative_difference']:+.2e}, {row['status']})")
        else:
            lines.append(f"{head}: saved {row['saved_total']:,.6g} {row['unit'] or ''} ({row['status']})".rstrip())
    counts = dict(comparison.group_by("status").len().iter_rows())
    summary = ", ".join(f"{counts[s]} {s}" for s in ("same", "differs", "not computed", "unit changed")
                        if s in counts)
    lines.append(f"{comparison.height} saved value(s): {summary or 'none'}")
    return "\n".join(lines)
