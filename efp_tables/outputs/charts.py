"""Altair charts of results, saved as HTML and PNG (vl-convert).

Every chart is built from our result tables: the long results table (`Results.long()`, results.parquet), the
emission diffs of `efp_tables.simulations` (diffs.parquet) or a sweep's totals (sweep.parquet)."""
from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl

from efp_tables.errors import ModelError
from efp_tables.io.atomic import atomic_path
from efp_tables.stages.system import CATEGORIES, PHASES
from efp_tables.tables.schema import EDGE_DEVICE_CLASSES, EXTERNAL_API_SERVER_CLASSES, SERVER_CLASSES
from efp_tables.units import unit_label

CATEGORY_ORDER = CATEGORIES
# An external API's footprints are its server's (the long table holds them on the server, as efootprint does).
CATEGORY_OF_CLASS = {**{c: "Servers" for c in SERVER_CLASSES}, "Storage": "Storage",
                     **{c: "ExternalAPIs" for c in EXTERNAL_API_SERVER_CLASSES.values()}, "Network": "Network",
                     "Device": "Devices", **{c: "EdgeDevices" for c in EDGE_DEVICE_CLASSES}}
PERIODS = {"hour": "1h", "day": "1d", "month": "1mo", "year": "1y"}
RESAMPLE_CHOICES = ("auto", *PERIODS)
PERIOD_ADJECTIVES = {"hour": "hourly", "day": "daily", "month": "monthly", "year": "yearly"}
# "auto" picks the finest period with at most this many points per series: 3 years of hours become days
MAX_POINTS_PER_SERIES = 2000
# Units of amounts per hour (added up over a period); the others are levels (averaged over a period)
SUMMED_UNITS = frozenset({"kilogram", "kilowatt_hour", "occurrence", "megabyte", "megabyte_stored"})
LONG_COLUMNS = ("object_class", "object_id", "object_name", "attribute", "key_id", "kind", "unit", "hour", "value")
DIFF_COLUMNS = ("object_class", "object_id", "object_name", "attribute", "before_kg", "after_kg", "delta_kg")
UTC_TIME = alt.Scale(type="utc")  # hours are naive UTC: never shift them to the viewer's time zone
HOUR_TOOLTIP = alt.Tooltip("hour:T", timeUnit="utcyearmonthdatehours")


def footprint_by_category_and_object(footprint_by_object: pl.DataFrame, names: pl.DataFrame) -> alt.FacetChart:
    """The seeds' stacked bars: tonnes CO2e over the whole period per object, manufacturing vs use, one panel
    per category in efootprint's order; in a portfolio, each system's objects apart ("system / object").
    `footprint_by_object` is the stage of that name; `names` maps (system_id, object_id) to object_name."""
    totals = (footprint_by_object.group_by("system_id", "category", "object_id", "phase")
              .agg((pl.col("value").sum() / 1000).alias("tonnes"))
              .join(names, on=["system_id", "object_id"], how="left")
              .with_columns(pl.coalesce("object_name", "object_id").alias("object_name")))
    totals = totals.with_columns(_object_label(totals).alias("object")).sort("category", "object", "phase")
    bars = (alt.Chart(totals).mark_bar()
            .encode(x=alt.X("object:N", title=None, sort=None),
                    y=alt.Y("tonnes:Q", title="t CO2e over the period", stack="zero"),
                    color=alt.Color("phase:N", title="Phase"),
                    tooltip=["category", "object", "phase", alt.Tooltip("tonnes:Q", format=",.1f")])
            .properties(width=160, height=300))
    return (bars.facet(column=alt.Column("category:N", title=None, sort=list(CATEGORY_ORDER)))
            .resolve_scale(x="independent")
            .properties(title="Footprint by category and object"))


