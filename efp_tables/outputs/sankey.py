"""Who causes what, as a Sankey diagram: the attribution atoms (attribution.parquet) folded as efootprint's
`node_totals_and_links` folds them, drawn with altair.

Each atom climbs a chain of nodes, from its source to the country of its usage pattern: source, job, component
need, server need, device need, edge function, step, journey, usage pattern, country (nodes it has no object for
are skipped: a device's atoms have no job, web atoms no edge cells). Visible levels are a subset of these; an atom
adds its kg to every visible node of its chain and to the link between each two consecutive visible nodes, so
that at every node what comes in equals what goes out. Excluding a class of sources drops their atoms (totals
shrink by exactly their footprint, nothing is rescaled).

altair has no Sankey mark, but one is few marks: nodes are bars (`mark_rect`), links are bands between two
columns (`mark_area` over points along a smooth step). We lay the diagram out ourselves (columns, node and band
positions), so the chart stays a plain Vega-Lite spec: HTML and PNG offline through vl-convert, as every other
chart here, with no extra dependency.

As in efootprint's Sankey, the nodes of a column that each carry less than 1 % of the total (two or more of
them) are drawn as one "Other (n)" node, so that the long tail does not hide the diagram; 0 shows every node."""
from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from efp_tables.errors import ModelError
from efp_tables.tables.schema import EDGE_DEVICE_CLASSES, EXTERNAL_API_SERVER_CLASSES, SERVER_CLASSES

# The chain's levels, coarse to fine (left to right in the diagram): level -> atom column.
LEVELS = {"country": "country_id", "usage_pattern": "usage_pattern_id", "journey": "journey_id",
          "step": "step_id", "edge_function": "ef_id", "device_need": "redn_id", "server_need": "rsn_id",
          "component_need": "recn_id", "job": "job_id", "source": "source_id"}
# The diagram's column of each level: web and edge levels that no atom has both of share one, as in efootprint's
# Sankey (a step or an edge function; a device need or a server need; a job or a component need).
_COLUMN = {"country": 0, "usage_pattern": 1, "journey": 2, "step": 3, "edge_function": 3, "device_need": 4,
           "server_need": 4, "component_need": 5, "job": 5, "source": 6}
PHASES = {"manufacturing": "Manufacturing", "use": "Use"}
# Source classes that --exclude takes; ServerBase is every server class (as efootprint's isinstance).
_API_SERVER_CLASSES = tuple(EXTERNAL_API_SERVER_CLASSES.values())
SOURCE_CLASSES = {**{c: (c,) for c in (*SERVER_CLASSES, "Storage", "Network", "Device", *EDGE_DEVICE_CLASSES,
                                       *_API_SERVER_CLASSES)},
                  "ServerBase": SERVER_CLASSES, "EdgeDevice": EDGE_DEVICE_CLASSES,
                  "ExternalAPIServer": _API_SERVER_CLASSES}
_COLUMN_WIDTH, _NODE_WIDTH, _HEIGHT, _GAP = 170.0, 14.0, 480.0, 8.0
_BAND_POINTS = 24
SMALL_NODE_PERCENT = 1.0  # efootprint's default aggregation threshold


def atom_totals(atoms: pl.DataFrame, objects: pl.DataFrame) -> pl.DataFrame:
    """Period kg per atom (rows of attribution.parquet summed over hours), with the country of its usage pattern
    (`country_id`, from objects.parquet)."""
    keys = [c for c in atoms.columns if c not in ("hour", "value_kg")]
    totals = (atoms.lazy().with_columns(pl.col(keys).cast(pl.String)).group_by(keys)
              .agg(pl.col("value_kg").sum().alias("kg")))
    patterns = pl.col("object_table").is_in(["usage_patterns", "edge_usage_patterns"])
    countries = objects.lazy().filter(patterns).select(
        pl.col("system_id").cast(pl.String), pl.col("object_id").alias("usage_pattern_id"), "country_id")
    return totals.join(countries, on=["system_id", "usage_pattern_id"], how="left").collect()


