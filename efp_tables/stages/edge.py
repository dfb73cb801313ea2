"""Edge computing: deployments of edge devices over time, the weekly needs they run, the power and footprints of
their components and devices, and the server jobs they call (efootprint's EdgeUsagePattern side).

Every hourly series of an edge pattern lies on the span of its deployments in parallel (usage span after the
last start); weekly profiles are laid on it in UTC, and whatever is per device is multiplied by the deployments
in parallel and by the device's count in its groups."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from efp_tables.engine import ENGINE
from efp_tables.errors import InsufficientCapacityError, ModelError
from efp_tables.stages import usage
from efp_tables.stages.hourly import FIRST, LAST, ROW, Hourly, _internal_last, frame_of
from efp_tables.stages.timeline import (VALUE, dimensions, join, key_matches, keyed, kept, lazy_table,
                                        parameters, picked, small_join, table_of)
from efp_tables.tables.schema import EDGE_COMPONENT_KINDS, EDGE_NEED_UNITS

PATTERN = ["system_id", "usage_pattern_id"]
COMPONENT_NEED = ["system_id", "component_need_id", "usage_pattern_id"]
COMPONENT = ["system_id", "component_id", "usage_pattern_id"]
DEVICE = ["system_id", "edge_device_id", "usage_pattern_id"]
_HOURS_PER_WEEK = 168
_EPOCH_WEEK_HOUR = 3 * 24  # 1970-01-01 00:00 is a Thursday: hour 72 of its week
_GB_PER_TB = 1000.0
# Without these, a model has no edge object: everything else edge belongs to one of them (compute.FAMILIES), and
# every stage here gives an empty output.
DRIVEN_BY = ("edge_usage_patterns", "edge_devices", "edge_components", "edge_device_groups")


def edge_local_deployment_starts(edge_deployment_starts: pl.LazyFrame) -> Hourly:
    """EdgeUsagePattern.hourly_deployment_starts: deployments started per local hour. Calculation: the input."""
    return Hourly.from_long(table_of(edge_deployment_starts), PATTERN, ["starts"]).only(
        **{VALUE: "starts"})


def edge_usage_pattern_clock(edge_local_deployment_starts: Hourly, edge_usage_patterns: pl.LazyFrame,
                             countries: pl.LazyFrame) -> pl.LazyFrame:
    """Start hour, length and UTC offset of each edge pattern's local series (as a web pattern's clock).

    Calculation: k = round(utcoffset(country timezone at local start) in hours)."""
    return usage.usage_pattern_clock(edge_local_deployment_starts, edge_usage_patterns, countries)


def edge_utc_deployment_starts(edge_local_deployment_starts: Hourly, edge_usage_pattern_clock: pl.LazyFrame) -> Hourly:
    """EdgeUsagePattern.utc_hourly_deployment_starts: efootprint's circular roll by the start date's UTC offset.

    Calculation: utc[i] = local[(i + k) mod N]."""
    return usage.utc_hourly_occurrences(edge_local_deployment_starts, edge_usage_pattern_clock)


def edge_deployments_in_parallel(edge_utc_deployment_starts: Hourly, edge_usage_patterns: pl.LazyFrame,
                                 edge_usage_pattern_clock: pl.LazyFrame) -> Hourly:
    """EdgeUsagePattern.nb_deployments_in_parallel: deployments active per hour, each lasting the usage span.
    Also keeps, per pattern, its UTC offset (`utc_offset`) for the weekly profiles laid on this span.

    Calculation: y[t] = sum_{k<F} x[t-k] + r * x[t-F], F = floor(span), r = span - F, by efootprint's float32
    FFT (its float noise where the exact count is 0 included: stages.hourly.in_progress)."""
    starts = edge_utc_deployment_starts.joined(
        parameters(edge_usage_patterns, PATTERN, "usage_span"), PATTERN).joined(
        parameters(edge_usage_pattern_clock, PATTERN, "utc_offset"), PATTERN)
    return starts.in_progress("usage_span").keyed_by(PATTERN, "utc_offset")


def edge_device_units(edge_devices: pl.LazyFrame, group_subgroups: pl.LazyFrame,
                      group_devices: pl.LazyFrame) -> pl.DataFrame:
    """EdgeDevice.total_nb_of_units and EdgeDeviceGroup.effective_nb_of_units_within_root, in one table
    (`object_id`, `units`; devices also with their structure_carbon_footprint_manufacturing): a root group
    counts 1, a sub-group the sum over its parents of count x the parent's count, a device the sum over its
    groups of count x the group's count (1 in no group).

    Calculation: walks down from the roots one level per step (as many steps as the deepest nesting)."""
    # The walk in Python, the sums in one query at the end (none in a tree): a query costs more than these rows.
    group = ["system_id", "group_id"]
    subgroups, memberships = table_of(group_subgroups), table_of(group_devices)
    listed = {c: subgroups.get_column(c).to_list() + memberships.get_column(c).to_list() for c in group}
    firsts = list(dict.fromkeys(zip(*listed.values())))  # each group once, in order
    children = {key for key in zip(subgroups.get_column("system_id").to_list(),
                                   subgroups.get_column("sub_group_id").to_list()) if None not in key}
    groups = frame_of([pl.Series(c, [key[at] for key in firsts], dtype=subgroups.get_column(c).dtype)
                       for at, c in enumerate(group)])
    roots = [at for at, key in enumerate(firsts) if key not in children]  # groups no group contains
    frontier = frame_of([*(column[pl.Series(roots, dtype=pl.UInt32)] for column in groups.get_columns()),
                         pl.Series("units", [1.0] * len(roots))])
    reached, endless = [frontier], True
    for _ in range(subgroups.height + 1):  # a chain of sub-groups has at most as many links as there are
        step = _join_all(frontier, subgroups, group)
        frontier = frame_of([*(step.get_column(c) for c in keyed(step, ["system_id"])),
                             step.get_column("sub_group_id").alias("group_id"),
                             (step.get_column("units") * step.get_column("count")).alias("units")])
        if frontier.is_empty():
            endless = False
            break
        reached.append(frontier)
    device = ["system_id", "edge_device_id"]
    reached_groups = [key for frame in reached for key in zip(*(frame.get_column(c).to_list() for c in group))]
    in_groups = list(zip(*(memberships.get_column(c).to_list() for c in device)))
    if (not dimensions(edge_devices, subgroups, memberships) and len(set(reached_groups)) == len(reached_groups)
            and len(set(in_groups)) == len(in_groups)):
        # A tree (each group reached once, each device in one group at most: most models) has sums of one term
        # each, which are their terms: the table read off the walk, with no query.
        group_units = dict(zip(reached_groups, (units for frame in reached for units in frame["units"].to_list())))
        unreached = frame_of([pl.Series("group_id", [key[1] for key in firsts if key not in group_units],
                                        dtype=subgroups.get_column("group_id").dtype)])
        device_units = {key: count * group_units[of_group] for key, of_group, count in zip(
            in_groups, zip(*(memberships.get_column(c).to_list() for c in group)),
            memberships.get_column("count").to_list()) if of_group in group_units}
        devices = table_of(edge_devices)
        ids = list(zip(*(devices.get_column(c).to_list() for c in device)))
        objects = [*ids, *group_units]
        structure = devices.get_column("structure_carbon_footprint_manufacturing").to_list()
        units = frame_of([
            pl.Series("system_id", [key[0] for key in objects], dtype=devices.get_column("system_id").dtype),
            pl.Series("object_id", [key[1] for key in objects], dtype=devices.get_column("edge_device_id").dtype),
            pl.Series("units", [*(device_units.get(key, 1.0) for key in ids), *group_units.values()], dtype=pl.Float64),
            pl.Series("structure_carbon_footprint_manufacturing", structure + [None] * len(group_units),
                      dtype=pl.Float64)])
    else:
        group_units = pl.concat([frame.lazy() for frame in reached], how="diagonal_relaxed")
        group_units = group_units.group_by(keyed(group_units, group), maintain_order=True).agg(pl.col("units").sum())
        unreached = groups.lazy().join(group_units.select(group).unique(), on=group, how="anti")
        counted = join(memberships.lazy(), group_units, group)
        device_units = counted.group_by(keyed(counted, device), maintain_order=True).agg(
            (pl.col("count") * pl.col("units")).sum().alias("units"))
        devices = join(edge_devices.select(*keyed(edge_devices, device), "structure_carbon_footprint_manufacturing"),
                       device_units, device, how="left").with_columns(pl.col("units").fill_null(1.0))
        units = pl.concat([devices.select(*keyed(devices, ["system_id"]), pl.col("edge_device_id").alias("object_id"),
                                          "units", "structure_carbon_footprint_manufacturing"),
                           group_units.select(*keyed(group_units, ["system_id"]),
                                              pl.col("group_id").alias("object_id"), "units")],
                          how="diagonal_relaxed")
        unreached, units = pl.collect_all([unreached, units], engine=ENGINE)
    # A cycle either never ends the walk or has no root to start from: either way some group is left unreached.
    if endless or unreached.height:
        name = (frontier if endless else unreached)["group_id"].cast(pl.String).sort()[0]
        raise ModelError(f"EdgeDeviceGroup {name!r}", "sub_group_counts", name,
                         "groups that do not contain themselves (this group is in a cycle of sub-groups)")
    return units


def edge_component_inputs(edge_components: pl.LazyFrame, edge_devices: pl.LazyFrame) -> pl.LazyFrame:
    """The components with what an EdgeComputer's or EdgeAppliance's own components mirror from their device
    (power, idle power, lifespan; compute or RAM and its base consumption) taken from the device's row, so that
    a change to the device (a sweep over its lifespan, say) reaches them. EdgeComputerRAMComponent draws no
    power of its own in efootprint 27.

    Calculation: component column = device column for the builder classes; the component's own otherwise."""
    device = edge_devices.select(*keyed(edge_devices, ["system_id", "edge_device_id"]),
                                 *[pl.col(c).alias(f"_device_{c}") for c in (
                                     "power", "idle_power", "lifespan", "compute", "ram", "base_compute_consumption",
                                     "base_ram_consumption")])
    both = join(edge_components, device, ["system_id", "edge_device_id"], how="left")
    cls = pl.col("component_class")
    cpu, ram = cls == "EdgeComputerCPUComponent", cls == "EdgeComputerRAMComponent"
    mirrored = cpu | ram | (cls == "EdgeApplianceComponent")

    def mirror(column: str, device_column: str, where: pl.Expr = mirrored) -> pl.Expr:
        return pl.when(where).then(pl.col(f"_device_{device_column}")).otherwise(pl.col(column)).alias(column)
    return both.with_columns(
        pl.when(ram).then(pl.lit(0.0)).otherwise(mirror("power_per_unit", "power")).alias("power_per_unit"),
        pl.when(ram).then(pl.lit(0.0)).otherwise(mirror("idle_power_per_unit", "idle_power"))
        .alias("idle_power_per_unit"),
        mirror("lifespan", "lifespan"), mirror("compute_per_unit", "compute", cpu),
        mirror("base_compute_consumption", "base_compute_consumption", cpu), mirror("ram_per_unit", "ram", ram),
        mirror("base_ram_consumption", "base_ram_consumption", ram),
    ).select(pl.exclude("^_device_.*$"))