def footprints(long: pl.DataFrame) -> pl.DataFrame:
    """The hourly footprints (kg) that make up the system total, from a long results table, in the columns of
    the footprint_by_object stage plus object_name: system_id, category, object_id, object_name, phase, hour,
    value. A table without system_id (one model) gets "System"."""
    _require_columns(long, LONG_COLUMNS, "a long results table (results.parquet of efp compute or efp simulate)")
    system = pl.col("system_id") if "system_id" in long.columns else pl.lit("System")
    return (long.filter(pl.col("attribute").is_in(list(PHASES)) & (pl.col("key_id") == "")
                        & (pl.col("kind") == "hourly") & pl.col("object_class").is_in(list(CATEGORY_OF_CLASS)))
            .select(system.alias("system_id"),
                    pl.col("object_class").replace_strict(CATEGORY_OF_CLASS).alias("category"),
                    "object_id", "object_name",
                    pl.col("attribute").replace_strict(PHASES).alias("phase"), "hour", "value"))


def footprint_from_long(long: pl.DataFrame) -> alt.FacetChart:
    """`footprint_by_category_and_object` of a long results table."""
    by_object = footprints(long)
    names = by_object.select("system_id", "object_id", "object_name").unique()
    return footprint_by_category_and_object(by_object.drop("object_name"), names)


def hourly(long: pl.DataFrame, objects: str | list[str], attribute: str, resample: str = "auto") -> alt.Chart:
    """One line per selected object (and per key, for per-usage-pattern or per-job attributes) of an hourly
    result `attribute`. `objects` are object ids or names. `resample` is hour, day, month, year, or auto (the
    finest with at most MAX_POINTS_PER_SERIES points per line); amounts (kg, kWh, occurrences, data) are added
    up over a period, levels (instances, needs, concurrent journeys) averaged."""
    _require_columns(long, LONG_COLUMNS, "a long results table (results.parquet of efp compute or efp simulate)")
    selected = _select_objects(long, objects)
    chosen = ", ".join(sorted(selected["object_name"].unique()))
    rows = selected.filter((pl.col("attribute") == attribute) & (pl.col("kind") == "hourly"))
    if rows.is_empty():
        available = sorted(selected.filter(pl.col("kind") == "hourly")["attribute"].unique())
        raise ModelError(chosen, "attribute", attribute, f"an hourly result of it, one of {available}")
    units = sorted(rows["unit"].unique())
    if len(units) > 1:
        raise ModelError(chosen, attribute, units, "one unit for all selected objects (select fewer objects)")
    unit = units[0]
    series = pl.concat_str(_object_label(long), pl.when(pl.col("key_id") != "")
                           .then(pl.lit(" / ") + pl.col("key_id")).otherwise(pl.lit(""))).alias("series")
    rows = rows.with_columns(series)
    period = _period(resample, rows.group_by("series").len()["len"].max())
    summed = unit in SUMMED_UNITS
    data = _resampled(rows, "series", period, pl.col("value").sum() if summed else pl.col("value").mean(),
                      complete_only=summed)
    label = unit_label(unit)
    if summed:
        title = f"{label}/{period}"
    else:
        title = label if period == "hour" else f"{label} ({PERIOD_ADJECTIVES[period]} mean)"
    return (alt.Chart(_inline(data)).mark_line()
            .encode(x=alt.X("hour:T", title=f"{period} (UTC)", scale=UTC_TIME),
                    y=alt.Y("value:Q", title=title),
                    color=alt.Color("series:N", title=None),
                    tooltip=["series:N", HOUR_TOOLTIP, alt.Tooltip("value:Q", format=",.4g")])
            .properties(title=f"{attribute} ({PERIOD_ADJECTIVES[period]})", width=700, height=300))


