"""Attribution: every impact source's footprint split, exactly once, into atoms (efootprint 27's attribution
layer). An atom is one hourly kg series at one cell: (source, stream, phase, usage pattern, journey, job, step,
and the edge cells: recurrent server need, edge function, recurrent edge component need, recurrent edge device
need).
Grouping atoms by any key and summing gives every attribution figure (per usage pattern, journey, step, job; a
Sankey's node totals; what is left when a class of sources is excluded).

The split rules, per source:
- servers: the provisioned stream (instances manufacturing, idle energy) and the dynamic stream (energy under
  load) go to the server's jobs by their share of the demand on the binding resource (compute or RAM, whichever
  drives the instance count that hour; a service job also carries its volume share of its service's base
  consumption). An on-premise server's provisioned stream is shared by flat weights instead, tier by tier of its
  instances (see `_tier_shares`). A job's part then goes to its cells (usage pattern, journey, step) by their
  share of its invocations in progress: hourly, or over the period for on-premise provisioned footprints.
- storage (manufacturing only): the retention stream (the instances' share holding job data) by each cell's
  own cumulative stored data; the baseline stream (unused and base capacity) by the cell's share of the
  storage's jobs' invocations over the period.
- network (use only): each cell's transferred data at its pattern's kg per MB.
- devices: the journeys inside each step, at the device's kg per busy hour.
- edge devices (a system's own: those its edge functions need directly): each component need's share of its
  component's demand in a pattern (compute, RAM or workload per hour, a storage need's cumulative held volume;
  equal shares in hours without demand). Manufacturing: (the component's + an equal per-component share of the
  chassis') x the share; components unused in a pattern are part of the chassis there, and that pool goes in
  equal parts to the pattern's carriers (its component needs, and the device's recurrent server needs there).
  Use: the idle and base power floor in equal parts to the component's needs, the rest by the share.
- external APIs (their servers): each cell's invocations in progress at its job's kg per invocation-hour (a
  request's embodied or usage impact over its duration), one stream.
- edge cells: a job called by a recurrent server need, and an edge device's need, split over the need's
  containment paths (journey, edge function, device need) by their share of its occurrences in the pattern.

Atoms are computed on the stages' blocks: key tables are joined, block rows gathered and multiplied, for every
atom of every system and variant at once."""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import polars as pl

from efp_tables.engine import ENGINE
from efp_tables.stages.edge import COMPONENT, COMPONENT_NEED, DEVICE, PATTERN
from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly, aligned, common_axis, row_tiles, stacked
from efp_tables.stages.jobs import JOB
from efp_tables.stages.servers import SERVER
from efp_tables.stages.storage import (STORAGE, baseline_footprint_into, dump_parameters, retention_per_terabyte,
                                      stored_with_dumps)
from efp_tables.stages.timeline import VALUE, join, keyed, kept, parameters
from efp_tables.tables.schema import EDGE_COMPONENT_KINDS

# An atom's key, as efootprint's attribution atoms (and shared/reference/*.attribution.parquet) spell it; a cell
# column the atom has no object for is null (web cells have no edge cells, devices no job).
WEB_CELL_COLUMNS = ["usage_pattern_id", "journey_id", "job_id", "step_id"]
EDGE_CELL_COLUMNS = ["rsn_id", "ef_id", "recn_id", "redn_id"]
CELL_COLUMNS = [*WEB_CELL_COLUMNS, *EDGE_CELL_COLUMNS]
JOB_CELL_COLUMNS = [*WEB_CELL_COLUMNS, "rsn_id", "ef_id"]  # the cells of a job's invocations
ATOM_KEYS = ["system_id", "source_id", "source_class", "stream", "phase", *CELL_COLUMNS]
MANUFACTURING, USE = "Manufacturing", "Use"
# An atom's value is an activity block times a weight of its key table (1 where the split is hourly): the period
# sums that sweeps take then need the activity's sums alone, and atoms that weigh one shared series (a storage's
# baseline, a pattern's transferred data) keep its block rows once instead of a copy per atom.
ACTIVITY, WEIGHT = "activity", "_weight"


def _parts(server_footprints: Hourly, server_instances: Hourly, server_hourly_needs: Hourly,
                server_job_hourly_needs: Hourly, service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame,
                job_hourly_avg_occurrences_per_coordinate: Hourly,
                job_hourly_avg_occurrences_across_usage_patterns: Hourly,
                job_hourly_data_stored_across_usage_patterns: Hourly, storage_footprints: Hourly,
                storage_jobs: pl.LazyFrame, storages: pl.LazyFrame,
                job_hourly_data_transferred_per_coordinate: Hourly, usage_pattern_network_intensity: pl.LazyFrame,
                step_hourly_avg_occurrences_per_usage_coordinate: Hourly,
                device_intensities_per_usage_pattern: pl.LazyFrame, edge_containment_paths: pl.LazyFrame,
                edge_component_need_hourly: Hourly, edge_component_hourly: Hourly,
                edge_component_parameters: pl.LazyFrame, edge_component_inputs: pl.LazyFrame,
                edge_deployments_in_parallel: Hourly, edge_device_units: pl.LazyFrame,
                edge_devices: pl.LazyFrame, edge_server_needs: pl.LazyFrame,
                system_edge_devices: pl.LazyFrame, edge_usage_patterns: pl.LazyFrame,
                countries: pl.LazyFrame, external_api_job_impacts: pl.LazyFrame,
                external_api_servers: pl.LazyFrame) -> list[Hourly]:
    """The atoms of every impact source (kg per hour, column VALUE: block ACTIVITY x key column WEIGHT), keyed by
    ATOM_KEYS (and the sweep dimensions). The atoms of a source and phase add up to its footprint in that phase,
    all atoms of a system to its total_footprint, hour by hour.

    Calculation (share_X: a part over its whole, 0 where the whole is 0; see the module docstring):
    server: provisioned = F_phase * w[J] * c[cell], dynamic = load_use * d[J] * h[cell], with d[J] the job's
    share of the binding demand, w[J] = d[J] (or the flat tier weight, on-premise), h the cell's hourly share of
    the job's invocations in progress, c = h (or its period share, on-premise);
    storage: retention = F_retention * cum[cell] / N, baseline = F_baseline * occ[cell] / occ[storage jobs]
    (period sums); network = data[cell] * kg_per_mb[up]; device = inside[up, j, s] * kg_per_busy_hour[d, up];
    external API server: occ[cell] * request_gwp_phase[J] / request_duration[J];
    edge cell of a server need: its (pattern, server need) coordinate x slot[path];
    edge device (see `_edge_device_atoms`): per component need and path, value[need, up] x slot[path]."""
    cells = _cells(_edge_slots(job_hourly_avg_occurrences_per_coordinate, edge_containment_paths),
                   job_hourly_avg_occurrences_across_usage_patterns)
    parts = [*_server_atoms(server_footprints, server_instances, server_hourly_needs, server_job_hourly_needs,
                            service_total_job_volumes, server_capacity, server_hardware, services, job_parameters,
                            cells),
             *_storage_atoms(storage_footprints, storage_jobs, storages, cells,
                             job_hourly_data_stored_across_usage_patterns),
             *_external_api_atoms(cells, external_api_job_impacts, external_api_servers),
             _network_atoms(_edge_slots(job_hourly_data_transferred_per_coordinate, edge_containment_paths),
                            usage_pattern_network_intensity),
             *_device_atoms(step_hourly_avg_occurrences_per_usage_coordinate, device_intensities_per_usage_pattern)]
    if edge_deployments_in_parallel.height:  # no edge deployment, no edge device atom: their queries are skipped
        parts += _edge_device_atoms(edge_containment_paths, edge_component_need_hourly, edge_component_hourly,
                                    edge_component_parameters, edge_component_inputs, edge_deployments_in_parallel,
                                    edge_device_units, edge_devices, edge_server_needs, system_edge_devices,
                                    edge_usage_patterns, countries)
    # a system without any cell (steps without jobs, patterns without devices) has no atom: one empty part
    return [part for part in parts if part.height] or parts[-1:]