def edge_containment_paths(pattern_edge_journeys: pl.LazyFrame, journey_edge_functions: pl.LazyFrame,
                           function_device_needs: pl.LazyFrame, device_need_component_needs: pl.LazyFrame,
                           function_server_needs: pl.LazyFrame) -> pl.LazyFrame:
    """Every containment path of an edge pattern (efootprint's containment inventory): (journey, function,
    device need, component need) for a component need, (journey, function, server need) for a server need
    (`device_need_id` null), with how many times the path occurs (`occurrences`: a function listed twice, or a
    need listed twice in its parent, counts twice) and its share of its need's occurrences in the pattern
    (`slot_share`: how the need's footprint there splits over its paths).

    Calculation: occurrences = product of the list counts along the path; slot_share = occurrences / sum over
    the need's paths in the pattern."""
    functions = join(pattern_edge_journeys.select("system_id", "usage_pattern_id", "edge_journey_id"),
                     journey_edge_functions.select("system_id", "edge_journey_id", "edge_function_id",
                                                   pl.col("count").alias("_f")), ["system_id", "edge_journey_id"])
    component = join(join(functions, function_device_needs.select(
        "system_id", "edge_function_id", "device_need_id", pl.col("count").alias("_d")),
        ["system_id", "edge_function_id"]), device_need_component_needs.select(
        "system_id", "device_need_id", pl.col("component_need_id").alias("need_id"), pl.col("count").alias("_c")),
        ["system_id", "device_need_id"])
    server = join(functions, function_server_needs.select(
        "system_id", "edge_function_id", pl.col("server_need_id").alias("need_id"), pl.col("count").alias("_c")),
        ["system_id", "edge_function_id"])
    path = ["system_id", "usage_pattern_id", "edge_journey_id", "edge_function_id", "device_need_id", "need_id",
            "need_kind"]
    paths = pl.concat([
        component.select(*path[:-1], pl.lit("component").alias("need_kind"),
                         (pl.col("_f") * pl.col("_d") * pl.col("_c")).alias("occurrences")),
        server.select(*path[:4], pl.lit(None, dtype=pl.String).alias("device_need_id"), "need_id",
                      pl.lit("server").alias("need_kind"), (pl.col("_f") * pl.col("_c")).alias("occurrences"))],
        how="vertical_relaxed").group_by(path, maintain_order=True).agg(pl.col("occurrences").sum())
    return paths.with_columns(slot_share=pl.col("occurrences") / pl.col("occurrences").sum().over(
        "system_id", "usage_pattern_id", "need_id", "need_kind"))


