"""Self-contained HTML graphs (inline SVG, no script, no network): the calculus graph of one attribute (from its
lineage, see outputs/explain.py) and the object relationship graph of a model's systems.

Both use one layered layout: nodes in columns by layer, left to right, each column ordered by where the nodes'
parents sit (the barycenter heuristic), which keeps most edges short and uncrossed."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

import polars as pl

from efp_tables.engine import ENGINE

_BOX_WIDTH, _BOX_HEIGHT = 300, 40
_COLUMN_GAP, _ROW_GAP, _MARGIN = 90, 14, 20
_LABEL_CHARACTERS = 44
_STYLE = """
body { font-family: sans-serif; margin: 16px; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; border: 1px solid; border-radius: 4px; }
svg text { pointer-events: none; }
"""


@dataclass(frozen=True)
class _Node:
    id: str
    layer: int
    title: str
    detail: str
    tooltip: str
    kind: str  # css class, also the legend entry


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARACTERS else text[:_LABEL_CHARACTERS - 1] + "…"


def _layout(nodes: list[_Node], edges: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Top-left corner of every node's box."""
    parents: dict[str, list[str]] = {}
    for parent, child in edges:
        parents.setdefault(child, []).append(parent)
    row: dict[str, float] = {}
    positions = {}
    for layer in sorted({node.layer for node in nodes}):
        column = [node for node in nodes if node.layer == layer]
        placed = {node.id: [row[p] for p in parents.get(node.id, []) if p in row] for node in column}
        everywhere = [position for positions_of_one in placed.values() for position in positions_of_one]
        # A node without placed parents sits at its column's mean
        default = sum(everywhere) / len(everywhere) if everywhere else 0.0
        barycenter = {key: sum(found) / len(found) if found else default for key, found in placed.items()}
        # sorted() is stable: ties keep the input order
        for index, node in enumerate(sorted(column, key=lambda node: barycenter[node.id])):
            row[node.id] = index
            positions[node.id] = (_MARGIN + layer * (_BOX_WIDTH + _COLUMN_GAP),
                                  _MARGIN + index * (_BOX_HEIGHT + _ROW_GAP))
    return positions


def _svg(nodes: list[_Node], edges: list[tuple[str, str]], colours: dict[str, tuple[str, str]]) -> str:
    positions = _layout(nodes, edges)
    width = max(x for x, _ in positions.values()) + _BOX_WIDTH + _MARGIN
    height = max(y for _, y in positions.values()) + _BOX_HEIGHT + _MARGIN
    header = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
              f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
              f'font-size="11">')
    parts = [header]
    for parent, child in edges:
        (x1, y1), (x2, y2) = positions[parent], positions[child]
        x1, y1, y2 = x1 + _BOX_WIDTH, y1 + _BOX_HEIGHT / 2, y2 + _BOX_HEIGHT / 2
        bend = max(40.0, abs(x2 - x1) / 2)
        parts.append(f'<path class="edge" fill="none" stroke="#8c8c8c" opacity="0.8" '
                     f'data-parent="{escape(parent)}" data-child="{escape(child)}" '
                     f'd="M {x1:.0f} {y1:.0f} C {x1 + bend:.0f} {y1:.0f}, {x2 - bend:.0f} {y2:.0f}, '
                     f'{x2:.0f} {y2:.0f}"/>')
    for node in nodes:
        x, y = positions[node.id]
        fill, stroke = colours[node.kind]
        parts.append(
            f'<g class="node {node.kind}" data-node="{escape(node.id)}"><title>{escape(node.tooltip)}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_BOX_WIDTH}" height="{_BOX_HEIGHT}" rx="5" fill="{fill}" '
            f'stroke="{stroke}"/>'
            f'<text font-weight="bold" x="{x + 8:.0f}" y="{y + 16:.0f}">{escape(_short(node.title))}</text>'
            f'<text x="{x + 8:.0f}" y="{y + 31:.0f}">{escape(_short(node.detail))}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


def _page(title: str, note: str, svg: str, colours: dict[str, tuple[str, str]]) -> str:
    legend = "".join(f'<span style="background:{fill};border-color:{stroke}">{escape(kind)}</span>'
                     for kind, (fill, stroke) in colours.items())
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head>\n<body><h1>{escape(title)}</h1><p>{escape(note)}</p>"
            f'<p class="legend">{legend}</p>\n{svg}\n</body></html>\n')


_CALCULUS_COLOURS = {"calculated": ("#d6e6f7", "#2f6da3"), "input": ("#fde7c8", "#c07a12")}


