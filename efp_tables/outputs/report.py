"""One self-contained HTML page per computed model: totals, charts, the biggest contributors and where the top
numbers come from. Everything is inline (the Vega bundle that vl-convert ships, the SVG object graph), so the
page opens offline and can be mailed as one file."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert
from altair.utils._importers import vl_version_for_vl_convert

from efp_tables.io.atomic import atomic_path
from efp_tables.io.results_table import long_results
from efp_tables.outputs import charts
from efp_tables.outputs.explain import explain
from efp_tables.outputs.graphs import object_graph_svg
from efp_tables.stages.system import PHASES

_ATTRIBUTE_OF_PHASE = {phase: attribute for attribute, phase in PHASES.items()}

# The top contributors listed, and explained when they are among the first EXPLAINED.
TOP = 10
EXPLAINED = 3
# Depth of the explanation trees shown: the number, what it is made of, and one level further.
EXPLAIN_DEPTH = 2
_LINEAGE_COLUMNS = ("node", "parent", "formula", "symbols", "summary", "source")
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
td, th { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
table.lineage td { max-width: 22rem; overflow-wrap: anywhere; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.total { font-size: 2rem; font-weight: 600; } .muted { color: #666; }
.chart { margin: 1rem 0 2rem; } .graph { overflow-x: auto; }
"""


def vega_bundle() -> str:
    """The JavaScript that draws the charts (vl-convert's Vega bundle, about 0.9 MB). Bundling it takes 3-4 s,
    so it is kept in the user's cache folder, one file per vl-convert and Vega-Lite version."""
    vl_version = vl_version_for_vl_convert()
    cache = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "efp_tables"
             / f"vega-bundle-{vl_convert.__version__}-{vl_version}.js")
    try:
        return cache.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    try:
        with atomic_path(cache) as temporary:
            temporary.write_text(bundle, encoding="utf-8")
    except OSError:  # no cache folder to write: bundled again next time
        pass
    return bundle


def contributors(long: pl.DataFrame) -> pl.DataFrame:
    """Every (system, category, object, phase) footprint summed over the period, biggest first, with its share
    of its system's total."""
    by_object = charts.footprints(long)
    totals = (by_object.group_by("system_id", "category", "object_id", "object_name", "phase")
              .agg((pl.col("value").sum() / 1000).alias("tonnes")))
    return (totals.with_columns(share=pl.col("tonnes") / pl.col("tonnes").sum().over("system_id"))
            .sort("tonnes", "object_id", "phase", descending=[True, False, False]))