def edge_need_paths(edge_containment_paths: pl.LazyFrame) -> pl.LazyFrame:
    """How many times each component need and server need occurs in each edge pattern (`occurrences`), along
    every (journey, function, device need) path.

    Calculation: occurrences[need, up] = sum over its containment paths of their occurrences."""
    return edge_containment_paths.group_by(
        "system_id", "usage_pattern_id", "need_id", "need_kind", maintain_order=True).agg(pl.col("occurrences").sum())


def system_edge_devices(pattern_edge_journeys: pl.LazyFrame, journey_edge_functions: pl.LazyFrame,
                        function_device_needs: pl.LazyFrame, edge_device_needs: pl.LazyFrame) -> pl.LazyFrame:
    """The edge devices a system counts in its total: those one of its journeys' functions needs directly
    (efootprint's System.edge_devices). A device reached only through a server need is computed (its footprint
    has a pattern) but left out of the system's total, as efootprint does."""
    functions = join(pattern_edge_journeys.select("system_id", "edge_journey_id"),
                     journey_edge_functions.select("system_id", "edge_journey_id", "edge_function_id"),
                     ["system_id", "edge_journey_id"])
    needs = join(functions, function_device_needs.select("system_id", "edge_function_id", "device_need_id"),
                 ["system_id", "edge_function_id"])
    return (join(needs, edge_device_needs.select("system_id", "device_need_id", "edge_device_id"),
                 ["system_id", "device_need_id"])
            .select("system_id", "edge_device_id").unique(maintain_order=True))


def _weekly_on_span(deployments: Hourly, weeks: np.ndarray, clear_until_monday: np.ndarray,
                    scale: np.ndarray) -> np.ndarray:
    """Weekly profiles (one 168-value row per key row) times `scale` (rows x 1), laid on each row's deployment
    span, in UTC as efootprint lays them: the week indexed from the span's UTC start as if it were local, then
    the whole span rolled circularly by the start's UTC offset (so its last hours take the first ones' values).
    With `clear_until_monday`, the hours before the first Monday 00:00 are 0 (storage writes).

    Rolled, a span is two runs of whole weeks: hours 0..L-k-1 read the week from hour s + k, hours L-k..L-1 from
    hour s (s: the span's start in its week, k: the offset modulo the span's length L). Each run is its rows'
    scaled weeks written in place, week after week, for all the rows of one span at once."""
    first, last = deployments.spans()
    length = last - first + 1
    start_in_week = (first + _EPOCH_WEEK_HOUR) % _HOURS_PER_WEEK
    until_monday = np.where(start_in_week == 0, 0, _HOURS_PER_WEEK - start_in_week)
    scaled = weeks * scale  # each hour's value x its row's scale, as a product of the laid block would be
    # Written span by span, 0 outside the spans (no block of zeros written first, then over).
    values = np.empty((deployments.height, deployments.width))
    distinct: dict[tuple[int, int, int], list[int]] = {}  # rows by (first, length, offset), few: grouped in Python
    for row, span in enumerate(zip(first.tolist(), length.tolist(), deployments.keys["utc_offset"].to_list())):
        distinct.setdefault(span, []).append(row)
    for (span_first, span_length, span_offset), rows in distinct.items():
        rows = np.array(rows)
        if span_length <= 0:
            values[rows] = 0.0
            continue
        shift = span_offset % span_length
        begin, week_start = span_first - deployments.start, int(start_in_week[rows[0]])
        values[rows, :max(begin, 0)] = 0.0
        values[rows, max(begin + span_length, 0):] = 0.0
        for hours, phase, run_begin in ((span_length - shift, week_start + shift, begin),
                                        (shift, week_start, begin + span_length - shift)):
            week = np.roll(scaled[rows], -(phase % _HOURS_PER_WEEK), axis=1)
            whole = hours // _HOURS_PER_WEEK
            if whole:  # the run's whole weeks as a (rows, weeks, 168) view of the block: one broadcast write
                np.reshape(values[:, run_begin:run_begin + whole * _HOURS_PER_WEEK],
                           (len(values), whole, _HOURS_PER_WEEK), copy=False)[rows] = week[:, None]
            values[rows, run_begin + whole * _HOURS_PER_WEEK:run_begin + hours] = week[:, :hours % _HOURS_PER_WEEK]
        cleared = rows[clear_until_monday[rows]]
        values[cleared, begin:begin + int(until_monday[rows[0]])] = 0.0
    return values


def _weeks(profiles: pl.LazyFrame, id_column: str, value: str, series: pl.DataFrame) -> np.ndarray:
    """(series x 168) weekly values of the profiles table, for the (system_id, id_column) of each `series` row
    (ids repeat from system to system in a portfolio)."""
    on = ["system_id", id_column]
    wide, values = _weekly_rows(table_of(profiles), on, value)
    if wide is None:
        wide = (profiles.with_columns(pl.col(id_column).cast(pl.String)).sort(*on, "hour_of_week")
                .group_by(on, maintain_order=True).agg(pl.col(value)).collect(engine=ENGINE))
        values = np.stack(wide[value].to_list()) if wide.height else np.zeros((0, _HOURS_PER_WEEK))
    matches = key_matches(frame_of([series.get_column(c).cast(pl.String) for c in on]), wide, on)  # no query
    at = (np.array(matches, dtype=np.int64) if matches is not None and None not in matches else
          series.lazy().select(pl.col(on).cast(pl.String)).join(wide.lazy().select(on).with_row_index("_at"), on=on,
                                                                 how="left", maintain_order="left")
          .select("_at").collect(engine=ENGINE).to_series().to_numpy())
    return values[at] if len(at) else np.zeros((0, _HOURS_PER_WEEK))