def cumulative(long: pl.DataFrame, by: str = "object", objects: str | list[str] | None = None,
               resample: str = "auto") -> alt.Chart:
    """The footprint (t CO2e) accumulated from the first hour on, stacked by object or by category, so that the
    top of the stack is the footprint of everything shown (the system total when no objects are selected).
    Each point is the sum up to the end of its period (`resample` as in `hourly`)."""
    if by not in ("object", "category"):
        raise ModelError("cumulative chart", "by", by, "object or category")
    by_object = footprints(_select_objects(long, objects) if objects is not None else long)
    if by_object.is_empty():
        raise ModelError("cumulative chart", "objects", objects, "objects with a footprint (servers, storage, "
                         "networks, devices)")
    series = (pl.col("category") if by == "category" else _object_label(by_object)).alias("series")
    by_object = by_object.with_columns(series)
    period = _period(resample, by_object["hour"].n_unique())
    per_period = _resampled(by_object, "series", period, pl.col("value").sum(), complete_only=False)
    grid = per_period.select("series").unique().join(per_period.select("hour").unique(), how="cross")
    data = (grid.join(per_period, on=["series", "hour"], how="left").fill_null(0.0).sort("series", "hour")
            .select("series", "hour", (pl.col("value").cum_sum().over("series") / 1000).alias("tonnes")))
    order = _series_order(by_object) if by == "object" else [c for c in CATEGORY_ORDER
                                                             if c in set(data["series"])]
    return (alt.Chart(_inline(data)).mark_area()
            .encode(x=alt.X("hour:T", title=f"{period} (UTC)", scale=UTC_TIME),
                    y=alt.Y("tonnes:Q", title="t CO2e, cumulative", stack="zero"),
                    color=alt.Color("series:N", title=by.capitalize(), sort=order),
                    tooltip=["series:N", HOUR_TOOLTIP, alt.Tooltip("tonnes:Q", format=",.1f")])
            .properties(title=f"Cumulative footprint by {by}", width=700, height=300))


def emission_diffs(diffs: pl.DataFrame, with_hourly: bool = False,
                   resample: str = "auto") -> alt.Chart | alt.VConcatChart:
    """The change (after - before, t CO2e over the period) of every object's manufacturing and use footprint,
    one bar per object and phase, objects grouped by category; `diffs` is `simulations.emission_diffs` (per
    hour) or `simulations.diff_summary` (totals). `with_hourly` adds the change over time by category below
    (needs the per-hour diffs)."""
    _require_columns(diffs, DIFF_COLUMNS, "emission diffs (diffs.parquet of efp simulate, or "
                                          "simulations.emission_diffs / diff_summary)")
    totals = (diffs.group_by("object_class", "object_id", "object_name", "attribute")
              .agg(pl.col("before_kg", "after_kg", "delta_kg").sum() / 1000)
              .filter(pl.col("object_class").is_in(list(CATEGORY_OF_CLASS)) & pl.col("attribute").is_in(list(PHASES)))
              .with_columns(pl.col("object_class").replace_strict(CATEGORY_OF_CLASS).alias("category"),
                            pl.col("attribute").replace_strict(PHASES).alias("phase"))
              .with_columns(pl.concat_str("category", pl.lit(": "), "object_name").alias("object"))
              .sort(pl.col("category").replace_strict({c: i for i, c in enumerate(CATEGORY_ORDER)}),
                    "object_name", "phase")
              .select("category", "object", "phase", pl.col("before_kg").alias("before_t"),
                      pl.col("after_kg").alias("after_t"), pl.col("delta_kg").alias("delta_t")))
    if totals.is_empty():
        raise ModelError("emission diffs chart", "diffs", diffs.height, "rows of footprints of servers, storage, "
                         "networks or devices")
    change = totals["delta_t"].sum()
    bars = (alt.Chart(_inline(totals)).mark_bar()
            .encode(y=alt.Y("object:N", title=None, sort=list(dict.fromkeys(totals["object"]))),
                    yOffset=alt.YOffset("phase:N"),
                    x=alt.X("delta_t:Q", title="change over the period, t CO2e (after - before)"),
                    color=alt.Color("phase:N", title="Phase"),
                    tooltip=["object:N", "phase:N", *(alt.Tooltip(f"{c}:Q", format=",.1f")
                                                       for c in ("before_t", "after_t", "delta_t"))])
            .properties(title=f"Emission diffs: {change:+,.1f} t CO2e", width=600))
    if not with_hourly:
        return bars
    if "hour" not in diffs.columns:
        raise ModelError("emission diffs chart", "with_hourly", True, "per-hour diffs (simulations.emission_diffs, "
                         "not diff_summary)")
    hourly_rows = (diffs.filter(pl.col("object_class").is_in(list(CATEGORY_OF_CLASS)))
                   .with_columns(pl.col("object_class").replace_strict(CATEGORY_OF_CLASS).alias("category")))
    period = _period(resample, hourly_rows["hour"].n_unique())
    over_time = _resampled(hourly_rows, "category", period, pl.col("delta_kg").sum(), complete_only=True)
    line = (alt.Chart(_inline(over_time)).mark_line()
            .encode(x=alt.X("hour:T", title=f"{period} (UTC)", scale=UTC_TIME),
                    y=alt.Y("delta_kg:Q", title=f"change, kg CO2e per {period}"),
                    color=alt.Color("category:N", title="Category", sort=list(CATEGORY_ORDER)),
                    tooltip=["category:N", HOUR_TOOLTIP, alt.Tooltip("delta_kg:Q", format=",.4g")])
            .properties(title=f"Change over time ({PERIOD_ADJECTIVES[period]})", width=600, height=250))
    return alt.vconcat(bars, line).resolve_scale(color="independent")


