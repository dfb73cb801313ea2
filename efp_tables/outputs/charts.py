"""Altair charts of results, saved as HTML and PNG (vl-convert)."""
from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl

from efp_tables.io.atomic import atomic_path


CATEGORY_ORDER = ("Servers", "Storage", "Network", "Devices")


def footprint_by_category_and_object(footprint_by_object: pl.DataFrame, names: pl.DataFrame) -> alt.FacetChart:
    """The seeds' stacked bars: tonnes CO2e over the whole period per object, manufacturing vs use, one panel
    per category in efootprint's order. `footprint_by_object` is the stage of that name; `names` maps
    (system_id, object_id) to object_name."""
    totals = (footprint_by_object.group_by("system_id", "category", "object_id", "phase")
              .agg((pl.col("value").sum() / 1000).alias("tonnes"))
              .join(names, on=["system_id", "object_id"], how="left")
              .with_columns(pl.coalesce("object_name", "object_id").alias("object"))
              .sort("category", "object", "phase"))
    bars = (alt.Chart(totals).mark_bar()
            .encode(x=alt.X("object:N", title=None, sort=None),
                    y=alt.Y("tonnes:Q", title="t CO2e over the period", stack="zero"),
                    color=alt.Color("phase:N", title="Phase"),
                    tooltip=["category", "object", "phase", alt.Tooltip("tonnes:Q", format=",.1f")])
            .properties(width=160, height=300))
    return (bars.facet(column=alt.Column("category:N", title=None, sort=list(CATEGORY_ORDER)))
            .resolve_scale(x="independent")
            .properties(title="Footprint by category and object"))


def save_chart(chart: alt.Chart, path: str | Path) -> Path:
    """Save as HTML or PNG (by suffix), atomically: never a half-written file."""
    with atomic_path(path) as temporary:
        chart.save(temporary, format=Path(path).suffix.lstrip("."))
    return Path(path)
