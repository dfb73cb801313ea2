"""Altair charts of results, saved as HTML and PNG (vl-convert)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import altair as alt
import polars as pl


def footprint_by_category_and_object(footprint_by_object: pl.DataFrame, names: pl.DataFrame) -> alt.Chart:
    """The seeds' stacked bars: tonnes CO2e over the whole period per object, manufacturing vs use, by category.
    `footprint_by_object` is the stage of that name; `names` maps (system_id, object_id) to object_name."""
    totals = (footprint_by_object.group_by("system_id", "category", "object_id", "phase")
              .agg((pl.col("value").sum() / 1000).alias("tonnes"))
              .join(names, on=["system_id", "object_id"], how="left")
              .with_columns(pl.coalesce("object_name", "object_id").alias("object"))
              .sort("category", "object", "phase"))
    return (alt.Chart(totals.to_pandas() if _needs_pandas() else totals)
            .mark_bar()
            .encode(x=alt.X("object:N", title=None, sort=None),
                    y=alt.Y("sum(tonnes):Q", title="t CO2e over the period"),
                    color=alt.Color("phase:N", title="Phase"),
                    column=alt.Column("category:N", title=None, sort=["Servers", "Storage", "Network", "Devices"]),
                    tooltip=["category", "object", "phase", alt.Tooltip("tonnes:Q", format=",.1f")])
            .resolve_scale(x="independent")
            .properties(width=160, height=300, title="Footprint by category and object"))


def _needs_pandas() -> bool:
    return False  # altair >= 5.4 takes Polars frames through narwhals


def save_chart(chart: alt.Chart, path: str | Path) -> Path:
    """Save as HTML or PNG (by suffix) through a temporary file and a rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        chart.save(temporary, format=path.suffix.lstrip("."))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