def _weekly_rows(profiles: pl.DataFrame, on: list[str], value: str) -> tuple[pl.DataFrame | None, np.ndarray]:
    """The profiles' keys (`on`, as strings) and their weeks (keys x 168), read with no query where the table lists
    each profile's 168 hours together and in order (as readers write it); (None, empty) otherwise."""
    hours = profiles.get_column("hour_of_week").to_numpy()
    weeks = len(hours) // _HOURS_PER_WEEK
    if (len(hours) != weeks * _HOURS_PER_WEEK or not weeks
            or not (hours.reshape(weeks, _HOURS_PER_WEEK) == np.arange(_HOURS_PER_WEEK)).all()):
        return None, np.zeros((0, _HOURS_PER_WEEK))
    # Gathered by UInt32 Series (numpy indices cost a conversion each).
    firsts = pl.Series(np.arange(0, len(hours), _HOURS_PER_WEEK, dtype=np.uint32))
    of_hour = pl.Series(np.repeat(np.arange(weeks, dtype=np.uint32), _HOURS_PER_WEEK))
    keys = []
    for column in on:
        key = profiles.get_column(column).cast(pl.String)
        first = key[firsts]
        if not (key == first[of_hour]).all():
            return None, np.zeros((0, _HOURS_PER_WEEK))
        keys.append(first)
    return frame_of(keys), profiles.get_column(value).cast(pl.Float64).to_numpy().reshape(weeks, _HOURS_PER_WEEK)


def edge_component_need_hourly(edge_deployments_in_parallel: Hourly, edge_need_paths: pl.LazyFrame,
                               edge_component_needs: pl.LazyFrame, edge_component_inputs: pl.LazyFrame,
                               component_need_profiles: pl.LazyFrame) -> Hourly:
    """RecurrentEdgeComponentNeed.unitary_hourly_need_per_usage_pattern (`need`, in the unit of its component's
    kind), and for storage needs cumulative_unitary_storage_need_per_usage_pattern (`cumulative`, TB), plus
    total_hourly_need_across_usage_patterns' terms (`total`: need, or cumulative for storage, x deployments).

    Calculation: need = week laid on the span (see _weekly_on_span) x occurrences[need, up]; storage needs are 0
    before the first Monday 00:00 and cumulate from the span's start."""
    # What a need belongs to never varies in a sweep: parameters() keeps a swept power or RAM off these rows.
    needs = join(edge_component_needs.select("system_id", "component_need_id", "need_class", "component_id"),
                 parameters(edge_component_inputs, ["system_id", "component_id"], "component_class", "edge_device_id"),
                 ["system_id", "component_id"])
    paths = edge_need_paths.filter(pl.col("need_kind") == "component").select(
        "system_id", "usage_pattern_id", pl.col("need_id").alias("component_need_id"), "occurrences")
    series = _joined_by_plan(edge_deployments_in_parallel, join(paths, needs, ["system_id", "component_need_id"]),
                             PATTERN)
    weeks = _weeks(component_need_profiles, "component_need_id", "need", series.keys)
    storage = (series.keys["component_class"].cast(pl.String) == "EdgeStorage").to_numpy()
    need = _weekly_on_span(series, weeks, storage, series.parameter("occurrences"))
    # efootprint cumulates the hourly writes in float32 (TB): its sums drift by ~1e-4 of the peak over years,
    # beyond the parity tolerance, so the drift is reproduced (same float32 steps). Storage needs only, row by
    # row up to the span's end (the hours before it are 0 and add nothing), then 0 before the span.
    cumulative = np.zeros(need.shape, dtype=np.float32)
    for row, (begin, end) in zip(np.flatnonzero(storage), _spans_on_axis(series)[storage]):
        np.cumsum(np.multiply(need[row, :end], np.float32(1 / _GB_PER_TB), dtype=np.float32), out=cumulative[row, :end])
        cumulative[row, :begin] = 0.0

    def total(needs: Hourly) -> np.ndarray:
        deployments = _matched(edge_deployments_in_parallel, needs, PATTERN)
        out = needs["need"] * deployments
        stored = np.flatnonzero((needs.keys["component_class"].cast(pl.String) == "EdgeStorage").to_numpy())
        out[stored] = needs["cumulative"][stored] * deployments[stored]
        return out
    units = {cls: EDGE_NEED_UNITS[kind] for cls, kind in EDGE_COMPONENT_KINDS.items()}
    # `total` is computed when read (the totals across patterns read it; a sweep's footprints do not).
    held = series.holding(need=need, cumulative=cumulative).keyed_by(
        [*COMPONENT_NEED, "component_id", "edge_device_id"], "need_class", "component_class").deriving(
        ("component_class",), total=total)
    # The unit of `need` (and of `total`, but TB for storage), which the results table reads.
    classes = held.keys.get_column("component_class").cast(pl.String).to_list()  # a few classes, no query
    return replace(held, keys=held.keys.hstack([
        pl.Series("need_unit", [units[c] for c in classes], dtype=pl.String),
        pl.Series("total_unit", ["terabyte_stored" if c == "EdgeStorage" else units[c] for c in classes],
                  dtype=pl.String)]))