def attribution(*inputs: Hourly | pl.LazyFrame) -> Hourly:
    """The atoms of every impact source (see `_parts`), one block."""
    return _stacked(_parts(*inputs)).keyed_by(ATOM_KEYS)


def attribution_totals(*inputs: Hourly | pl.LazyFrame) -> pl.DataFrame:
    """Every atom of `attribution` summed over the hours (column VALUE, kg), keyed as the atoms are, in their
    order: what a sweep groups. Their block is never made whole: each atom's hourly row is made in a reused tile
    of rows and summed there (the same row, so the same bits as the whole block's row sums)."""
    parts = _parts(*inputs)
    keys, start, width = _stacked_axis(parts)
    sums = np.empty(sum(part.blocks[ACTIVITY].shape[0] for part in parts))
    at = 0
    for part in parts:
        height = part.blocks[ACTIVITY].shape[0]
        sums[at:at + height] = _part_sums(part, start, width)
        at += height
    atoms = Hourly(keys, {}, start, parts[0].scaled).keyed_by(ATOM_KEYS)
    kg = sums[atoms.rows] * atoms.parameter(WEIGHT)[:, 0]  # as period_sums scales an activity's sums
    return atoms.keys.select(pl.exclude(FIRST, LAST, ROW, WEIGHT)).with_columns(pl.Series(VALUE, kg))


# The atoms' stages read what the atoms are made of.
attribution.__signature__ = attribution_totals.__signature__ = inspect.signature(_parts)


@dataclass(frozen=True)
class _Filled:
    """The block of a part of the atoms (rows x hours), made a few rows at a time: `tiles()` gives (rows, write)
    pairs, `write(out)` writing those rows (a slice or indices) into `out` (rows x hours). Made straight into the
    atoms' block (`_stacked`) or into a reused tile to be summed (`attribution_totals`), never apart and copied
    (the largest parts: storage, servers)."""
    shape: tuple[int, int]
    tiles: Callable[[], Iterator[tuple[slice | np.ndarray, Callable[[np.ndarray], None]]]]


def _tiles(part: Hourly) -> Iterator[tuple[slice | np.ndarray, Callable[[np.ndarray], None]]]:
    """The (rows, write) pairs of a part's block (see `_Filled`): its own, or an array's row tiles copied."""
    values = part.blocks[ACTIVITY]
    if isinstance(values, _Filled):
        return values.tiles()
    return ((tile, lambda out, tile=tile: np.copyto(out, values[tile])) for tile in row_tiles(*values.shape))


def _stacked_axis(parts: list[Hourly]) -> tuple[pl.DataFrame, int, int]:
    """The key table `stacked(parts)` makes (parts of block ACTIVITY), and the start and width of its hours."""
    heights = [part.blocks[ACTIVITY].shape[0] for part in parts]
    keys = stacked([replace(part, blocks={ACTIVITY: np.empty((height, 0))})
                    for part, height in zip(parts, heights)]).keys
    return keys, *(common_axis(parts) or (parts[0].start, 0))


def _stacked(parts: list[Hourly]) -> Hourly:
    """`stacked(parts)` (parts of block ACTIVITY), each block written once into the atoms' block: an array
    copied, a `_Filled` one made in place."""
    keys, start, width = _stacked_axis(parts)
    block = np.empty((sum(part.blocks[ACTIVITY].shape[0] for part in parts), width))
    at = 0
    for part in parts:
        rows = block[at:at + part.blocks[ACTIVITY].shape[0]]
        at += rows.shape[0]
        if not part.width:
            rows[:] = 0.0
            continue
        first = part.start - start
        rows[:, :first] = 0.0  # a part on a narrower axis: 0 outside it, as `aligned` pads it
        rows[:, first + part.width:] = 0.0
        own = rows[:, first:first + part.width]
        for tile, write in _tiles(part):
            if isinstance(tile, slice):
                write(own[tile])
            else:
                values = np.empty((len(tile), part.width))
                write(values)
                own[tile] = values
    return Hourly(keys, {ACTIVITY: block}, start, parts[0].scaled, parts[0].derived)