def sensitivity(sweep_table: pl.DataFrame, baseline: int = 0) -> pl.DataFrame:
    """Per swept parameter, the lowest and highest total footprint (t CO2e) over the variants where only that
    parameter differs from the `baseline` variant, widest range first: parameter, low_t, high_t, range_t,
    low_value, high_value (the parameter's values giving them), baseline_t."""
    _require_columns(sweep_table, ("variant", "total_footprint_kg"), "a sweep table (sweep.parquet of efp sweep)")
    columns = sweep_table.columns
    parameters = columns[columns.index("variant") + 1:columns.index("total_footprint_kg")]
    if not parameters:
        raise ModelError("sensitivity chart", "sweep table", columns, "parameter columns between variant and "
                         "total_footprint_kg")
    reference = sweep_table.filter(pl.col("variant") == baseline)
    if reference.is_empty():
        first, last = sweep_table["variant"].min(), sweep_table["variant"].max()
        raise ModelError("sensitivity chart", "baseline", baseline, f"a variant of the sweep, from {first} to {last}")
    at_baseline = reference.row(0, named=True)
    rows = []
    for parameter in parameters:
        others = [pl.col(p) == at_baseline[p] for p in parameters if p != parameter]
        moved = sweep_table.filter(*others) if others else sweep_table
        low = moved.row(moved["total_footprint_kg"].arg_min(), named=True)
        high = moved.row(moved["total_footprint_kg"].arg_max(), named=True)
        rows.append({"parameter": parameter, "low_t": low["total_footprint_kg"] / 1000,
                     "high_t": high["total_footprint_kg"] / 1000,
                     "range_t": (high["total_footprint_kg"] - low["total_footprint_kg"]) / 1000,
                     "low_value": str(low[parameter]), "high_value": str(high[parameter]),
                     "baseline_t": at_baseline["total_footprint_kg"] / 1000})
    return pl.DataFrame(rows).sort("range_t", descending=True, maintain_order=True)


def sweep_sensitivity(sweep_table: pl.DataFrame, baseline: int = 0) -> alt.LayerChart:
    """Tornado chart of `sensitivity`: one bar per swept parameter from the lowest to the highest total, the
    widest on top, and a rule at the baseline variant's total."""
    ranges = sensitivity(sweep_table, baseline)
    base = (alt.Chart(_inline(ranges))
            .encode(y=alt.Y("parameter:N", title=None, sort=ranges["parameter"].to_list()),
                    tooltip=["parameter:N", "low_value:N", alt.Tooltip("low_t:Q", format=",.1f"),
                             "high_value:N", alt.Tooltip("high_t:Q", format=",.1f"),
                             alt.Tooltip("range_t:Q", format=",.1f")]))
    bars = base.mark_bar().encode(x=alt.X("low_t:Q", title="total footprint, t CO2e",
                                          scale=alt.Scale(zero=False, padding=80)),  # room for the value labels
                                  x2="high_t:Q")
    low_labels = base.mark_text(align="right", dx=-4).encode(x="low_t:Q", text="low_value:N")
    high_labels = base.mark_text(align="left", dx=4).encode(x="high_t:Q", text="high_value:N")
    rule = (alt.Chart(_inline(ranges.select("baseline_t").head(1))).mark_rule(color="black")
            .encode(x="baseline_t:Q"))
    return (alt.layer(bars, low_labels, high_labels, rule)
            .properties(title=f"Sensitivity of the total footprint (baseline: variant {baseline}, "
                              f"{ranges['baseline_t'][0]:,.1f} t CO2e)", width=600))