def edge_component_hourly(edge_component_need_hourly: Hourly, edge_deployments_in_parallel: Hourly,
                          edge_component_inputs: pl.LazyFrame, edge_usage_patterns: pl.LazyFrame,
                          countries: pl.LazyFrame) -> Hourly:
    """Per component and edge pattern where one of its needs runs: its summed need (`need`: compute, RAM or
    workload; for storage the cumulative storage held plus its base need, TB), `unitary_power` (kW, one
    component), and per edge device: `energy` (kWh), `use_footprint` and `manufacturing_footprint` (kg).

    Calculation: power = idle + (power - idle) x load, load = (need + base) / capacity (compute, RAM) or the
    workload; energy = deployments x power x 1 h; use = energy x CI(country); manufacturing = deployments x
    cfm / lifespan x 1 h (storage: cfm = capacity x cfm per capacity; no power)."""
    summed = edge_component_need_hourly.only("need", "cumulative").summed(COMPONENT)
    components = table_of(parameters(
        edge_component_inputs, ["system_id", "component_id"], "edge_device_id", *_POWER_INPUTS, "lifespan",
        "carbon_footprint_manufacturing_per_unit", "carbon_footprint_manufacturing_per_storage_capacity"))
    # Computed on the Series (a query costs more than these tables' rows), as the expression
    # when(storage, cfm per capacity x capacity, cfm per unit) x units / lifespan with nulls as 0 but the lifespan.
    column = components.get_column
    cfm = np.where((column("component_class") == "EdgeStorage").to_numpy(),
                   _zero_filled(column("carbon_footprint_manufacturing_per_storage_capacity"))
                   * _zero_filled(column("storage_capacity_per_unit")),
                   _zero_filled(column("carbon_footprint_manufacturing_per_unit"))
                   ) * _zero_filled(column("nb_of_units"))
    components = lazy_table(components.hstack([(pl.Series(cfm) / column("lifespan")).alias("_manufacturing_per_hour")]))
    # One join on the series' keys: the components by the patterns' carbon intensities of their system (joined in
    # Python where each system has one), matched on component and pattern.
    series = summed.joined(join(components, _carbon_intensity(edge_usage_patterns, countries), ["system_id"]),
                           ["system_id", "component_id", "usage_pattern_id"])
    # The hourly blocks depend on the series and its power inputs only: a sweep over the carbon intensity, the
    # lifespan or the manufacturing footprint scales their sums (use and manufacturing footprints are scaled
    # columns), and variants with the same power inputs share their blocks.
    # `unitary_power` and `manufacturing_footprint` are computed when read (a sweep's footprints read neither).
    # The distinct rows are read from the blocks where they lie (not gathered into blocks of their own first).
    powered = series.per_distinct(list(_POWER_INPUTS), lambda distinct: _component_power(
        distinct, edge_deployments_in_parallel), gathered=False)
    return powered.scaling(use_footprint=("energy", "average_carbon_intensity")).deriving(
        _POWER_INPUTS, unitary_power=lambda components: _unitary_power(components, components["need"])).deriving(
        ("_manufacturing_per_hour",), manufacturing_footprint=lambda components: _matched(
            edge_deployments_in_parallel, components, PATTERN) * components.parameter("_manufacturing_per_hour")
    ).keyed_by([*COMPONENT, "edge_device_id"])  # with component_class, which unitary_power reads


def _carbon_intensity(edge_usage_patterns: pl.LazyFrame, countries: pl.LazyFrame) -> pl.LazyFrame:
    """Each edge pattern's average_carbon_intensity (its country's)."""
    return join(parameters(edge_usage_patterns, PATTERN, "country_id"),
                parameters(countries, ["system_id", "country_id"], "average_carbon_intensity"),
                ["system_id", "country_id"])


# The component inputs its hourly need, power and energy depend on.
_POWER_INPUTS = ("component_class", "power_per_unit", "idle_power_per_unit", "nb_of_units", "compute_per_unit",
                 "base_compute_consumption", "ram_per_unit", "base_ram_consumption", "storage_capacity_per_unit",
                 "base_storage_need")