def selected(totals: pl.DataFrame, phases: list[str] | None = None, exclude: list[str] | None = None,
             system_id: str | None = None) -> pl.DataFrame:
    """The atoms of the given phases (default both), without the excluded source classes, of one system."""
    phases = list(phases or PHASES)
    unknown = [p for p in phases if p.lower() not in PHASES]
    if unknown:
        raise ModelError("sankey", "--phase", unknown, f"phases among {', '.join(PHASES)}")
    unknown = [c for c in exclude or () if c not in SOURCE_CLASSES]
    if unknown:
        raise ModelError("sankey", "--exclude", unknown,
                         f"classes of impact sources among {', '.join(SOURCE_CLASSES)}")
    excluded = [c for name in exclude or () for c in SOURCE_CLASSES[name]]
    systems = totals["system_id"].unique().sort().to_list()
    if system_id is None and len(systems) > 1:
        raise ModelError("sankey", "system", systems, "one system (the results hold several: name one)")
    if system_id is not None and system_id not in systems:
        raise ModelError("sankey", "system", system_id, f"a system of the results: {', '.join(systems)}")
    return totals.filter(pl.col("phase").is_in([PHASES[p.lower()] for p in phases])
                         & ~pl.col("source_class").is_in(excluded)
                         & (pl.col("system_id") == (system_id or systems[0])))


