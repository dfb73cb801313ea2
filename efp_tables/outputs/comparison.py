"""Two systems compared, as efootprint 27's `System.compare_to`: total deltas, the decomposition by category
and phase, the hourly footprints on one hour axis with their cumulative sums, and the input diff.

Objects are matched as efootprint matches them: each object of A with the object of B that has the same id,
failing that with the one that has the same name and class; B objects paired with none are only in B. The
same rule pairs the keys of weighted links and the members of lists, and a link to an object that is only in
one model gives no row of its own (the object's only-in row says it). Inputs are compared on the efootprint 27
JSON documents of both models (a file's own, or `model_document` of a model built or varied in Python), and
shown as efootprint shows them ("100 g/kWh")."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import polars as pl

from efp_tables.errors import ModelError
from efp_tables.io.atomic import atomic_path
from efp_tables.stages.hourly import aligned
from efp_tables.stages.timeline import VALUE
from efp_tables.units import Quantity, parse_unit

# efootprint's categories and phases, in its order.
CATEGORIES = ("Servers", "Storage", "ExternalAPIs", "Network", "Devices", "EdgeDevices")
PHASES = {"use": "Use", "manufacturing": "Manufacturing"}
MATCHING_RULE = ("each object of A is paired with the object of B that has the same id, else with the one that has "
                 "the same name and the same efootprint class; objects of B paired with none are only_in_b")
SERIES = ("values", "usage", "manufacturing", "cumulative")
_US_PER_HOUR = 3_600_000_000
# Labels of weighted links, as efootprint names their counts ("Times per step (job name)").
WEIGHT_LABELS = {"uj_steps": "Times per journey", "jobs": "Times per step",
                 "usage_journeys": "Journeys per pattern occurrence"}
# efootprint's display: the unit of its family that keeps the value at least 1, 3 significant figures.
_UNIT_FAMILIES = (
    ("milligram", "gram", "kilogram", "tonne", "kilotonne", "megatonne", "gigatonne", "teratonne"),
    ("milliwatt_hour", "watt_hour", "kilowatt_hour", "megawatt_hour", "gigawatt_hour", "terawatt_hour"),
    ("milliwatt", "watt", "kilowatt", "megawatt", "gigawatt", "terawatt"),
    ("millisecond", "second", "minute", "hour", "day", "year"),
    ("byte", "kilobyte", "megabyte", "gigabyte", "terabyte"),
    ("byte_ram", "kilobyte_ram", "megabyte_ram", "gigabyte_ram", "terabyte_ram"),
    ("byte_stored", "kilobyte_stored", "megabyte_stored", "gigabyte_stored", "terabyte_stored"),
)


@dataclass(frozen=True)
class Side:
    """One system of a comparison: its results (compute.Results), its efootprint 27 JSON document, the system
    to read in them, and what to call it (the model's file name, say)."""
    results: object
    document: dict
    system_id: str
    label: str


@dataclass(frozen=True)
class Comparison:
    """`summary`: what comparison.json holds (the shape of efootprint's compare_to export); `time_series`: the
    aligned hourly series (hour, values_a/b, usage_a/b, manufacturing_a/b, cumulative_a/b, kg)."""
    summary: dict
    time_series: pl.DataFrame

    def chart(self) -> alt.VConcatChart:
        """Hourly footprints (daily sums) and cumulative footprints of both systems."""
        a, b = self.summary["a"]["model"], self.summary["b"]["model"]
        daily = (self.time_series.group_by_dynamic("hour", every="1d")
                 .agg(pl.col("values_a", "values_b").sum(), pl.col("cumulative_a", "cumulative_b").last())
                 .rename({"values_a": a, "values_b": b}))
        per_day = daily.unpivot([a, b], index="hour", variable_name="system", value_name="kg")
        cumulative = (daily.select("hour", pl.col("cumulative_a").alias(a), pl.col("cumulative_b").alias(b))
                      .unpivot([a, b], index="hour", variable_name="system", value_name="kg"))

        def line(frame: pl.DataFrame, title: str) -> alt.Chart:
            return (alt.Chart(frame).mark_line().encode(
                x=alt.X("hour:T", title=None, scale=alt.Scale(type="utc")),
                y=alt.Y("kg:Q", title=title), color=alt.Color("system:N", title=None, sort=[a, b]),
                tooltip=["system", alt.Tooltip("hour:T", timeUnit="utcyearmonthdate"),
                         alt.Tooltip("kg:Q", format=",.1f")]).properties(width=640, height=200))
        delta = self.summary["delta"]
        relative = "" if delta["relative"] is None else f" ({delta['relative']:+.1%})"
        return alt.vconcat(line(per_day, "kg CO2e per day"), line(cumulative, "cumulative kg CO2e")).properties(
            title=f"{b} vs {a}: {delta['absolute'] / 1000:+,.2f} t CO2e{relative}")

    def write(self, folder: str | Path) -> list[Path]:
        """folder/comparison.json, comparison.timeseries.parquet and comparison.html, all or none."""
        from contextlib import ExitStack

        from efp_tables.io.results_table import with_units, write_arrow
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(str(folder), "--out", str(folder), f"a folder that can be created ({exc.strerror})") \
                from None
        paths = [folder / "comparison.json", folder / "comparison.timeseries.parquet", folder / "comparison.html"]
        table = with_units(self.time_series, {c: "kilogram" for c in self.time_series.columns if c != "hour"},
                           {"hour": {"timezone": "UTC"}})
        with ExitStack() as renames:
            with open(renames.enter_context(atomic_path(paths[0])), "w", encoding="utf-8") as out:
                json.dump({**self.summary, "time_series": {**self.summary["time_series"], "file": paths[1].name}},
                          out, indent=1, ensure_ascii=False)
            write_arrow(table, renames.enter_context(atomic_path(paths[1])))
            # the Vega bundle inline: the page opens offline
            self.chart().save(renames.enter_context(atomic_path(paths[2])), format="html", inline=True)
        return paths


def side_of_file(path: str | Path) -> Side:
    """A Side computed from an efootprint JSON file (any version read; compared in its efootprint 27 form)."""
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json import read_document, upgraded_document, upgraded_rows
    from efp_tables.tables.model import Model
    where = Path(path).name
    upgraded = upgraded_document(read_document(path), where)
    try:
        model = Model.from_rows(upgraded_rows(upgraded, None, where))
    except ModelError as exc:
        raise upgraded.explained(exc) from None
    [system_id] = model.table("systems")["system_id"].to_list()
    return Side(compute(model), upgraded.document, system_id, where)


def side_of_model(model, label: str, system_id: str | None = None) -> Side:
    """A Side computed from a Model (built with the Python API, or a sweep's variant): its inputs are compared
    on the efootprint 27 document the model would be saved as."""
    from efp_tables.compute import compute
    from efp_tables.io.efootprint_json_writer import model_document
    document = model_document(model, system_id)
    system_id = system_id or next(iter(document["System"]))
    return Side(compute(model), document, system_id, label)


def compare_variants(model, grid: dict, i: int, j: int) -> Comparison:
    """Variant j of a sweep of `model` (a Model or an API System) compared against variant i, without writing
    either model."""
    from efp_tables.sweeps import _plan, variant_model
    model, plan = _plan(model, grid)
    for name, variant in (("i", i), ("j", j)):
        if not 0 <= variant < len(plan):
            raise ModelError("compare", f"variant {name}", variant, f"a variant of the sweep, 0 to {len(plan) - 1}")
    return compare(side_of_model(variant_model(model, plan, i), f"variant {i}"),
                   side_of_model(variant_model(model, plan, j), f"variant {j}"))


def compare(a: Side, b: Side) -> Comparison:
    """The comparison of system B against system A. Raises ModelError if they share no object."""
    diff, pairs = input_diff(a.document, b.document)
    if not any(pair["matched_by"] for pair in pairs):
        raise ModelError(f"{a.label} vs {b.label}", "objects", "no object in common",
                         "two models that share objects (same id, or same name and class): a variant of the "
                         "other, say")
    series = aligned_series(a, b)
    totals = {side: float(series[f"values_{side}"].sum()) for side in "ab"}
    decomposition = []
    parts = {side: _by_category_and_phase(s) for side, s in (("a", a), ("b", b))}
    for category in CATEGORIES:
        for phase in PHASES:
            before, after = (parts[side].get((category, PHASES[phase]), 0.0) for side in "ab")
            decomposition.append({"category": category, "phase": phase, "a": before, "b": after,
                                  **_delta(before, after)})
    hours = series["hour"]
    summary = {
        "unit": "kg",
        "a": {"model": a.label, "system_id": a.system_id, "system_name": _system_name(a.document, a.system_id)},
        "b": {"model": b.label, "system_id": b.system_id, "system_name": _system_name(b.document, b.system_id)},
        "total_a": totals["a"], "total_b": totals["b"], "delta": _delta(totals["a"], totals["b"]),
        "decomposition": decomposition,
        "time_series": {"file": None, "start": hours[0].isoformat() if len(hours) else None, "hours": len(hours),
                        **{f"sum_{name}_{side}": float(series[f"{name}_{side}"].sum())
                           for name in ("values", "usage", "manufacturing") for side in "ab"},
                        **{f"last_cumulative_{side}": float(series[f"cumulative_{side}"][-1]) if len(hours) else 0.0
                           for side in "ab"}},
        "input_diff": diff,
        "matching": {"rule": MATCHING_RULE, "pairs": pairs},
    }
    return Comparison(summary, series)


def _delta(before: float, after: float) -> dict:
    return {"absolute": after - before, "relative": after / before - 1 if before else None}


def _system_name(document: dict, system_id: str) -> str:
    return document.get("System", {}).get(system_id, {}).get("name", system_id)


def _by_category_and_phase(side: Side) -> dict[tuple[str, str], float]:
    footprints = side.results.hourly("footprint_by_object")
    rows = footprints.keys.with_columns(pl.Series("kg", footprints.period_sums(VALUE)))
    rows = rows.filter(pl.col("system_id") == side.system_id).group_by("category", "phase").agg(pl.col("kg").sum())
    return {(category, phase): kg for category, phase, kg in rows.iter_rows()}


def aligned_series(a: Side, b: Side) -> pl.DataFrame:
    """Both systems' hourly total, use and manufacturing footprints on one hour axis (from the first hour of
    either to the last of either, 0 outside a system's own hours) and their cumulative sums, accumulated in
    float32 as efootprint's."""
    phases = [side.results.hourly("footprint_by_object").only(VALUE).summed(["system_id", "phase"])
              for side in (a, b)]
    phases = aligned(*phases)
    columns, spans = {}, []
    for side, system, by_phase in (("a", a.system_id, phases[0]), ("b", b.system_id, phases[1])):
        keys = by_phase.keys.with_row_index("_at").filter(pl.col("system_id") == system)
        for phase, name in (("Use", "usage"), ("Manufacturing", "manufacturing")):
            at = keys.filter(pl.col("phase") == phase)["_at"].to_numpy()
            columns[f"{name}_{side}"] = by_phase[VALUE][at].sum(axis=0)
        spans.append((int(keys["_first"].min()), int(keys["_last"].max())))
    start = min(first for first, _ in spans) - phases[0].start
    stop = max(last for _, last in spans) - phases[0].start + 1
    frame = {name: values[start:stop] for name, values in columns.items()}
    for side in "ab":
        frame[f"values_{side}"] = frame[f"usage_{side}"] + frame[f"manufacturing_{side}"]
        frame[f"cumulative_{side}"] = np.cumsum(frame[f"values_{side}"].astype(np.float32), dtype=np.float32)
    hours = (np.arange(start, stop) + phases[0].start) * _US_PER_HOUR
    return pl.DataFrame({"hour": pl.Series(hours).cast(pl.Datetime("us")),
                         **{f"{name}_{side}": pl.Series(frame[f"{name}_{side}"], dtype=pl.Float64)
                            for name in SERIES for side in "ab"}})


# --- The input diff, on efootprint 27 JSON documents ---

def _objects(document: dict) -> dict[str, tuple[str, dict]]:
    """{id: (class, object)} of every object of the document but its System(s)."""
    return {object_id: (cls, obj) for cls, objects in document.items()
            if cls not in ("efootprint_version", "Sources", "System") and isinstance(objects, dict)
            for object_id, obj in objects.items()}


class _Matcher:
    """efootprint's pairing of A's objects with B's: same id, else same name and class."""

    def __init__(self, objects_a: dict, objects_b: dict):
        self.a, self.b = objects_a, objects_b
        self.b_by_name = {(obj.get("name"), cls): object_id for object_id, (cls, obj) in objects_b.items()}
        self.a_by_name = {(obj.get("name"), cls): object_id for object_id, (cls, obj) in objects_a.items()}

    def partner(self, object_id: str) -> tuple[str | None, str | None]:
        if object_id in self.b:
            return object_id, "id"
        cls, obj = self.a[object_id]
        found = self.b_by_name.get((obj.get("name"), cls))
        return (found, "name_and_class") if found else (None, None)

    def in_both(self, object_id: str, side: str) -> bool:
        """Whether an object (an id of side `side`) is in both models."""
        mine, other, other_by_name = ((self.a, self.b, self.b_by_name) if side == "a"
                                      else (self.b, self.a, self.a_by_name))
        if object_id in other:
            return True
        cls, obj = mine[object_id]
        return (obj.get("name"), cls) in other_by_name


def input_diff(document_a: dict, document_b: dict) -> tuple[dict, list[dict]]:
    """({changed, only_in_a, only_in_b}, matching pairs) of two efootprint 27 documents; `changed` sorted by
    class, name and attribute."""
    objects_a, objects_b = _objects(document_a), _objects(document_b)
    match = _Matcher(objects_a, objects_b)
    sources = {**document_a.get("Sources", {}), **document_b.get("Sources", {})}
    changed, only_in_a, pairs, matched = [], [], [], set()
    for object_id, (cls, obj) in objects_a.items():
        partner, how = match.partner(object_id)
        pairs.append({"object_class": cls, "object_name": obj.get("name"), "id_a": object_id, "id_b": partner,
                      "matched_by": how})
        if partner is None:
            only_in_a.append({"object_class": cls, "object_name": obj.get("name"), "object_id": object_id})
            continue
        matched.add(partner)
        changed += _changed(cls, obj, objects_b[partner][1], match, objects_a, objects_b, sources)
    only_in_b = [{"object_class": cls, "object_name": obj.get("name"), "object_id": object_id}
                 for object_id, (cls, obj) in objects_b.items() if object_id not in matched]
    changed.sort(key=lambda row: (row["object_class"], row["object_name_a"] or "", row["attribute"]))
    return {"changed": changed, "only_in_a": only_in_a, "only_in_b": only_in_b}, pairs


def _row(cls: str, obj_a: dict, obj_b: dict, attribute: str, value_a, value_b, source_a=None, source_b=None,
         confidence_a=None, confidence_b=None) -> dict:
    return {"object_class": cls, "object_name_a": obj_a.get("name"), "object_name_b": obj_b.get("name"),
            "attribute": attribute, "value_a": value_a, "value_b": value_b, "source_a": source_a,
            "source_b": source_b, "confidence_a": confidence_a, "confidence_b": confidence_b}


def _changed(cls: str, obj_a: dict, obj_b: dict, match: _Matcher, objects_a: dict, objects_b: dict,
             sources: dict) -> list[dict]:
    rows = []
    for attribute in sorted(obj_a.keys() & obj_b.keys() - {"name", "id"}):
        value_a, value_b = obj_a[attribute], obj_b[attribute]
        if _is_explainable(value_a) and _is_explainable(value_b):
            if not _same_value(value_a, value_b):
                rows.append(_row(cls, obj_a, obj_b, attribute, _display(value_a), _display(value_b),
                                 _source_name(value_a, sources), _source_name(value_b, sources),
                                 value_a.get("confidence"), value_b.get("confidence")))
        elif isinstance(value_a, dict) and isinstance(value_b, dict):  # weighted links {id: count}
            rows += _weights_changed(cls, obj_a, obj_b, attribute, value_a, value_b, match, objects_a, objects_b)
        elif isinstance(value_a, list) and isinstance(value_b, list):  # lists of links
            rows += _members_changed(cls, obj_a, obj_b, attribute, value_a, value_b, match, objects_a, objects_b)
    return rows


def _is_explainable(value) -> bool:
    """An input value (a quantity, a text, a time zone, a series), not a dict of weighted links."""
    return isinstance(value, dict) and "label" in value


def _same_value(a: dict, b: dict) -> bool:
    if isinstance(a.get("value"), (int, float)) and isinstance(b.get("value"), (int, float)):
        try:
            return _quantity(a) == _quantity(b)
        except Exception:
            return a.get("value") == b.get("value") and a.get("unit") == b.get("unit")
    strip = ("label", "source", "confidence", "comment")
    return {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}


def _quantity(value: dict):
    return Quantity(float(value["value"]), parse_unit(value.get("unit", "dimensionless")))


def _source_name(value: dict, sources: dict) -> str | None:
    source = value.get("source")
    if isinstance(source, dict):
        return source.get("name")
    return sources.get(source, {}).get("name", source) if source is not None else None


def _display(value: dict) -> str | None:
    """A value as efootprint shows it: a quantity in the unit of its family that keeps it at least 1 (else as
    written), to 3 significant figures ("100 g/kWh", "1.5 MB"); text as is; a series by its length."""
    if value.get("value") is None and "value" in value:
        return None
    if isinstance(value.get("value"), (int, float)):
        return display_quantity(_quantity(value))
    if "value" in value:
        return str(value["value"])
    if "zone" in value:
        return str(value["zone"])
    return json.dumps(value.get("form_inputs", "an hourly series"), sort_keys=True)


def display_quantity(quantity) -> str:
    unit = _display_unit(quantity)
    magnitude = float(quantity.to(unit).magnitude)
    if magnitude != 0:
        magnitude = round(magnitude) if abs(magnitude) >= 1000 else round(
            magnitude, 3 - int(math.floor(math.log10(abs(magnitude)))) - 1)
    text = np.format_float_positional(magnitude, trim="-")
    whole, dot, fraction = text.partition(".")
    symbol = f"{unit:~P}"
    for counted in ("occurrence", "concurrent"):
        if counted in symbol:
            symbol = symbol.replace(counted, "")
            break
    symbol = re.sub(r"\ba\b", "yr", symbol)  # pint's symbol of the (julian) year; efootprint writes yr
    return f"{int(whole):,}{dot}{fraction} {symbol.replace('_', ' ')}"


def _display_unit(quantity):
    if quantity.dimensionless:
        return quantity.units
    for family in _UNIT_FAMILIES:
        units = [parse_unit(name) for name in family]
        if quantity.is_compatible_with(units[0]):
            size = abs(float(quantity.magnitude))
            if size == 0:
                return units[0]
            for unit in reversed(units):
                if quantity.to(unit).magnitude >= 1:
                    return unit
            return units[0]
    return quantity.units


def _key_partner(key: str, side_keys: list[str], match: _Matcher, objects_from: dict, objects_to: dict) -> str | None:
    """The member of `side_keys` (ids of the other model) that pairs with `key`: same id, else same name and
    class."""
    if key in side_keys:
        return key
    cls, obj = objects_from.get(key, (None, {}))
    for other in side_keys:
        other_cls, other_obj = objects_to.get(other, (None, {}))
        if other_cls == cls and other_obj.get("name") == obj.get("name"):
            return other
    return None


def _name_of(object_id: str, objects: dict) -> str:
    return objects.get(object_id, (None, {"name": object_id}))[1].get("name", object_id)


def _count(value) -> str | None:
    number = float(value["value"] if isinstance(value, dict) else value)
    return str(int(number)) if number.is_integer() else str(number)


def _weights_changed(cls, obj_a, obj_b, attribute, weights_a: dict, weights_b: dict, match: _Matcher,
                     objects_a: dict, objects_b: dict) -> list[dict]:
    label = WEIGHT_LABELS.get(attribute, attribute)
    rows, matched = [], set()
    for key_a, weight_a in weights_a.items():
        key_b = _key_partner(key_a, list(weights_b), match, objects_a, objects_b)
        if key_b is None:
            if key_a in objects_a and match.in_both(key_a, "a"):
                rows.append(_row(cls, obj_a, obj_b, f"{label} ({_name_of(key_a, objects_a)})", _count(weight_a), None))
            continue
        matched.add(key_b)
        if _count(weight_a) != _count(weights_b[key_b]):
            rows.append(_row(cls, obj_a, obj_b, f"{label} ({_name_of(key_a, objects_a)})", _count(weight_a),
                             _count(weights_b[key_b])))
    for key_b, weight_b in weights_b.items():
        if key_b not in matched and key_b in objects_b and match.in_both(key_b, "b"):
            rows.append(_row(cls, obj_a, obj_b, f"{label} ({_name_of(key_b, objects_b)})", None, _count(weight_b)))
    return rows


def _members_changed(cls, obj_a, obj_b, attribute, members_a: list, members_b: list, match: _Matcher,
                     objects_a: dict, objects_b: dict) -> list[dict]:
    rows, matched = [], set()
    for member in members_a:
        partner = _key_partner(member, members_b, match, objects_a, objects_b)
        if partner is None:
            if member in objects_a and match.in_both(member, "a"):
                rows.append(_row(cls, obj_a, obj_b, f"{attribute} ({_name_of(member, objects_a)})", "present", None))
        else:
            matched.add(partner)
    for member in members_b:
        if member not in matched and member in objects_b and match.in_both(member, "b"):
            rows.append(_row(cls, obj_a, obj_b, f"{attribute} ({_name_of(member, objects_b)})", None, "present"))
    return rows