def _power_inputs(series: Hourly) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each row's component kind (EDGE_COMPONENT_KINDS) and power inputs (rows x 1, nulls as 0), read with no
    query."""
    classes = series.keys.get_column("component_class").cast(pl.String).to_list()
    return (np.array([EDGE_COMPONENT_KINDS[c] for c in classes], dtype=object),
            {c: _zero_filled(series.keys.get_column(c))[:, None] for c in _POWER_INPUTS[1:]})


def _zero_filled(column: pl.Series) -> np.ndarray:
    """A float column's values, 0.0 where it is null (as fill_null(0.0), with no query: the nulls are read as NaN,
    which validated inputs never are)."""
    values = column.to_numpy()
    return np.where(np.isnan(values), 0.0, values) if column.has_nulls() else values


def _component_power(series: Hourly, deployments: Hourly) -> dict[str, np.ndarray]:
    """`need` and `energy` blocks of components' series (see edge_component_hourly), one row per key row, capacity
    checked. Row by row over each span (what a row reads stays in the CPU's cache), written into the blocks."""
    kind, p = _power_inputs(series)
    cumulative, summed, block_rows = series.blocks["cumulative"], series.blocks["need"], series.rows
    base_storage = p["base_storage_need"][:, 0]
    stored = kind == "storage"
    need = summed if series.direct and not stored.any() else np.empty((series.height, summed.shape[1]))
    energy = np.empty(need.shape)  # written span by span, 0 outside
    peak, low = np.full(series.height, -np.inf), np.full(series.height, np.inf)
    # Each deployments row read once on this axis (zeros where none), then read in place.
    at, of_row = np.unique(_matching_rows(deployments, series, PATTERN), return_inverse=True)
    per_device = _on_axis(deployments[VALUE], deployments.start, at, series)
    for row, source, (begin, end), offset, slope, idle in zip(range(series.height), block_rows,
                                                              _spans_on_axis(series), *_power_map(kind, p)):
        if stored[row]:  # the storage held: cumulative writes plus the base need, over the span
            need[row, :begin], need[row, end:] = 0.0, 0.0
            np.add(cumulative[source, begin:end], base_storage[row], out=need[row, begin:end])
        elif need is not summed:
            need[row] = summed[source]
        # Needs are 0 outside their spans: a positive peak, or a negative low, is the span's own.
        held = need[row, begin:end]
        peak[row], low[row] = held.max(initial=-np.inf), held.min(initial=np.inf)
        energy[row, :begin], energy[row, end:] = 0.0, 0.0
        power = energy[row, begin:end]
        np.add(held, offset, out=power)
        power *= slope
        power += idle
        power *= per_device[of_row[row], begin:end]
    units = p["nb_of_units"][:, 0]
    available = (np.where(kind == "compute", p["compute_per_unit"][:, 0], p["ram_per_unit"][:, 0]) * units
                 - np.where(kind == "compute", p["base_compute_consumption"][:, 0], p["base_ram_consumption"][:, 0]))
    _check_capacity(series, kind, peak, low, available, p["storage_capacity_per_unit"][:, 0] * units)
    return {"need": need, "energy": energy}


def _power_map(kind: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's affine map from need to the power of one component: power = idle + slope x (need + offset),
    load = (need + base) / capacity (compute, RAM) or the workload itself; storage draws none."""
    kind = kind[:, None]
    units, computes, stores = p["nb_of_units"], kind == "compute", kind == "storage"
    by_capacity = computes | (kind == "ram")
    capacity = np.where(computes, p["compute_per_unit"], p["ram_per_unit"]) * units
    offset = np.where(by_capacity, np.where(computes, p["base_compute_consumption"], p["base_ram_consumption"]), 0.0)
    per_load = np.where(by_capacity, 1.0 / np.where(capacity > 0, capacity, 1.0), 1.0)
    slope = np.where(stores, 0.0, (p["power_per_unit"] - p["idle_power_per_unit"]) * units * per_load)
    return offset[:, 0], slope[:, 0], np.where(stores, 0.0, p["idle_power_per_unit"] * units)[:, 0]


def _unitary_power(series: Hourly, need: np.ndarray) -> np.ndarray:
    """Power of one component over its span (0 outside it): _power_map applied to `need`."""
    offset, slope, idle = (column[:, None] for column in _power_map(*_power_inputs(series)))
    return np.where(series.in_span(), (need + offset) * slope + idle, 0.0)


def _spans_on_axis(series: Hourly) -> np.ndarray:
    """Each series' span as the block columns begin..end-1 it covers on its axis (rows x 2, begin <= end)."""
    first, length = series.span_columns()
    begin = np.clip(first, 0, series.width)
    return np.stack([begin, np.clip(first + length, begin, series.width)], axis=1)


def _check_capacity(series: Hourly, kind: np.ndarray, peak: np.ndarray, low: np.ndarray, available: np.ndarray,
                    storage_capacity: np.ndarray) -> None:
    """efootprint's InsufficientCapacityError (and its negative storage error) for the first component whose
    peak need exceeds what it has: compute or RAM beyond capacity - base, storage beyond capacity or below 0.
    `peak` and `low`: each row's highest and lowest need over its span (workloads have no capacity)."""
    resources = (("compute", "compute", "cpu_core", peak > available + 1e-9),
                 ("ram", "RAM", "GB_ram", peak > available + 1e-9),
                 ("storage", "storage capacity", "TB_stored", peak > storage_capacity * (1 + 1e-9)))
    for checked, resource, unit, over in resources:
        rows = np.flatnonzero((kind == checked) & over)
        if len(rows):
            row = series.keys.row(int(rows[0]), named=True)
            has = storage_capacity[rows[0]] if checked == "storage" else available[rows[0]]
            raise InsufficientCapacityError(
                f"{row['component_class']} {str(row['component_id'])!r}", resource, f"{peak[rows[0]]:g} {unit} needed",
                f"at most the {has:g} {unit} available per device (in edge usage pattern "
                f"{str(row['usage_pattern_id'])!r})")
    negative = np.flatnonzero((kind == "storage") & (low < -1e-9))
    if len(negative):
        row = series.keys.row(int(negative[0]), named=True)
        raise ModelError(f"EdgeStorage {str(row['component_id'])!r}", "base_storage_need",
                         f"{low[negative[0]]:g} TB_stored held at the lowest",
                         "a cumulative storage need of at least 0 (its needs delete more than was written: raise "
                         "base_storage_need or check the needs' weekly profiles)")


def _spread(target: Hourly, source: Hourly) -> Hourly:
    """`target` repeated over the sweep dimensions that only `source` has (its series do not vary along them,
    but what is matched from `source` does), so that `_matched` finds one source row per target row."""
    extra = [c for c in dimensions(source.keys.lazy()) if c not in target.keys.columns]
    if not extra:
        return target
    keys = target.keys.join(source.keys.select(extra).unique(maintain_order=True), how="cross",
                            maintain_order="left_right")
    return replace(target, keys=keys.select(*[c for c in keys.columns if c not in (FIRST, LAST, ROW)],
                                            FIRST, LAST, ROW))


def _matching_rows(source: Hourly, target: Hourly, on: list[str]) -> np.ndarray:
    """Per key row of `target`, the key row of `source` that matches it on `on` (-1 where none)."""
    on = [c for c in keyed(target.keys, on) if c in source.keys.columns]
    matches = key_matches(target.keys, source.keys, on)  # in Python if small, without a query
    if matches is not None:
        return np.array([-1 if at is None else at for at in matches], dtype=np.int64)
    return (target.keys.lazy().select(on).join(source.keys.lazy().select(on).with_row_index("_s"), on=on, how="left",
                                               maintain_order="left").select(pl.col("_s").fill_null(-1))
            .collect(engine=ENGINE).to_series().to_numpy().astype(np.int64))


def _on_axis(values: np.ndarray, start: int, at: np.ndarray, target: Hourly) -> np.ndarray:
    """Rows `at` of `values` (an hour axis from `start`; zeros where -1), on `target`'s hour axis."""
    found = at >= 0
    if start == target.start and values.shape[1] == target.width and found.all():
        return values[at]  # same hour axis: a plain gather
    out = np.zeros((len(at), target.width))
    low, high = max(start, target.start), min(start + values.shape[1], target.start + target.width)
    if high > low and found.any():
        out[found, low - target.start:high - target.start] = values[at[found], low - start:high - start]
    return out


def _matched(source: Hourly, target: Hourly, on: list[str]) -> np.ndarray:
    """`source`'s VALUE rows matched to `target`'s key rows on `on` (zeros where none), on target's hour axis."""
    return _on_axis(source[VALUE], source.start, _matching_rows(source, target, on), target)


def _joined_by_plan(series: Hourly, table: pl.LazyFrame, on: list[str]) -> Hourly:
    """series.joined(table, on) (inner) for a table planned with joins of its own that repeats keys (a pattern's
    needs): one query of the series' keys and the table's plan, with no query beforehand to read the table
    (series.joined's, which would find the repeated keys and run this query). A key's matches come in the order
    Polars' plan gives them, not the table's (its inner joins, their order not asked for, run in an order of
    Polars' own), so the plan stays as it is."""
    return replace(series, keys=_internal_last(join(series.keys, table, on).collect(engine=ENGINE)))


def _join_all(left: pl.DataFrame, right: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """join(left, right, on) (inner) of two tables in hand where `right` repeats keys (a group's sub-groups): in
    Python where small_join can, else by Polars."""
    joined = small_join(left, right, on, "inner", repeated=True)
    return joined if joined is not None else table_of(join(left, right, on))


def edge_device_patterns(edge_need_paths: pl.LazyFrame, edge_component_needs: pl.LazyFrame,
                         edge_component_inputs: pl.LazyFrame, edge_server_needs: pl.LazyFrame) -> pl.LazyFrame:
    """The edge patterns each edge device is deployed in: one of its component needs or server needs runs there."""
    component = join(edge_need_paths.filter(pl.col("need_kind") == "component").select(
        "system_id", "usage_pattern_id", pl.col("need_id").alias("component_need_id")),
        join(edge_component_needs.select("system_id", "component_need_id", "component_id"),
             kept(edge_component_inputs, "component_id", "edge_device_id"), ["system_id", "component_id"]),
        ["system_id", "component_need_id"])
    server = join(edge_need_paths.filter(pl.col("need_kind") == "server").select(
        "system_id", "usage_pattern_id", pl.col("need_id").alias("server_need_id")),
        edge_server_needs.select("system_id", "server_need_id", "edge_device_id"), ["system_id", "server_need_id"])
    return pl.concat([component.select(DEVICE), server.select(DEVICE)]).unique(maintain_order=True)


def edge_device_footprints_per_usage_pattern(edge_deployments_in_parallel: Hourly, edge_device_patterns: pl.LazyFrame,
                                             edge_devices: pl.LazyFrame, edge_component_inputs: pl.LazyFrame,
                                             edge_device_units: pl.LazyFrame, edge_component_hourly: Hourly,
                                             edge_usage_patterns: pl.LazyFrame, countries: pl.LazyFrame) -> Hourly:
    """EdgeDevice's per-pattern series: structure_manufacturing_footprint, instances_manufacturing_footprint
    (the structure and every component, used at the pattern or not: an unused one amortizes with the deployment
    like the chassis), instances_energy and use_footprint (its components at the pattern), all x its units.

    Calculation: structure = units x deployments x structure_cfm / lifespan x 1 h; manufacturing = structure +
    units x deployments x sum over components of cfm / lifespan; energy, use = units x sum over used components."""
    cfm = pl.when(pl.col("component_class") == "EdgeStorage").then(
        pl.col("carbon_footprint_manufacturing_per_storage_capacity") * pl.col("storage_capacity_per_unit")
    ).otherwise(pl.col("carbon_footprint_manufacturing_per_unit")) * pl.col("nb_of_units")
    per_component = (edge_component_inputs.group_by(keyed(edge_component_inputs, ["system_id", "edge_device_id"]))
                     .agg((cfm / pl.col("lifespan")).sum().alias("_components_per_hour"), pl.len().alias("_n")))
    devices = join(join(parameters(edge_devices, ["system_id", "edge_device_id"], "lifespan",
                                   "structure_carbon_footprint_manufacturing"),
                        per_component, ["system_id", "edge_device_id"], how="left"),
                   kept(edge_device_units, pl.col("object_id").alias("edge_device_id"), "units"),
                   ["system_id", "edge_device_id"])
    # The small tables joined to each other first: one query on the series' keys.
    patterns = join(join(edge_device_patterns, devices, ["system_id", "edge_device_id"]),
                    parameters(edge_usage_patterns, PATTERN, "usage_span"), PATTERN)
    series = _joined_by_plan(edge_deployments_in_parallel, patterns, PATTERN)
    short = np.flatnonzero(series.keys["lifespan"].to_numpy() < series.keys["usage_span"].to_numpy() - 1e-9)
    if len(short):
        row = series.keys.row(int(short[0]), named=True)
        raise InsufficientCapacityError(
            f"EdgeDevice {str(row['edge_device_id'])!r}", "lifespan", f"{row['lifespan'] / 8766:g} year",
            f"at least the usage span of edge usage pattern {str(row['usage_pattern_id'])!r} "
            f"({row['usage_span'] / 8766:g} year): a device must last its whole deployment")
    used = edge_component_hourly.only(**{VALUE: "energy"}).summed(DEVICE)
    series = _spread(series, used).joined(_carbon_intensity(edge_usage_patterns, countries), PATTERN)
    at = _matching_rows(used, series, DEVICE)
    # a device with no component energy in a pattern (only a server need there, or no used component) has none
    energy_row = np.full(len(at), -1, dtype=np.int64)
    energy_row[at >= 0] = used.rows[at[at >= 0]]
    keys = series.keys
    units = keys.get_column("units")
    structure = keys.get_column("structure_carbon_footprint_manufacturing") / keys.get_column("lifespan")
    components = keys.get_column("_components_per_hour")
    # Columns computed as Series (their arithmetic and nulls Polars' own), not by a query.
    series = replace(series, keys=keys.hstack([
        pl.Series("_energy_row", energy_row),
        (units * structure).alias("_structure_per_hour"),
        (units * (structure + pl.Series(_zero_filled(components)))).alias("_manufacturing_per_hour"),
        (units * keys.get_column("average_carbon_intensity")).alias("_use_kg_per_kwh")]))
    # Blocks: deployments and the components' energy (shared by the variants that have the same); every
    # footprint is one of them times a scalar of the key table, so sweeps over those scalars stay cheap.
    blocks = series.per_distinct(["_energy_row"], lambda distinct: {VALUE: distinct[VALUE], "energy": _on_axis(
        used.blocks[VALUE], used.start, distinct.keys["_energy_row"].to_numpy(), distinct)})
    return blocks.scaling(structure_manufacturing_footprint=(VALUE, "_structure_per_hour"),
                          instances_manufacturing_footprint=(VALUE, "_manufacturing_per_hour"),
                          instances_energy=("energy", "units"),
                          use_footprint=("energy", "_use_kg_per_kwh")).keyed_by(DEVICE, "_n")


def edge_device_footprints(edge_device_footprints_per_usage_pattern: Hourly) -> Hourly:
    """EdgeDevice.instances_manufacturing_footprint, use_footprint and instances_energy: sums over patterns."""
    per_pattern = edge_device_footprints_per_usage_pattern
    columns = ("instances_manufacturing_footprint", "use_footprint", "instances_energy")
    summed = replace(per_pattern, scaled={c: per_pattern.scaled[c] for c in columns}).summed(
        ["system_id", "edge_device_id"])
    # A device deployed in one pattern keeps its scaled columns (cheap sweep totals); sums over several are blocks.
    return summed if summed.scaled else summed.only(*columns)


def edge_component_footprints(edge_component_hourly: Hourly) -> Hourly:
    """EdgeComponent's *_per_edge_device totals (energy, use and manufacturing footprints): sums over patterns."""
    return edge_component_hourly.only("energy", "use_footprint", "manufacturing_footprint").summed(
        ["system_id", "component_id", "edge_device_id"])


def edge_manufacturing_breakdown(edge_device_footprints_per_usage_pattern: Hourly, edge_device_units: pl.LazyFrame,
                                 edge_component_inputs: pl.LazyFrame, edge_deployments_in_parallel: Hourly,
                                 edge_device_patterns: pl.LazyFrame) -> Hourly:
    """EdgeDevice.manufacturing_footprint_breakdown_by_source: per component, its own manufacturing over the
    device's patterns (used there or not) x units, plus an equal share of the structure's.

    Calculation: units x deployments x cfm[c] / lifespan[c] summed over patterns + structure / n components."""
    cfm = pl.when(pl.col("component_class") == "EdgeStorage").then(
        pl.col("carbon_footprint_manufacturing_per_storage_capacity") * pl.col("storage_capacity_per_unit")
    ).otherwise(pl.col("carbon_footprint_manufacturing_per_unit")) * pl.col("nb_of_units")
    components = kept(edge_component_inputs, "edge_device_id", "component_id",
                                        (cfm / pl.col("lifespan")).alias("_per_hour"))
    units = kept(edge_device_units, pl.col("object_id").alias("edge_device_id"), "units")
    per_pattern = edge_deployments_in_parallel.joined(join(edge_device_patterns, join(
        components, units, ["system_id", "edge_device_id"]), ["system_id", "edge_device_id"]), PATTERN)
    own = per_pattern.holding(**{VALUE: per_pattern[VALUE] * per_pattern.parameter("units")
                                 * per_pattern.parameter("_per_hour")}).summed(
        ["system_id", "edge_device_id", "component_id"])
    structure = edge_device_footprints_per_usage_pattern.only(**{VALUE: "structure_manufacturing_footprint"}).summed(
        ["system_id", "edge_device_id"]).joined(
        edge_component_inputs.group_by(keyed(edge_component_inputs, ["system_id", "edge_device_id"])).agg(
            pl.len().alias("_n")),
        ["system_id", "edge_device_id"])
    share = structure.holding(**{VALUE: structure[VALUE] / structure.parameter("_n")})
    own = _spread(own, share)
    return own.holding(**{VALUE: own[VALUE] + _matched(share, own, ["system_id", "edge_device_id"])}).keyed_by(
        ["system_id", "edge_device_id", "component_id"])


def edge_server_need_hourly(edge_deployments_in_parallel: Hourly, edge_need_paths: pl.LazyFrame,
                            server_need_profiles: pl.LazyFrame) -> Hourly:
    """RecurrentServerNeed.unitary_hourly_volume_per_usage_pattern: calls per device per hour (occurrence).

    Calculation: week laid on the span (see _weekly_on_span) x occurrences[need, up]."""
    paths = picked(edge_need_paths, "system_id", "usage_pattern_id", ("server_need_id", "need_id"), "occurrences",
                    where=("need_kind", "server"))
    series = edge_deployments_in_parallel.joined(paths, PATTERN)
    weeks = _weeks(server_need_profiles, "server_need_id", "volume", series.keys)
    volume = _weekly_on_span(series, weeks, np.zeros(series.height, dtype=bool), series.parameter("occurrences"))
    return series.holding(volume=volume, deployed_volume=volume * series[VALUE]).keyed_by(
        ["system_id", "server_need_id", "usage_pattern_id"])


def edge_job_hourly_occurrences_per_coordinate(edge_server_need_hourly: Hourly,
                                               server_need_jobs: pl.LazyFrame) -> Hourly:
    """Job.hourly_occurrences for the edge coordinates (edge pattern, recurrent server need): the server need's
    calls x deployments x the job's times per call. An edge coordinate has no journey (`journey_id` null) and
    holds its recurrent server need in `step_id`, so that web and edge coordinates share one key.

    Calculation: O[J, up, rsn] = volume[rsn, up] x deployments[up] x weight[rsn, J] (not x the device's units,
    as efootprint)."""
    calls = edge_server_need_hourly.joined(picked(
        server_need_jobs, *keyed(server_need_jobs, ["system_id", "server_need_id", "job_id"]), "weight"),
        ["system_id", "server_need_id"])
    keys = calls.keys.hstack([  # columns, not a query
        pl.Series("journey_id", [None] * calls.height, dtype=calls.keys["usage_pattern_id"].dtype),
        calls.keys["server_need_id"].alias("step_id")])
    occurrences = calls["deployed_volume"] * calls.parameter("weight")
    return Hourly.of(keys, {VALUE: occurrences}, calls.start).keyed_by(
        ["system_id", "job_id", "usage_pattern_id", "journey_id", "step_id"])


def edge_component_need_totals(edge_component_need_hourly: Hourly) -> Hourly:
    """RecurrentEdgeComponentNeed.total_hourly_need_across_usage_patterns. Calculation: sum over patterns."""
    return edge_component_need_hourly.only(**{VALUE: "total"}).summed(["system_id", "component_need_id",
                                                                        "total_unit"])


def edge_component_parameters(edge_component_inputs: pl.LazyFrame) -> pl.LazyFrame:
    """Each component's calculated scalars: power, idle_power, carbon_footprint_manufacturing (per unit x units;
    storage: capacity x cfm per capacity), compute, ram, storage_capacity, and the capacity left beyond the base
    consumption (available_compute_per_instance, available_ram_per_instance)."""
    units = pl.col("nb_of_units")
    storage = pl.col("component_class") == "EdgeStorage"
    return edge_component_inputs.select(
        *keyed(edge_component_inputs, ["system_id", "component_id"]), "component_class", "lifespan", "power_per_unit",
        "idle_power_per_unit", "compute_per_unit", "base_compute_consumption", "ram_per_unit", "base_ram_consumption",
        (pl.col("power_per_unit") * units).alias("power"), (pl.col("idle_power_per_unit") * units).alias("idle_power"),
        pl.when(storage).then(pl.col("carbon_footprint_manufacturing_per_storage_capacity")
                              * pl.col("storage_capacity_per_unit") * units)
        .otherwise(pl.col("carbon_footprint_manufacturing_per_unit") * units).alias("carbon_footprint_manufacturing"),
        (pl.col("compute_per_unit") * units).alias("compute"), (pl.col("ram_per_unit") * units).alias("ram"),
        (pl.col("storage_capacity_per_unit") * units).alias("storage_capacity"),
        (pl.col("compute_per_unit") * units - pl.col("base_compute_consumption")).alias("available_compute_per_instance"),
        (pl.col("ram_per_unit") * units - pl.col("base_ram_consumption")).alias("available_ram_per_instance"))