def calculus_graph_html(lineage: pl.DataFrame) -> str:
    """The calculus graph of a lineage (outputs.explain.explain): one box per node, in columns by depth, an
    edge from each node to what it depends on; values, formulas and sources in the tooltips."""
    first = lineage.sort("depth").unique("node", keep="first", maintain_order=True)
    nodes = []
    for row in first.iter_rows(named=True):
        value = row["summary"] if row["hours"] is None else f"sum {row['value']:,.6g} {row['unit']}"
        about = f"{row['formula']}\n{row['symbols']}\n" if row["kind"] == "calculated" else ""
        nodes.append(_Node(row["node"], row["depth"], row["attribute"], f"{row['object_id']} = {value}",
                           f"{row['node']} ({row['object_class']}, {row['kind']})\n{about}"
                           f"value: {row['summary']}\nsource: {row['source']}", row["kind"]))
    edges = list(lineage.filter(pl.col("parent").is_not_null()).select("parent", "node").iter_rows())
    root = first.row(0, named=True)
    svg = _svg(nodes, edges, _CALCULUS_COLOURS)
    return _page(f"Calculus graph of {root['node']}",
                 f"{len(nodes)} nodes; each box depends on the boxes its edges lead to (to the right, or back to a "
                 f"box already shown). Hover a box for its formula, value and source.", svg, _CALCULUS_COLOURS)


# Object tables in the columns of the object graph, with each one's id column and label.
_OBJECT_LAYERS = (("systems", "system_id", 0), ("usage_patterns", "usage_pattern_id", 1),
                  ("usage_journeys", "journey_id", 2), ("devices", "device_id", 2), ("networks", "network_id", 2),
                  ("countries", "country_id", 2), ("usage_journey_steps", "step_id", 3), ("jobs", "job_id", 4),
                  ("services", "service_id", 5), ("servers", "server_id", 6), ("storages", "storage_id", 7))
# (table holding the link, column of the parent, column of the child): parent uses child.
_OBJECT_LINKS = (("system_usage_patterns", "system_id", "usage_pattern_id"),
                 ("pattern_journeys", "usage_pattern_id", "journey_id"),
                 ("pattern_devices", "usage_pattern_id", "device_id"),
                 ("usage_patterns", "usage_pattern_id", "network_id"),
                 ("usage_patterns", "usage_pattern_id", "country_id"),
                 ("journey_steps", "journey_id", "step_id"), ("step_jobs", "step_id", "job_id"),
                 ("jobs", "job_id", "server_id"), ("jobs", "job_id", "service_id"),
                 ("services", "service_id", "server_id"), ("servers", "server_id", "storage_id"))
_OBJECT_COLOURS = {"System": ("#e8e8e8", "#555555"), "usage": ("#e3f1dc", "#4f8a3a"),
                   "context": ("#f3e6f7", "#8a4fa3"), "jobs": ("#d6e6f7", "#2f6da3"),
                   "infrastructure": ("#fde7c8", "#c07a12")}
_OBJECT_KIND = {"systems": "System", "usage_patterns": "usage", "usage_journeys": "usage",
                "usage_journey_steps": "usage", "devices": "context", "networks": "context", "countries": "context",
                "jobs": "jobs", "services": "infrastructure", "servers": "infrastructure",
                "storages": "infrastructure"}


def object_graph_svg(model, ignored_classes=frozenset()) -> str:
    """The object relationship graph of every system of `model` as an inline SVG: system, usage patterns,
    journeys, steps, jobs, services, servers, storage; the patterns' devices, network and country. Objects of
    `ignored_classes` (efootprint class names) are left out, with their edges."""
    from efp_tables.io.results_table import objects
    classes = {(row["system_id"], row["object_id"]): row["object_class"]
               for row in objects(model).collect(engine=ENGINE).iter_rows(named=True)}

    def key(system_id: str, table: str, object_id: str) -> str:
        return f"{system_id}/{table}/{object_id}"
    nodes = []
    for table, id_column, layer in _OBJECT_LAYERS:
        for row in model.table(table).iter_rows(named=True):
            object_id = row[id_column] if table != "systems" else row["system_id"]
            object_class = classes.get((row["system_id"], object_id), table)
            if object_class in ignored_classes:
                continue
            nodes.append(_Node(key(row["system_id"], table, object_id), layer, row["name"],
                               f"{object_class} {object_id}", f"{object_class} {object_id!r} (system "
                               f"{row['system_id']!r})", _OBJECT_KIND[table]))
    table_of = {column: table for table, column, _ in _OBJECT_LAYERS}
    edges = []
    for holder, parent, child in _OBJECT_LINKS:
        pairs = (model.table(holder).select(pl.col("system_id").alias("_system"), parent, child)
                 .drop_nulls().unique(maintain_order=True))
        edges += [(key(system, table_of[parent], one), key(system, table_of[child], other))
                  for system, one, other in pairs.iter_rows()]
    shown = {node.id for node in nodes}
    return _svg(nodes, [(a, b) for a, b in edges if a in shown and b in shown], _OBJECT_COLOURS)


def object_graph_html(model, ignored_classes=frozenset()) -> str:
    """`object_graph_svg` as a page of its own, with its legend."""
    svg = object_graph_svg(model, ignored_classes)
    return _page("Objects of " + ", ".join(model.system_ids),
                 f"{svg.count('<g class=\"node ')} objects; an edge goes from an object to an object it uses. "
                 f"Hover a box for its class and id.", svg, _OBJECT_COLOURS)