def _part_sums(part: Hourly, start: int, width: int) -> np.ndarray:
    """The row sums of a part's rows in the atoms' block (hours start..start+width, 0 outside the part's), each
    row made in a reused tile, as wide as the block's rows (a row's sum depends on its width, not on its tile)."""
    height = part.blocks[ACTIVITY].shape[0]
    sums = np.zeros(height)
    if not part.width:
        return sums
    first = part.start - start
    buffer = np.zeros((0, width))
    for tile, write in _tiles(part):
        count = len(range(height)[tile]) if isinstance(tile, slice) else len(tile)
        if buffer.shape[0] < count:
            buffer = np.zeros((count, width))  # 0 outside the part's hours, which writes never touch
        rows = buffer[:count]
        write(rows[:, first:first + part.width])
        sums[tile] = rows.sum(axis=1)
    return sums


def _edge_slots(per_coordinate: Hourly, containment_paths: pl.LazyFrame) -> Hourly:
    """A job's series per coordinate (web: journey and step; edge: journey null and the recurrent server need in
    `step_id`, see stages.edge) with each edge coordinate split over the server need's containment paths: the
    path's journey and edge function (`ef_id`), the server need as `rsn_id` (step null), the value times the
    path's share of the need's occurrences in the pattern. Web coordinates keep their row (edge cells null)."""
    slots = containment_paths.filter(pl.col("need_kind") == "server").select(
        *keyed(containment_paths, ["system_id", "usage_pattern_id"]), pl.col("need_id").alias("rsn_id"),
        pl.col("edge_journey_id").alias("_path_journey"), pl.col("edge_function_id").alias("ef_id"),
        pl.col("slot_share").alias("_slot"))
    edge = pl.col("journey_id").is_null()
    # One query: the cells named, matched with the paths and completed (the key table's span and row at its end).
    keys = join(per_coordinate.keys.lazy().with_columns(pl.when(edge).then(pl.col("step_id")).alias("rsn_id"),
                                                        pl.when(~edge).then(pl.col("step_id")).alias("step_id")),
                slots, ["system_id", "usage_pattern_id", "rsn_id"], how="left")
    names = [c for c in keys.collect_schema().names() if c not in (FIRST, LAST, ROW)]
    keys = keys.select(*names, FIRST, LAST, ROW).with_columns(
        pl.coalesce("journey_id", "_path_journey").alias("journey_id"), pl.col("_slot").fill_null(1.0))
    split = Hourly(keys.collect(engine=ENGINE), per_coordinate.blocks, per_coordinate.start)
    return split.holding(**{VALUE: split[VALUE] * split.parameter("_slot")}).keyed_by(
        [*JOB, "usage_pattern_id", "journey_id", "step_id", "rsn_id", "ef_id"])


def _beside(series: Hourly, other: Hourly, on: list[str], how: str = "inner", carry: tuple[str, ...] = (),
            **columns: str) -> Hourly:
    """`series` (its columns materialized) with `other`'s columns ({new: old}) and key columns `carry` next to
    them, row matched with row on `on` (and the sweep dimensions both have; one only `other` has repeats the
    series). Spans are united; a row without a match (how="left") gets 0."""
    series, other = aligned(series, other)
    # Scaled and derived columns made blocks first; plain blocks are gathered once, straight from their rows.
    left = series if not series.scaled and not series.derived else series.holding(
        **{c: series[c] for c in series.columns})
    right = other.only(**columns)
    keys, rows, at = _matched(left, right, on, how, carry)
    blocks = {c: left.blocks[c][rows] for c in left.blocks}
    for column in columns:
        source = right.blocks[column]
        block = source[np.maximum(at, 0)] if source.shape[0] else np.zeros((len(at), source.shape[1]))
        block[at < 0] = 0.0
        blocks[column] = block
    return Hourly.of(keys, blocks, series.start)