def fold(atoms: pl.DataFrame, levels: list[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(nodes, links) of the atoms (atom_totals rows, already selected) over the visible `levels` (default all,
    in LEVELS order whatever the order given): nodes (level, id, kg) and links (from_level, from_id, to_level,
    to_id, kg), each link from a coarser node to the next finer visible node of the atoms' chains."""
    levels = _levels(levels)
    nodes = pl.concat([atoms.filter(pl.col(LEVELS[level]).is_not_null()).group_by(LEVELS[level]).agg(
        pl.col("kg").sum()).select(pl.lit(level).alias("level"), pl.col(LEVELS[level]).alias("id"), "kg")
        for level in levels]).sort("level", "id")
    links = []
    for at, level in enumerate(levels[:-1]):
        finer = levels[at + 1:]
        # the next visible node down the chain: the first finer level the atom has
        next_level = pl.coalesce([pl.when(pl.col(LEVELS[f]).is_not_null()).then(pl.lit(f)) for f in finer])
        next_id = pl.coalesce([pl.col(LEVELS[f]) for f in finer])
        links.append(atoms.filter(pl.col(LEVELS[level]).is_not_null() & next_id.is_not_null())
                     .group_by(pl.col(LEVELS[level]).alias("from_id"), next_level.alias("to_level"),
                               next_id.alias("to_id"))
                     .agg(pl.col("kg").sum()).select(pl.lit(level).alias("from_level"), "from_id", "to_level",
                                                     "to_id", "kg"))
    empty = pl.DataFrame(schema={"from_level": pl.String, "from_id": pl.String, "to_level": pl.String,
                                 "to_id": pl.String, "kg": pl.Float64})
    return nodes, pl.concat([empty, *links]).sort("from_level", "from_id", "to_level", "to_id")


def grouped_small_nodes(nodes: pl.DataFrame, links: pl.DataFrame, column_of: dict[str, int], total_kg: float,
                        percent: float) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """(nodes, links, names of the new nodes): in each diagram column, the nodes under `percent` of `total_kg`
    become one node "Other (n)" when there are two or more of them (efootprint's aggregation); links between
    grouped nodes add up, and a link inside one group disappears."""
    if percent <= 0 or total_kg <= 0:
        return nodes, links, {}
    small = (nodes.with_columns(pl.col("level").replace_strict(column_of).alias("_column"))
             .filter(pl.col("kg") < total_kg * percent / 100)
             .filter(pl.len().over("_column") >= 2))
    if small.is_empty():
        return nodes, links, {}
    # a group takes the coarsest level of its column, so it is placed there
    groups = small.with_columns(pl.col("level").sort_by(pl.col("level").replace_strict(list(LEVELS), range(len(LEVELS))))
                                .first().over("_column").alias("_to_level"),
                                pl.format("other-{}", pl.col("_column")).alias("_to_id"),
                                pl.len().over("_column").alias("_n"))
    names = {row["_to_id"]: f"Other ({row['_n']})" for row in groups.unique("_to_id").iter_rows(named=True)}
    moved = groups.select("level", "id", "_to_level", "_to_id")

    def moving(frame: pl.DataFrame, level: str, id_: str) -> pl.DataFrame:
        renamed = moved.rename({"level": level, "id": id_})
        return (frame.join(renamed, on=[level, id_], how="left")
                .with_columns(pl.coalesce("_to_level", level).alias(level), pl.coalesce("_to_id", id_).alias(id_))
                .drop("_to_level", "_to_id"))

    nodes = moving(nodes, "level", "id").group_by("level", "id", maintain_order=True).agg(pl.col("kg").sum())
    links = (moving(moving(links, "from_level", "from_id"), "to_level", "to_id")
             .filter((pl.col("from_level") != pl.col("to_level")) | (pl.col("from_id") != pl.col("to_id")))
             .group_by("from_level", "from_id", "to_level", "to_id", maintain_order=True).agg(pl.col("kg").sum()))
    return nodes.sort("level", "id"), links.sort("from_level", "from_id", "to_level", "to_id"), names


def _levels(levels: list[str] | None) -> list[str]:
    if not levels:
        return list(LEVELS)
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise ModelError("sankey", "--levels", unknown, f"levels among {', '.join(LEVELS)}")
    return [level for level in LEVELS if level in levels]


def sankey_chart(atoms: pl.DataFrame, names: dict[str, str], levels: list[str] | None = None,
                 title: str = "Who causes what", small_node_percent: float = SMALL_NODE_PERCENT) -> alt.LayerChart:
    """The Sankey diagram of the selected atoms over `levels`, objects shown by `names` ({id: name}); the nodes
    under `small_node_percent` of the total grouped per column (see grouped_small_nodes)."""
    levels = _levels(levels)
    nodes, links = fold(atoms, levels)
    if nodes.is_empty() or nodes["kg"].sum() <= 0:
        raise ModelError("sankey", "atoms", "no footprint", "atoms with a footprint (check --phase and --exclude)")
    levels = [level for level in levels if level in set(nodes["level"])]  # an edge level of a web model: none
    columns = sorted({_COLUMN[level] for level in levels})
    column_of = {level: columns.index(_COLUMN[level]) for level in levels}
    nodes, links, others = grouped_small_nodes(nodes, links, column_of, atoms["kg"].sum(), small_node_percent)
    names = {**names, **others}
    placed = _place_nodes(nodes, column_of)
    bands = _bands(placed, links)
    where = {(r["level"], r["id"]): r for r in placed.iter_rows(named=True)}
    node_rows = [{**r, "name": names.get(r["id"], r["id"]), "x2": r["x"] + _NODE_WIDTH,
                  "label_x": r["x"] + _NODE_WIDTH + 4, "label_y": (r["y"] + r["y2"]) / 2}
                 for r in where.values()]
    frame = pl.DataFrame(node_rows)
    scale_x = alt.Scale(domain=[0, _COLUMN_WIDTH * (len(columns) - 1) + _NODE_WIDTH + 120], nice=False)
    scale_y = alt.Scale(domain=[_HEIGHT, -24], nice=False)  # y grows downwards; column headers above 0

    def x(field: str) -> alt.X:
        return alt.X(field, scale=scale_x, axis=None)

    def y(field: str) -> alt.Y:
        return alt.Y(field, scale=scale_y, axis=None)
    tooltip = [alt.Tooltip("name:N", title="object"), alt.Tooltip("level:N"), alt.Tooltip("kg:Q", format=",.1f")]
    bars = alt.Chart(frame).mark_rect().encode(
        x=x("x:Q"), x2="x2:Q", y=y("y:Q"), y2="y2:Q", color=alt.Color("level:N", sort=levels, title="Level"),
        tooltip=tooltip)
    labels = alt.Chart(frame).mark_text(align="left", baseline="middle", fontSize=10).encode(
        x=x("label_x:Q"), y=y("label_y:Q"), text="name:N")
    ribbons = alt.Chart(bands).mark_area(opacity=0.35, interpolate="linear").encode(
        x=x("x:Q"), y=y("y:Q"), y2="y2:Q", detail="band:N",
        color=alt.Color("source_level:N", sort=levels, legend=None),
        tooltip=[alt.Tooltip("link:N"), alt.Tooltip("kg:Q", format=",.1f")])
    header = pl.DataFrame({"x": [at * _COLUMN_WIDTH for at in range(len(columns))], "y": [-12.0] * len(columns),
                           "text": [" / ".join(level.replace("_", " ") for level in levels if column_of[level] == at)
                                    for at in range(len(columns))]})
    headers = alt.Chart(header).mark_text(align="left", fontWeight="bold").encode(
        x=x("x:Q"), y=y("y:Q"), text="text:N")
    total = nodes.filter(pl.col("level") == levels[0])["kg"].sum()
    return (alt.layer(ribbons, bars, labels, headers)
            .properties(width=_COLUMN_WIDTH * len(columns) + 60, height=_HEIGHT + 30,
                        title=f"{title}: {total / 1000:,.2f} t CO2e")
            .configure_view(strokeWidth=0))


def _place_nodes(nodes: pl.DataFrame, column_of: dict[str, int]) -> pl.DataFrame:
    """Each node's x and its vertical extent (y, y2): nodes of a column stacked biggest first, heights in
    proportion to kg on one scale for all columns."""
    tallest = nodes.group_by("level").agg(pl.col("kg").sum(), pl.len())
    gaps = float(tallest["len"].max() - 1) * _GAP
    per_kg = (_HEIGHT - gaps) / float(tallest["kg"].max())
    placed = (nodes.with_columns(pl.col("level").replace_strict(column_of).alias("column"),
                                 (pl.col("kg").clip(0.0) * per_kg).alias("height"))
              .sort(["column", "kg"], descending=[False, True])
              .with_columns((pl.col("height") + _GAP).cum_sum().over("column").alias("_end")))
    return placed.with_columns((pl.col("_end") - pl.col("height") - _GAP).alias("y"),
                               (pl.col("_end") - _GAP).alias("y2"),
                               (pl.col("column") * _COLUMN_WIDTH).alias("x")).drop("_end")


def _bands(placed: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Points of every link's band: out of its coarse node (bands stacked in the order of their fine nodes) into
    its fine node (stacked in the order of their coarse nodes), along a smooth step."""
    position = placed.select("level", "id", "x", "y", "height", "kg")
    with_ends = (links.join(position.rename({c: f"from_{c}" for c in ("x", "y", "height", "kg")}),
                            left_on=["from_level", "from_id"], right_on=["level", "id"])
                 .join(position.rename({c: f"to_{c}" for c in ("x", "y", "height", "kg")}),
                       left_on=["to_level", "to_id"], right_on=["level", "id"])
                 .with_columns(thickness=pl.col("kg").clip(0.0) * pl.col("from_height")
                               / pl.when(pl.col("from_kg") > 0).then("from_kg").otherwise(1.0)))
    with_ends = (with_ends.sort("from_level", "from_id", "to_x", "to_y")
                 .with_columns(out_top=pl.col("from_y") + pl.col("thickness").cum_sum().over("from_level", "from_id")
                               - pl.col("thickness"))
                 .sort("to_level", "to_id", "from_x", "from_y")
                 .with_columns(in_top=pl.col("to_y") + pl.col("thickness").cum_sum().over("to_level", "to_id")
                               - pl.col("thickness")))
    steps = np.linspace(0.0, 1.0, _BAND_POINTS)
    ease = steps * steps * (3 - 2 * steps)
    rows = with_ends.with_row_index("band")
    start = (rows["from_x"] + _NODE_WIDTH).to_numpy()[:, None]
    stop = rows["to_x"].to_numpy()[:, None]
    x = start + (stop - start) * steps
    top = rows["out_top"].to_numpy()[:, None] + (rows["in_top"] - rows["out_top"]).to_numpy()[:, None] * ease
    thickness = rows["thickness"].to_numpy()[:, None]
    repeat = np.repeat(np.arange(rows.height), _BAND_POINTS)
    return pl.DataFrame({
        "band": rows["band"].to_numpy()[repeat], "x": x.ravel(), "y": top.ravel(),
        "y2": (top + thickness).ravel(), "kg": rows["kg"].to_numpy()[repeat],
        "source_level": rows["from_level"].to_numpy()[repeat],
        "link": (rows["from_id"] + " → " + rows["to_id"]).to_numpy()[repeat]})


def results_sankey(results, phases: list[str] | None = None, exclude: list[str] | None = None,
                   levels: list[str] | None = None, system_id: str | None = None,
                   small_node_percent: float = SMALL_NODE_PERCENT) -> alt.LayerChart:
    """The Sankey diagram of computed results (a compute.Results)."""
    from efp_tables.io.attribution_table import atom_rows, objects_frame
    objects = objects_frame(results)
    atoms = selected(atom_totals(atom_rows(results.hourly("attribution")), objects), phases, exclude, system_id)
    return sankey_chart(atoms, dict(zip(objects["object_id"], objects["object_name"])), levels,
                        _title(phases, exclude), small_node_percent)


def _title(phases: list[str] | None, exclude: list[str] | None) -> str:
    title = "Who causes what" + (f", {' and '.join(p.lower() for p in phases)}" if phases else "")
    return title + (f", without {', '.join(exclude)}" if exclude else "")


def folder_sankey(atoms: pl.DataFrame, objects: pl.DataFrame, phases: list[str] | None = None,
                  exclude: list[str] | None = None, levels: list[str] | None = None,
                  system_id: str | None = None, small_node_percent: float = SMALL_NODE_PERCENT) -> alt.LayerChart:
    """The Sankey diagram of what efp compute wrote (attribution.parquet and objects.parquet)."""
    chosen = selected(atom_totals(atoms, objects), phases, exclude, system_id)
    return sankey_chart(chosen, dict(zip(objects["object_id"], objects["object_name"])), levels,
                        _title(phases, exclude), small_node_percent)