def save_chart(chart: alt.Chart, path: str | Path) -> Path:
    """Save as HTML or PNG (by suffix), atomically: never a half-written file. HTML carries the Vega bundle
    (vl-convert's), so that it opens offline."""
    kind = Path(path).suffix.lstrip(".").lower()
    with atomic_path(path) as temporary:
        chart.save(temporary, format=kind, **({"inline": True} if kind == "html" else {}))
    return Path(path)


def _require_columns(table: pl.DataFrame, needed, what: str) -> None:
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ModelError("chart", "table columns", table.columns, f"{what}; missing {missing}")


def _select_objects(long: pl.DataFrame, objects: str | list[str]) -> pl.DataFrame:
    """Rows of the objects given by id or name; an unknown one is an error listing some that exist."""
    wanted = [objects] if isinstance(objects, str) else list(objects or [])
    if not wanted:
        raise ModelError("chart", "objects", objects, "at least one object id or name")
    known = long.select("object_id", "object_name").unique()
    for name in wanted:
        if known.filter((pl.col("object_id") == name) | (pl.col("object_name") == name)).is_empty():
            ids = sorted(known["object_id"])
            shown = ids if len(ids) <= 20 else [*ids[:20], "..."]
            raise ModelError("chart", "object", name, f"an object id or name of the results, e.g. {shown}")
    return long.filter(pl.col("object_id").is_in(wanted) | pl.col("object_name").is_in(wanted))


def _object_label(table: pl.DataFrame) -> pl.Expr:
    """object_name, prefixed with the system when the table holds several (a portfolio)."""
    if "system_id" in table.columns and table["system_id"].n_unique() > 1:
        return pl.concat_str("system_id", pl.lit(" / "), "object_name")
    return pl.col("object_name")


def _series_order(by_object: pl.DataFrame) -> list[str]:
    """Series in category order, then by name."""
    rank = pl.col("category").replace_strict({c: i for i, c in enumerate(CATEGORY_ORDER)})
    return by_object.select("series", rank.alias("rank")).unique().sort("rank", "series")["series"].to_list()


def _period(resample: str, points: int) -> str:
    if resample not in RESAMPLE_CHOICES:
        raise ModelError("chart", "resample", resample, f"one of {list(RESAMPLE_CHOICES)}")
    if resample != "auto":
        return resample
    hours_per_period = {"hour": 1, "day": 24, "month": 24 * 31, "year": 24 * 366}
    return next((p for p, hours in hours_per_period.items() if points / hours <= MAX_POINTS_PER_SERIES), "year")


def _resampled(rows: pl.DataFrame, series: str, period: str, combine: pl.Expr, complete_only: bool) -> pl.DataFrame:
    """`combine` per series and period (labelled by its first hour). With `complete_only`, periods cut by the
    first or last hour of the results are left out (a sum over a few hours would look like a sudden drop),
    unless no period is complete."""
    every = PERIODS[period]
    combined = rows.group_by(series, pl.col("hour").dt.truncate(every)).agg(combine).sort(series, "hour")
    if complete_only and period != "hour":
        inside = ((pl.col("hour") >= rows["hour"].min())
                  & (pl.col("hour").dt.offset_by(every) - pl.duration(hours=1) <= rows["hour"].max()))
        complete = combined.filter(inside)
        return complete if not complete.is_empty() else combined
    return combined


def _inline(frame: pl.DataFrame) -> dict:
    """The rows inline in the spec, hours as UTC ISO strings. A plain {"values": rows}: altair checks neither
    its size (our resampling keeps the points few, an explicit hourly request is meant) nor each row (slow)."""
    frame = frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
                               for c, dtype in frame.schema.items() if dtype.is_temporal())
    return {"values": frame.to_dicts()}