def _table(frame: pl.DataFrame, numbers: dict[str, str] | None = None, css: str = "") -> str:
    numbers = numbers or {}
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for column, value in row.items():
            if column in numbers:
                cells.append(f'<td class="number">{format(value, numbers[column])}</td>')
            else:
                cells.append(f"<td>{escape('' if value is None else str(value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table{f' class={css!r}' if css else ''}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _charts(long: pl.DataFrame, system_ids: list[str], results) -> list[tuple[str, alt.TopLevelMixin]]:
    from efp_tables.outputs.sankey import results_sankey
    shown = [("Footprint by category and object", charts.footprint_from_long(long)),
             ("Cumulative footprint by category", charts.cumulative(long, by="category"))]
    for system_id in system_ids:
        shown.append((f"Total footprint over time ({system_id})", charts.hourly(long, system_id, "total_footprint")))
    for system_id in system_ids:
        shown.append((f"Who causes what: usage patterns, journeys, steps and jobs to the footprint of each source "
                      f"({system_id})", results_sankey(results, system_id=system_id)))
    return shown


def report_html(model, results, title: str | None = None) -> str:
    """The report of a computed model (`results = compute(model)`), as one HTML page. A portfolio's shows its
    total and each system's, and keeps the systems' objects apart."""
    long = long_results(results, attributes=(*PHASES, "total_footprint"))  # all the report shows
    system_ids = sorted(results.model.system_ids)
    portfolio = len(system_ids) > 1
    totals = results.total_footprint_kg()
    ranked = contributors(long)
    by_category = (ranked.group_by("system_id", "category", "phase").agg(pl.col("tonnes").sum())
                   .sort("system_id", "category", "phase"))
    hours = long.filter(pl.col("kind") == "hourly")["hour"]
    period = f"{hours.min():%Y-%m-%d %H:%M} to {hours.max():%Y-%m-%d %H:%M} UTC" if hours.len() else "no hours"
    names = dict(results.model.table("systems").select("system_id", "name").iter_rows())
    title = title or ("Portfolio of " + ", ".join(names[i] for i in system_ids) if portfolio
                      else f"{names[system_ids[0]]}: footprint report")

    def shown(frame: pl.DataFrame) -> pl.DataFrame:  # one system: no system column
        return frame if portfolio else frame.drop("system_id")

    sections = [f"<h1>{escape(title)}</h1>",
                f'<p class="muted">efp_tables report, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; hourly '
                f"results from {escape(period)}.</p>"]
    if portfolio:
        total = sum(totals.values())
        systems = pl.DataFrame({"system_id": system_ids, "system": [names[i] for i in system_ids],
                                "t CO2e": [totals[i] / 1000 for i in system_ids],
                                "% of total": [100 * totals[i] / total if total else 0.0 for i in system_ids]})
        sections += [f'<p><span class="total">{total / 1000:,.1f} t CO2e</span> total footprint of the portfolio '
                     f"of {len(system_ids)} systems over the period</p>",
                     _table(systems, {"t CO2e": ",.1f", "% of total": ".1f"})]
    else:
        sections.append(f'<p><span class="total">{totals[system_ids[0]] / 1000:,.1f} t CO2e</span> total '
                        f"footprint of {escape(names[system_ids[0]])} over the period</p>")
    sections += ["<h2>By category and phase</h2>",
                 _table(shown(by_category.rename({"tonnes": "t CO2e"})), {"t CO2e": ",.1f"})]

    specs = []
    sections.append("<h2>Charts</h2>")
    for number, (caption, chart) in enumerate(_charts(long, system_ids, results)):
        specs.append((f"chart-{number}", chart.to_dict()))
        sections.append(f'<h3>{escape(caption)}</h3><div class="chart" id="chart-{number}"></div>')

    share = "% of its system" if portfolio else "% of total"
    top = ranked.head(TOP).select("system_id", "category", "object_name", "object_id", "phase",
                                  pl.col("tonnes").alias("t CO2e"), (pl.col("share") * 100).alias(share))
    sections += ["<h2>Biggest contributors</h2>", _table(shown(top), {"t CO2e": ",.1f", share: ".1f"})]

    sections.append("<h2>Where the top numbers come from</h2>")
    explained = [(system_id, system_id, "total_footprint") for system_id in system_ids]
    for row in ranked.head(EXPLAINED).iter_rows(named=True):
        # One model's long table has no system_id (its rows read "System"): the system is its only one.
        system_id = row["system_id"] if portfolio else system_ids[0]
        explained.append((system_id, row["object_id"], _ATTRIBUTE_OF_PHASE[row["phase"]]))
    for system_id, object_id, attribute in explained:
        lineage = explain(results.model, results, object_id, attribute, max_depth=EXPLAIN_DEPTH,
                          system_id=system_id)
        sections += [f"<h3>{escape(object_id)}.{escape(attribute)}</h3>",
                     _table(lineage.select(_LINEAGE_COLUMNS), css="lineage")]

    sections += ["<h2>Objects</h2>", f'<div class="graph">{object_graph_svg(results.model)}</div>']

    embeds = "\n".join(f"vegaEmbed({json.dumps('#' + div)}, {json.dumps(spec)}, {{renderer: 'svg', actions: false}})"
                       f".catch(console.error);" for div, spec in specs)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style>\n<script>{vega_bundle()}</script></head>\n"
            f"<body>\n{''.join(sections)}\n<script>\n{embeds}\n</script>\n</body></html>\n")