def _matched(left: Hourly, right: Hourly, on: list[str], how: str = "inner",
             carry: tuple[str, ...] = ()) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The rows of `left` matched with those of `right` (series on one hour axis) on `on` and the dimensions both
    have: their key table (left's key columns, then `carry`, spans united), and per row the block row of each side
    (-1 on the right where a left join found none)."""
    matches = right.keys.lazy().select(*keyed(right.keys, on), *carry, pl.col(ROW).alias("_other"),
                                       pl.col(FIRST).alias("_other_first"), pl.col(LAST).alias("_other_last"))
    # The match, the united spans and the column order in one query (left's key columns, then the matched ones,
    # then the span and row): this runs for every part of every source.
    plan = join(left.keys.lazy(), matches, on, how=how)
    names = [c for c in plan.collect_schema().names() if c not in (FIRST, LAST, ROW)]
    plan = plan.select(*names, pl.min_horizontal(FIRST, "_other_first").alias(FIRST),
                       pl.max_horizontal(LAST, "_other_last").alias(LAST), ROW)
    keys = (pl.DataFrame(schema=plan.collect_schema()) if left.height == 0 and how in ("inner", "left")
            else plan.collect(engine=ENGINE))
    rows, at = keys[ROW].to_numpy(), keys["_other"].to_numpy()
    if keys["_other"].null_count():
        at = np.where(np.isnan(at), -1, at).astype(np.int64)
    return (pl.DataFrame([keys.get_column(c) for c in keys.columns
                          if c not in ("_other", "_other_first", "_other_last")]), rows, at)


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, 0 where whole is 0 (efootprint's divide_or_fallback with fallback 0)."""
    out = np.zeros(np.broadcast_shapes(part.shape, whole.shape))
    return np.divide(part, whole, out=out, where=whole != 0)  # one pass, no temporary quotient of every hour


def _cells(per_coordinate: Hourly, across_patterns: Hourly) -> Hourly:
    """Every job's cells (pattern, journey, step) with their hourly share of the job's invocations in progress
    (`hourly_share`) and their share over the period (`flat_share`, a column of the key table; an equal share
    per cell for a job that never runs), and the cell's and job's invocations over the period (`cell_occurrences`,
    `job_occurrences`)."""
    cells = _beside(per_coordinate.only(occurrences=VALUE), across_patterns, JOB, job_total=VALUE)
    job = keyed(cells.keys, JOB)
    sums = pl.DataFrame([*(cells.keys.get_column(c) for c in job),
                         pl.Series("_cell_sum", cells["occurrences"].sum(axis=1)),
                         pl.Series("_job_sum", cells["job_total"].sum(axis=1))])
    flat = sums.select(pl.when(pl.col("_job_sum") > 0).then(pl.col("_cell_sum") / pl.col("_job_sum"))
                       .otherwise(1.0 / pl.len().over(job)).alias("flat_share"),
                       pl.col("_cell_sum").alias("cell_occurrences"), pl.col("_job_sum").alias("job_occurrences"))
    return Hourly(cells.keys.hstack(flat),
                  {"occurrences": cells.blocks["occurrences"],
                   "hourly_share": _ratio(cells.blocks["occurrences"], cells.blocks["job_total"])}, cells.start)


def _labelled(atoms: Hourly, source_id: str, source_class: str | pl.Expr, stream: str, phase: str,
              weight: str | None = None) -> Hourly:
    """Atoms with the atom key columns named as ATOM_KEYS (job and step null where `atoms` has none), valued
    block VALUE of `atoms` times their key column `weight` (1 if none)."""
    # Columns made directly, not by a query: this runs for every part of every source.
    keys, height = atoms.keys, atoms.keys.height
    id_type = keys.schema["usage_pattern_id"]
    labels = [*(pl.Series(c, [None] * height, dtype=id_type) for c in CELL_COLUMNS if c not in keys.columns),
              keys.get_column(source_id).alias("source_id"),
              (pl.Series("source_class", [source_class] * height, dtype=pl.String) if isinstance(source_class, str)
               else keys.get_column(source_class.meta.output_name()).alias("source_class")),
              pl.Series("stream", [stream] * height, dtype=pl.String),
              pl.Series("phase", [phase] * height, dtype=pl.String),
              (pl.Series(WEIGHT, np.ones(height)) if weight is None else keys.get_column(weight).alias(WEIGHT))]
    names = {label.name for label in labels}
    keys = pl.DataFrame([*(keys.get_column(c) for c in keys.columns if c not in names), *labels])
    return Hourly(keys, {ACTIVITY: atoms.blocks[VALUE]}, atoms.start,
                  scaled={VALUE: (ACTIVITY, WEIGHT)}).keyed_by(ATOM_KEYS)


def _server_atoms(server_footprints: Hourly, server_instances: Hourly, server_hourly_needs: Hourly,
                  server_job_hourly_needs: Hourly, service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                  server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame,
                  cells: Hourly) -> list[Hourly]:
    # The hour axes that matching them pair by pair would give (the jobs' shares on the servers' series'), the
    # blocks' rows then gathered a tile at a time.
    shares = _server_job_shares(*aligned(server_instances, server_hourly_needs, server_job_hourly_needs,
                                         service_total_job_volumes), server_capacity, server_hardware, services,
                                job_parameters)
    cells, shares, server_footprints = aligned(cells, shares, server_footprints)
    per_cell, cell_rows, job_rows = _matched(cells, shares, JOB, carry=("server_id", "on_premise", "server_class"))
    # matched with the footprints' key rows (their scaled columns are per key row)
    keys, weight_rows, footprint_rows = _matched(Hourly.of(per_cell, {}, cells.start),
                                                 Hourly.of(server_footprints.keys, {}, server_footprints.start), SERVER)
    cell_rows, job_rows = cell_rows[weight_rows], job_rows[weight_rows]
    activity_rows = server_footprints.rows[footprint_rows]
    flat = keys["on_premise"].to_numpy()[:, None]
    flat_share = keys["flat_share"].cast(pl.Float64).to_numpy()[:, None]
    hourly_share, width = cells.blocks["hourly_share"], cells.width
    streams = (("provisioned", MANUFACTURING, "instances_manufacturing_footprint"),
               ("provisioned", USE, "idle_use_footprint"), ("dynamic", USE, "load_use_footprint"))

    def atoms(stream: str, column: str) -> Callable[[], Iterator[tuple[slice, Callable[[np.ndarray], None]]]]:
        """Per cell and server: its weight (the job's share times the cell's) times the server's footprint, made
        a few rows at a time (the same products as on whole blocks: footprint = activity x intensity)."""
        activity, intensity = server_footprints.scaled[column]
        activity, intensity = server_footprints.blocks[activity], server_footprints.parameter(intensity)[footprint_rows]

        def write(tile: slice, out: np.ndarray) -> None:
            cell_share = hourly_share[cell_rows[tile]]
            weight = (shares.blocks["provisioned_share"][job_rows[tile]]
                      * np.where(flat[tile], flat_share[tile], cell_share) if stream == "provisioned"
                      else shares.blocks["dynamic_share"][job_rows[tile]] * cell_share)
            footprint = activity[activity_rows[tile]]
            footprint *= intensity[tile]
            np.multiply(weight, footprint, out=out)
        return lambda: ((tile, partial(write, tile)) for tile in row_tiles(keys.height, width))
    return [_labelled(Hourly.of(keys, {VALUE: _Filled((keys.height, width), atoms(stream, column))}, cells.start),
                      "server_id", pl.col("server_class"), stream, phase) for stream, phase, column in streams]


def _server_job_shares(server_instances: Hourly, server_hourly_needs: Hourly, server_job_hourly_needs: Hourly,
                       service_total_job_volumes: Hourly, server_capacity: pl.LazyFrame,
                       server_hardware: pl.LazyFrame, services: pl.LazyFrame, job_parameters: pl.LazyFrame) -> Hourly:
    """Per (server, job): `dynamic_share`, the job's hourly share of the demand on the server's binding resource,
    and `provisioned_share` (the same, or the flat tier weight of an on-premise server; key column `on_premise`).
    The hourly series are on one hour axis.

    Calculation: binding = compute where need_compute / available_compute >= need_ram / available_ram, else RAM;
    demand[J] = occ[J] * needed[J] / available (on the binding resource) + for a service job, the service's base
    consumption / available * nb * occ[J] / occ[service jobs]."""
    jobs = (server_job_hourly_needs.only("occurrences")
            .joined(parameters(job_parameters, JOB, "ram_needed", "compute_needed"), JOB)
            .joined(parameters(server_capacity, SERVER, "available_ram_per_instance",
                               "available_compute_per_instance"), SERVER)
            .joined(parameters(services, ["system_id", "service_id"],
                               pl.col("base_ram_consumption").alias("service_base_ram"),
                               pl.col("base_compute_consumption").alias("service_base_compute")),
                    ["system_id", "service_id"], how="left")
            .joined(parameters(server_hardware, SERVER, "server_type", "server_class"), SERVER))
    # The key tables matched first (each match unites the spans), then each block's rows gathered once per tile.
    keys, occurrence_rows, need_rows = _matched(jobs, server_hourly_needs, SERVER)
    keys, at, instance_rows = _matched(Hourly.of(keys, {}, jobs.start), server_instances, SERVER)
    occurrence_rows, need_rows = occurrence_rows[at], need_rows[at]
    keys, at, volume_rows = _matched(Hourly.of(keys, {}, jobs.start), service_total_job_volumes,
                                     [*SERVER, "service_id"], how="left")
    occurrence_rows, need_rows, instance_rows = occurrence_rows[at], need_rows[at], instance_rows[at]

    def parameter(column: str) -> np.ndarray:
        return keys[column].cast(pl.Float64).to_numpy()[:, None]
    ram, compute = parameter("available_ram_per_instance"), parameter("available_compute_per_instance")
    compute_per_invocation, ram_per_invocation = parameter("compute_needed") / compute, parameter("ram_needed") / ram
    compute_base = np.nan_to_num(parameter("service_base_compute")) / compute
    ram_base = np.nan_to_num(parameter("service_base_ram")) / ram
    volumes = service_total_job_volumes.blocks[VALUE]
    demand = np.empty((keys.height, jobs.width))
    for tile in row_tiles(keys.height, jobs.width):
        compute_binds = (server_hourly_needs.blocks["compute_need"][need_rows[tile]] / compute[tile]
                         >= server_hourly_needs.blocks["ram_need"][need_rows[tile]] / ram[tile])
        per_invocation = np.where(compute_binds, compute_per_invocation[tile], ram_per_invocation[tile])
        service_base = np.where(compute_binds, compute_base[tile], ram_base[tile])
        occurrences = jobs.blocks["occurrences"][occurrence_rows[tile]]
        volume = volumes[np.maximum(volume_rows[tile], 0)] if volumes.shape[0] else np.zeros_like(occurrences)
        volume[volume_rows[tile] < 0] = 0.0
        service_base *= server_instances.blocks["nb_of_instances"][instance_rows[tile]]
        service_base *= _ratio(occurrences, volume)
        per_invocation *= occurrences
        np.add(per_invocation, service_base, out=demand[tile])
    demands = Hourly.of(keys, {"demand": demand}, jobs.start)
    total = demands.summed(SERVER)
    keys, rows, total_rows = _matched(demands, total, SERVER)
    dynamic = np.empty((keys.height, jobs.width))
    for tile in row_tiles(keys.height, jobs.width):
        dynamic[tile] = _ratio(demand[rows[tile]], total.blocks["demand"][total_rows[tile]])
    on_premise = (keys["server_type"] == "on-premise").to_numpy()
    provisioned = dynamic
    if on_premise.any():
        provisioned = dynamic.copy()
        tiers = Hourly.of(keys[np.flatnonzero(on_premise)], {
            "demand": demand[rows[on_premise]], "raw": server_instances.blocks["raw_nb_of_instances"][
                instance_rows[rows[on_premise]]], "nb": server_instances.blocks["nb_of_instances"][
                instance_rows[rows[on_premise]]]}, jobs.start)
        provisioned[on_premise] = _tier_shares(tiers)[:, None]
    return (Hourly.of(keys.with_columns(pl.Series("on_premise", on_premise)),
                      {"dynamic_share": dynamic, "provisioned_share": provisioned}, jobs.start)
            .keyed_by([*SERVER, "job_id"], "on_premise", "server_class"))


def _tier_shares(jobs: Hourly) -> np.ndarray:
    """Flat provisioned weights of the jobs of on-premise servers (one per row of `jobs`, direct rows with
    blocks demand, raw, nb): instance tier k (1..T, T = the server's peak instances) is needed in the hours
    where raw > k - 1, and within them jobs share the tier's 1/T of the provisioned footprint by their demand
    summed over those hours (by their demand over the period if no hour needs the tier; equally if there is no
    demand at all). An hour with raw instances r belongs to tiers 1..min(T, ceil(r)), so a tier's demand is a
    reverse cumulative sum of the demand binned by that count. One pass per on-premise server (not per job or
    hour)."""
    server = jobs.keys.select(keyed(jobs.keys.lazy(), SERVER)).select(pl.struct(pl.all()).rank("dense")).to_series()
    codes = server.to_numpy() - 1
    demand, raw, nb = jobs["demand"], jobs["raw"], jobs["nb"]
    shares = np.zeros(jobs.height)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        tiers = int(round(nb[rows[0]].max(initial=0.0)))
        period = demand[rows].sum(axis=1)
        period_share = period / period.sum() if period.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
        if tiers == 0:
            continue  # no instance ever: nothing provisioned to share
        count = np.minimum(np.ceil(raw[rows[0]]), tiers).astype(np.int64)
        binned = np.zeros((len(rows), tiers + 1))
        np.add.at(binned, (slice(None), count), demand[rows])
        per_tier = np.cumsum(binned[:, ::-1], axis=1)[:, ::-1][:, 1:]  # tiers 1..T: hours with count >= k
        tier_total = per_tier.sum(axis=0)
        tier_share = np.where(tier_total > 0, per_tier / np.where(tier_total > 0, tier_total, 1.0),
                              period_share[:, None])
        shares[rows] = tier_share.sum(axis=1) / tiers
    return shares


def _storage_atoms(storage_footprints: Hourly, storage_jobs: pl.LazyFrame, storages: pl.LazyFrame, cells: Hourly,
                   data_stored: Hourly) -> list[Hourly]:
    """Retention atoms by each cell's own cumulative stored data (in float32 and dumped as it falls due, as the
    storage's own cumulative), baseline atoms by the cell's share of the storage's jobs' invocations over the
    period (flat: the baseline holds capacity in idle hours too)."""
    per_cell = (cells.joined(parameters(storage_jobs, [*STORAGE, "job_id"]), JOB)
                .joined(dump_parameters(storages), STORAGE).only("hourly_share"))
    per_cell, data_stored = aligned(per_cell, data_stored)
    keys, rows, at = _matched(per_cell, data_stored, JOB)
    # The cell's data stored per hour: its hourly share of the job's (exact: both are 0 where the job's total is),
    # held as it is dumped. Made once per distinct (cell, job's data, storage parameters, span): the cells of a
    # storage repeat along the sweep dimensions that only the storage's footprint varies with.
    first, last = keys[FIRST].to_numpy(), keys[LAST].to_numpy()
    dumps = keys.select(pl.col("data_replication_factor").cast(pl.Float64), pl.col("_dump_after").cast(pl.Float64))
    _, distinct, codes = np.unique(np.column_stack([rows, at, first, last, dumps.to_numpy()]).astype(np.float64),
                                   axis=0, return_index=True, return_inverse=True)
    rates = Hourly(keys[distinct], {VALUE: per_cell.blocks["hourly_share"]}, per_cell.start)
    cumulative = stored_with_dumps(rates, times=(data_stored.blocks[VALUE], at[distinct]))[VALUE]
    storage = keyed(keys.lazy(), STORAGE)
    # A job's flat share of the storage's jobs times the cell's flat share of the job: the cell's share of the
    # storage's invocations (equal shares per job, then per cell, where nothing runs at all).
    baseline_share = keys.select(
        pl.when(pl.col("cell_occurrences").sum().over(storage) > 0)
        .then(pl.col("job_occurrences") / pl.col("cell_occurrences").sum().over(storage) * pl.col("flat_share"))
        .otherwise(pl.col("flat_share") / pl.col("job_id").n_unique().over(storage)))
    shares = Hourly(keys.with_columns(pl.Series(ROW, codes.reshape(-1).astype(np.int64))),
                    {"cumulative": cumulative}, per_cell.start).keyed_by(
        [*STORAGE, *JOB_CELL_COLUMNS], baseline_share.to_series().alias("baseline_share"))
    return [_labelled(_retention(shares, storage_footprints), "storage_id", "Storage", "retention", MANUFACTURING),
            _labelled(_baseline(shares, storage_footprints), "storage_id", "Storage", "baseline", MANUFACTURING,
                      weight="baseline_share")]


def _retention(shares: Hourly, storage_footprints: Hourly) -> Hourly:
    """F_retention / N x cum[cell] per cell: the storage's kg per terabyte held, made on its rows (few), then one
    gather and one product per cell, a few cells at a time, into the atoms' block (cells x hours is its largest
    part)."""
    shares, storage = aligned(shares, storage_footprints)
    keys, rows, at = _matched(shares, Hourly.of(storage.keys, {}, storage.start), STORAGE)
    cumulative = shares.blocks["cumulative"]
    # A storage's footprint made once, not once per sweep variant that repeats it.
    first, codes = storage.distinct_rows([storage.scaled["storage_retention_manufacturing_footprint"][1],
                                          "storage_capacity"])
    storage = replace(storage, keys=storage.keys[first])
    at = codes[at]

    def tiles() -> Iterator[tuple[np.ndarray, Callable[[np.ndarray], None]]]:
        for tile, per_tb in retention_per_terabyte(storage):  # the cells of a few storages at a time
            cells = np.flatnonzero((at >= tile.start) & (at < tile.stop))
            yield cells, partial(np.multiply, per_tb[at[cells] - tile.start], cumulative[rows[cells]])
    return Hourly.of(keys, {VALUE: _Filled((len(at), storage.width), tiles)}, shares.start)


def _baseline(shares: Hourly, storage_footprints: Hourly) -> Hourly:
    """Each cell's row of its storage's baseline footprint (the storage's block row, made into the atoms' block;
    not a copy per cell), spans united with the cell's."""
    first, codes = storage_footprints.distinct_rows([
        storage_footprints.scaled["storage_baseline_manufacturing_footprint"][1], "storage_capacity",
        "base_storage_need"])
    distinct = replace(storage_footprints, keys=storage_footprints.keys[first])
    footprint = Hourly(storage_footprints.keys.with_columns(pl.Series(ROW, codes.astype(np.int64))), {VALUE: _Filled(
        (distinct.height, distinct.width),
        lambda: ((tile, partial(baseline_footprint_into, replace(distinct, keys=distinct.keys[tile])))
                 for tile in row_tiles(distinct.height, distinct.width)))}, storage_footprints.start)
    cells = shares.keys.select(*keyed(shares.keys.lazy(), STORAGE), *JOB_CELL_COLUMNS, "baseline_share",
                               pl.col(FIRST).alias("_cell_first"), pl.col(LAST).alias("_cell_last"),
                               pl.int_range(pl.len()).alias("_cell"))
    per_cell = footprint.keyed_by(STORAGE).joined(cells, STORAGE)
    return replace(per_cell, keys=per_cell.keys.sort("_cell").with_columns(
        pl.min_horizontal(FIRST, "_cell_first").alias(FIRST), pl.max_horizontal(LAST, "_cell_last").alias(LAST)))


def _external_api_atoms(cells: Hourly, job_impacts: pl.LazyFrame, api_servers: pl.LazyFrame) -> list[Hourly]:
    """Each cell's invocations of an external API job in progress, at the job's impact per invocation-hour: the
    job's share of its API server's footprint (efootprint relays the job's request footprint by the cell's hourly
    share of its invocations, which comes to the same)."""
    servers = api_servers.select(*keyed(api_servers, ["system_id", "external_api_id"]), "external_api_server_id",
                                 pl.col("server_class").alias("_server_class"))
    per_request = join(parameters(job_impacts, JOB, "external_api_id", "request_duration", "request_embodied_gwp",
                                  "request_usage_gwp"), servers, ["system_id", "external_api_id"])
    calls = cells.only(**{VALUE: "occurrences"}).joined(per_request, JOB)
    if not calls.height:  # no external API call: no atom, and no labels to make
        return []
    calls = replace(calls, keys=calls.keys.with_columns(
        *[(pl.col(impact) / pl.col("request_duration")).alias(f"_{impact}_per_hour")
          for impact in ("request_embodied_gwp", "request_usage_gwp")]))
    return [_labelled(calls, "external_api_server_id", pl.col("_server_class"), "single", phase,
                      weight=f"_{impact}_per_hour")
            for phase, impact in ((MANUFACTURING, "request_embodied_gwp"), (USE, "request_usage_gwp"))]


def _network_atoms(data_transferred: Hourly, network_intensity: pl.LazyFrame) -> Hourly:
    """Each cell's transferred data at the kg per MB of its pattern (country and network)."""
    atoms = data_transferred.joined(network_intensity, ["system_id", "usage_pattern_id"])
    return _labelled(atoms, "network_id", "Network", "single", USE, weight="kg_per_mb")


def _device_atoms(inside_steps: Hourly, device_intensities: pl.LazyFrame) -> list[Hourly]:
    """The journeys inside each step of a pattern, at each of the pattern's devices' kg per busy hour."""
    busy = inside_steps.joined(device_intensities, ["system_id", "usage_pattern_id"])
    return [_labelled(busy, "device_id", "Device", "single", phase, weight=intensity)
            for phase, intensity in ((USE, "use_kg_per_busy_hour"), (MANUFACTURING, "manufacturing_kg_per_busy_hour"))]



def _edge_device_atoms(containment_paths: pl.LazyFrame, component_need_hourly: Hourly, component_hourly: Hourly,
                       component_parameters: pl.LazyFrame, component_inputs: pl.LazyFrame, deployments: Hourly,
                       device_units: pl.LazyFrame, edge_devices: pl.LazyFrame, server_needs: pl.LazyFrame,
                       system_edge_devices: pl.LazyFrame, edge_usage_patterns: pl.LazyFrame,
                       countries: pl.LazyFrame) -> list[Hourly]:
    """The atoms of a system's own edge devices (efootprint's attribution sources: a device reached only through
    a recurrent server need is neither in the system's total nor attributed), per phase and containment path of
    each component need, and in the manufacturing phase per path of the device's recurrent server needs in
    patterns where some component is unused.

    Calculation, per component need n of component c of device D in pattern up (then x the path's slot share):
    share[n] = demand[n] / sum of the demand of c's needs (1 / their number where that is 0), demand = the
    unitary need (a storage need's: its cumulative held volume);
    manufacturing = units x deployments x (cfm[c] / lifespan[c] + structure_cfm / lifespan / nb components)
    x share[n] + pool[D, up];
    pool[D, up] = units x deployments x (structure_cfm / lifespan x unused / nb components (1 without components)
    + sum over unused components of cfm / lifespan) / (D's component needs at up + D's server needs at up),
    where some component of D has no need at up (0 elsewhere); a server need's path carries pool x slot;
    use = floor / nb of c's needs + (units x use[c] - floor) x share[n], floor = units x deployments x power at
    zero need x CI(up), power at zero need = idle + (power - idle) x base / capacity (a workload: idle); 0 for
    a storage need."""
    device = ["system_id", "edge_device_id"]
    own = system_edge_devices.select(*keyed(system_edge_devices, device))
    needs = component_need_hourly.joined(own, device)
    is_storage = (needs.keys["component_class"] == "EdgeStorage").to_numpy()[:, None]
    needs = needs.holding(demand=np.where(is_storage, needs["cumulative"], needs["need"]))
    needs = _beside(needs, needs.only("demand").summed([*COMPONENT, "edge_device_id"]),
                    [*COMPONENT, "edge_device_id"], total_demand="demand")
    needs = _beside(needs, component_hourly, [*COMPONENT, "edge_device_id"], component_use="use_footprint")
    needs = _beside(needs, deployments, PATTERN, deployments=VALUE)
    needs = replace(needs, keys=needs.keys.with_columns(
        pl.len().over(keyed(needs.keys.lazy(), [*COMPONENT, "edge_device_id"])).alias("_needs_of_component")))

    kind = pl.col("component_class").replace_strict(EDGE_COMPONENT_KINDS)
    base_load = (pl.when(kind == "compute").then(pl.col("base_compute_consumption") / pl.col("compute"))
                 .when(kind == "ram").then(pl.col("base_ram_consumption") / pl.col("ram")).otherwise(0.0))
    components = kept(component_parameters, "component_id", "carbon_footprint_manufacturing", "lifespan",
                      (pl.col("idle_power") + (pl.col("power") - pl.col("idle_power")) * base_load.fill_nan(0.0))
                      .alias("power_at_zero_need"))
    components = join(components, kept(component_inputs, "component_id", "edge_device_id"),
                      ["system_id", "component_id"]).with_columns(
        per_hour=pl.col("carbon_footprint_manufacturing") / pl.col("lifespan"))
    devices = _chassis(edge_devices, components, device_units)
    pool = _unused_pool(needs, components, devices, containment_paths, server_needs, own)
    intensity = join(parameters(edge_usage_patterns, PATTERN, "country_id"),
                     parameters(countries, ["system_id", "country_id"], "average_carbon_intensity"),
                     ["system_id", "country_id"])
    needs = (needs.joined(parameters(components, ["system_id", "component_id"], "per_hour", "power_at_zero_need"),
                          ["system_id", "component_id"])
             .joined(parameters(devices, device, "units", "structure_per_component", "device_class"), device)
             .joined(pool, DEVICE, how="left").joined(intensity, PATTERN))
    is_storage = (needs.keys["component_class"] == "EdgeStorage").to_numpy()[:, None]
    count = needs.parameter("_needs_of_component")
    share = np.where(needs["total_demand"] != 0, _ratio(needs["demand"], needs["total_demand"]), 1.0 / count)
    deployed = needs["deployments"] * needs.parameter("units")
    manufacturing = (deployed * (needs.parameter("per_hour") + np.nan_to_num(needs.parameter("structure_per_component")))
                     * share + deployed * np.nan_to_num(needs.parameter("pool_per_carrier")))
    floor = deployed * needs.parameter("power_at_zero_need") * needs.parameter("average_carbon_intensity")
    use = np.where(is_storage, 0.0, floor / count + (needs.parameter("units") * needs["component_use"] - floor) * share)
    per_path = containment_paths.filter(pl.col("need_kind") == "component").select(
        *keyed(containment_paths, ["system_id", "usage_pattern_id"]), pl.col("need_id").alias("component_need_id"),
        pl.col("edge_journey_id").alias("journey_id"), pl.col("edge_function_id").alias("ef_id"),
        pl.col("device_need_id").alias("redn_id"), pl.col("slot_share").alias("_slot"))
    values = needs.holding(manufacturing=manufacturing, use=use).joined(per_path, COMPONENT_NEED)
    slot = values.parameter("_slot")
    values = replace(values, keys=values.keys.with_columns(pl.col("component_need_id").alias("recn_id")))
    parts = [_labelled(values.holding(**{VALUE: values[phase.lower()] * slot}), "edge_device_id",
                       pl.col("device_class"), "single", phase) for phase in (MANUFACTURING, USE)]

    carriers = containment_paths.filter(pl.col("need_kind") == "server").select(
        *keyed(containment_paths, ["system_id", "usage_pattern_id"]), pl.col("need_id").alias("server_need_id"),
        pl.col("edge_journey_id").alias("journey_id"), pl.col("edge_function_id").alias("ef_id"),
        pl.col("slot_share").alias("_slot"))
    carriers = join(join(carriers, kept(server_needs, "server_need_id", "edge_device_id"),
                         ["system_id", "server_need_id"]), pool, DEVICE)
    carried = deployments.joined(carriers, PATTERN).joined(parameters(devices, device, "units", "device_class"), device)
    carried = replace(carried, keys=carried.keys.with_columns(pl.col("server_need_id").alias("rsn_id")))
    if carried.height:
        parts.append(_labelled(carried.holding(**{VALUE: carried[VALUE] * carried.parameter("units")
                                                  * carried.parameter("pool_per_carrier") * carried.parameter("_slot")}),
                               "edge_device_id", pl.col("device_class"), "single", MANUFACTURING))
    return parts


def _chassis(edge_devices: pl.LazyFrame, components: pl.LazyFrame, device_units: pl.LazyFrame) -> pl.LazyFrame:
    """Per edge device: its class, units, number of components, and its structure's manufacturing per hour of
    one deployed unit (`structure_per_hour`) and that split equally over its components
    (`structure_per_component`, null without components)."""
    device = ["system_id", "edge_device_id"]
    counted = components.group_by(keyed(components, device)).agg(pl.len().alias("nb_components"))
    devices = join(join(kept(edge_devices, "edge_device_id", "device_class", (
        pl.col("structure_carbon_footprint_manufacturing") / pl.col("lifespan")).alias("structure_per_hour")),
        counted, device, how="left"), kept(device_units, pl.col("object_id").alias("edge_device_id"), "units"), device)
    return devices.with_columns(pl.col("nb_components").fill_null(0)).with_columns(
        structure_per_component=pl.col("structure_per_hour") / pl.col("nb_components").cast(pl.Float64))


def _unused_pool(needs: Hourly, components: pl.LazyFrame, devices: pl.LazyFrame, containment_paths: pl.LazyFrame,
                 server_needs: pl.LazyFrame, own: pl.LazyFrame) -> pl.LazyFrame:
    """Per (edge device, pattern) where some component of the device has no need (or the device has no
    component): `pool_per_carrier`, the kg per hour of one deployed unit that each carrier there bears (the
    unused components' manufacturing and their equal chassis shares, split equally over the device's component
    needs and recurrent server needs in the pattern)."""
    used = needs.keys.lazy().select(*keyed(needs.keys.lazy(), [*DEVICE, "component_id"])).unique()
    need_carriers = needs.keys.lazy().group_by(keyed(needs.keys.lazy(), DEVICE)).agg(pl.len().alias("_needs"))
    server_carriers = join(join(containment_paths.filter(pl.col("need_kind") == "server").select(
        *keyed(containment_paths, ["system_id", "usage_pattern_id"]), pl.col("need_id").alias("server_need_id")),
        kept(server_needs, "server_need_id", "edge_device_id"), ["system_id", "server_need_id"]), own,
        ["system_id", "edge_device_id"])
    server_carriers = server_carriers.group_by(keyed(server_carriers, DEVICE)).agg(
        pl.col("server_need_id").n_unique().alias("_server_needs"))
    patterns = join(need_carriers, server_carriers, DEVICE, how="full", coalesce=True)
    unused = join(join(patterns.select(*keyed(patterns, DEVICE)), components, ["system_id", "edge_device_id"]),
                  used, [*DEVICE, "component_id"], how="anti")
    unused = unused.group_by(keyed(unused, DEVICE)).agg(pl.len().alias("_unused"), pl.col("per_hour").sum()
                                                         .alias("_unused_per_hour"))
    pooled = join(join(patterns, unused, DEVICE, how="left"),
                  kept(devices, "edge_device_id", "nb_components", "structure_per_hour"), ["system_id", "edge_device_id"])
    fraction = pl.when(pl.col("nb_components") > 0).then(pl.col("_unused").fill_null(0) / pl.col("nb_components"))\
        .otherwise(1.0)
    carriers = pl.col("_needs").fill_null(0) + pl.col("_server_needs").fill_null(0)
    return pooled.filter((pl.col("_unused").fill_null(0) > 0) | (pl.col("nb_components") == 0)).select(
        *keyed(pooled, DEVICE), ((pl.col("structure_per_hour") * fraction + pl.col("_unused_per_hour").fill_null(0.0))
                                 / carriers).alias("pool_per_carrier"))
