"""The calculation graph: every stage wired to its inputs by name, as one lazy plan over all systems."""
from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import polars as pl

from efp_tables.builders.archetypes import cloud_instances, ecologits_models, rows_by_key
from efp_tables.engine import ENGINE, ONE_CORE_ROWS, keep_freed_memory, on_one_core
from efp_tables.errors import InsufficientCapacityError
from efp_tables.stages import (attribution, devices, edge, external_apis, jobs, network, servers, storage, system,
                               usage)
from efp_tables.stages.hourly import Hourly
from efp_tables.stages.timeline import VALUE, ByFrame, dimensionless, known_table, lazy_table
from efp_tables.tables.model import Model

# Stages in dependency order. A stage's parameters name the tables or stages it reads (Hamilton style).
STAGES = (
    usage.local_hourly_occurrences, usage.usage_pattern_clock, usage.utc_hourly_occurrences, usage.journey_starts,
    usage.journey_step_windows, usage.journey_duration, usage.nb_usage_journeys_in_parallel_per_usage_pattern,
    usage.step_hourly_avg_occurrences_per_usage_coordinate,
    edge.edge_local_deployment_starts, edge.edge_usage_pattern_clock, edge.edge_utc_deployment_starts,
    edge.edge_deployments_in_parallel, edge.edge_device_units, edge.edge_component_inputs,
    edge.edge_containment_paths, edge.edge_need_paths, edge.edge_component_need_hourly,
    edge.edge_component_hourly, edge.edge_device_patterns, edge.edge_device_footprints_per_usage_pattern,
    edge.edge_device_footprints, edge.edge_component_footprints, edge.edge_manufacturing_breakdown,
    edge.edge_server_need_hourly, edge.edge_job_hourly_occurrences_per_coordinate,
    edge.edge_component_need_totals, edge.edge_component_parameters, edge.system_edge_devices,
    external_apis.external_api_parameters, external_apis.external_api_job_impacts,
    jobs.job_parameters, jobs.job_usage_paths, jobs.job_hourly_occurrences_per_coordinate,
    jobs.job_hourly_occurrences_per_usage_pattern,
    jobs.job_hourly_avg_occurrences_per_coordinate, jobs.job_hourly_avg_occurrences_per_usage_pattern,
    jobs.job_hourly_data_transferred_per_usage_pattern, jobs.job_hourly_data_stored_per_usage_pattern,
    jobs.job_hourly_data_transferred_per_coordinate, jobs.job_hourly_avg_occurrences_across_usage_patterns,
    jobs.job_hourly_data_transferred_across_usage_patterns, jobs.job_hourly_data_stored_across_usage_patterns,
    external_apis.external_api_job_hourly_occurrences, external_apis.external_api_footprints,
    servers.server_hardware, servers.server_capacity, servers.server_job_hourly_needs, servers.server_hourly_needs,
    servers.service_total_job_volumes, servers.server_instances, servers.server_energy,
    servers.server_footprints,
    servers.server_resource_shortages, servers.server_fleet_shortages,
    storage.storage_jobs, storage.full_cumulative_storage_need_per_job, storage.job_written_cumulative_storage_need,
    storage.storage_instances, storage.storage_fleet_shortages, storage.storage_carbon_footprint_manufacturing,
    storage.storage_manufacturing_intensity, storage.storage_footprints,
    network.usage_pattern_network_intensity, network.job_network_intensity_per_usage_pattern,
    network.network_use_footprint_per_job, network.network_use_footprint,
    devices.nb_journeys_in_parallel_per_usage_pattern, devices.device_intensities_per_usage_pattern,
    devices.device_footprints_per_usage_pattern,
    devices.device_footprints,
    system.footprint_by_object, system.total_footprint,
    attribution.attribution,
)


# What compute() runs at once: the stages that the totals and the fleet checks read, which hold every check a
# stage makes. The others (per-coordinate series, breakdowns, the atoms) run when first read, so that a total
# footprint does not pay for them.
EAGER_TARGETS = ("total_footprint", "server_fleet_shortages", "storage_fleet_shortages")

# The query optimizations of a small computation (a model of a few systems, tables of tens of rows): none, its
# passes (pushdowns, common subplans) costing more than such a query (~5-10 % of a model's compute). A larger one
# (a portfolio) and the sweeps keep Polars' defaults.
SMALL_QUERIES = pl.QueryOptFlags.none()
DEFAULT_QUERIES = pl.QueryOptFlags()

# Stage families that a model without their objects need not run: each module declares the input tables that
# drive it (DRIVEN_BY); when the model leaves all of them empty, its stages' outputs are empty too, and are given
# without running their queries (idle_output).
FAMILIES = (edge, external_apis)


@cache
def stages_for(targets: tuple[str, ...]) -> tuple:
    """The stages that the named outputs need, in dependency order (found once per targets: ~0.1 ms)."""
    by_name = {stage.__name__: stage for stage in STAGES}
    needed, pending = set(), list(targets)
    while pending:
        name = pending.pop()
        if name in by_name and name not in needed:
            needed.add(name)
            pending += list(parameters(by_name[name]))
    return tuple(stage for stage in STAGES if stage.__name__ in needed)


@cache
def parameters(stage) -> tuple[str, ...]:
    """The names of what a stage reads (read once per stage: inspect.signature costs more than some stages)."""
    return tuple(inspect.signature(stage).parameters)


# A stage's output: a small table (lazy; a stage may return it eagerly computed), or hourly series as dense
# blocks.
Frame = pl.LazyFrame | Hourly


def build_plan(inputs: dict[str, pl.LazyFrame], materialize: bool = False, stages: tuple = STAGES,
               keep: tuple[str, ...] | None = None, idle: frozenset[str] = frozenset()) -> dict[str, Frame]:
    """Run the stages (all by default) on the named inputs; returns inputs and stage outputs by name (with
    `keep`, only those stages: the others are let go once their last reader has run, and their blocks with them).

    Hourly stages compute their blocks as they run. The small tables are lazy by default; with `materialize`,
    each is collected once and handed on as a LazyFrame over its result: most feed several stages, and Polars
    would otherwise recompute a shared upstream for every consumer. The `idle` stages give their empty outputs
    (see idle_stages)."""
    keep_freed_memory()
    frames = StageFrames(inputs, stages, materialize, idle)
    readers = {stage.__name__: list(parameters(stage)) for stage in stages}
    last_read = {name: at for at, stage in enumerate(stages) for name in readers[stage.__name__]}
    for at, stage in enumerate(stages):
        frames.run(stage, stages)  # computed now, unless beforehand (an input, or a table collected with others)
        if keep is not None:
            for name in readers[stage.__name__]:
                if last_read[name] == at and name in readers and name not in keep:
                    del frames[name]
    return frames


def long(frame: Frame) -> pl.LazyFrame:
    """A stage output as a long LazyFrame (hourly series: one row per series and hour of its span)."""
    return frame.long().lazy() if isinstance(frame, Hourly) else frame


@dataclass
class Results:
    """Results of a model: `results["server_footprints"]` is that stage as a (long) LazyFrame,
    `results.hourly("server_footprints")` its dense blocks."""
    model: Model
    frames: dict[str, Frame]

    def __getitem__(self, name: str) -> pl.LazyFrame:
        return long(self.frames[name])

    def hourly(self, name: str) -> Hourly:
        return self.frames[name]

    def frame(self, name: str, columns: list[str] | None = None, systems: list[str] | None = None) -> pl.DataFrame:
        """One stage as a DataFrame, made anew and not kept (an hourly stage's long rows, only its `columns` if
        given; only the rows of `systems` if given): the output writers take one at a time."""
        frame = self.frames[name]
        if isinstance(frame, Hourly):
            if systems is not None:
                frame = frame.filtered(frame.keys.get_column("system_id").is_in(systems).to_numpy())
            return frame.long(columns)
        table = frame.collect(engine=ENGINE)
        return table if systems is None else table.filter(pl.col("system_id").is_in(systems))

    def check_capacity(self) -> None:
        """efootprint's InsufficientCapacityError where a fixed fleet is too small."""
        names = ("server_fleet_shortages", "storage_fleet_shortages")
        frames = [self.frames[name] for name in names]
        tables = [known_table(frame) for frame in frames]  # computed already (materialized): read with no query
        if any(table is None for table in tables):
            tables = pl.collect_all(frames, engine=ENGINE)
        _raise_on_violations(dict(zip(names, tables)))

    @property
    def stage_names(self) -> list[str]:
        return [stage.__name__ for stage in STAGES]

    @cached_property
    def collected(self) -> dict[str, pl.DataFrame]:
        """Every stage as a DataFrame (fleet capacity checked)."""
        names = self.stage_names
        frames = dict(zip(names, pl.collect_all([self[n] for n in names], engine=ENGINE)))
        _raise_on_violations(frames)
        return frames

    def long(self) -> pl.DataFrame:
        """efootprint's long results table (see io.results_table)."""
        from efp_tables.io.results_table import long_results
        return long_results(self)

    def total_footprint_kg(self) -> dict[str, float]:
        """{system_id: kg over the whole period} (fleet capacity checked)."""
        self.check_capacity()
        total = self.frames["total_footprint"]
        return dict(zip(total.keys["system_id"].to_list(), total[VALUE].sum(axis=1).tolist()))


def compute(model: Model, materialize: bool = True) -> Results:
    """Results of a validated model, each stage computed once: those of the totals now (EAGER_TARGETS), the
    others when first read (`materialize=False` keeps the small tables' plans lazy). Per-instance capacity is
    checked first; fleet limits, which need the hourly instances, when results are read."""
    keep_freed_memory()
    small = model.hourly_rows <= ONE_CORE_ROWS
    with on_one_core(small), dimensionless():
        tables = {name: lazy_table(frame) for name, frame in model.items()}
        optimizations = SMALL_QUERIES if small else DEFAULT_QUERIES
        frames = StageFrames(plan_inputs(tables, materialize, optimizations), STAGES, materialize, idle_stages(model),
                             small, optimizations, dimensionless=True)
        frames.run_all(stages_for(EAGER_TARGETS))
    return Results(model, frames)


def idle_stages(model: Model) -> frozenset[str]:
    """The stages of the families (FAMILIES) whose driving tables the model leaves all empty."""
    return frozenset(stage.__name__ for family in FAMILIES
                     if all(model.table(table).is_empty() for table in family.DRIVEN_BY)
                     for stage in STAGES if stage.__module__ == family.__name__)


class StageFrames(dict):
    """Inputs and stage outputs by name; a stage is computed when first read, from the inputs and stages its
    parameters name, and kept. The `idle` stages (families without objects) give their empty outputs. A stage
    read on its own runs `on_one_core` if `small`. The small tables are collected with these `optimizations`. A
    model's stages (`dimensionless`) run without looking for sweep dimensions (timeline.dimensionless)."""

    def __init__(self, inputs: dict[str, Frame], stages: tuple, materialize: bool, idle: frozenset[str] = frozenset(),
                 small: bool = True, optimizations: pl.QueryOptFlags = DEFAULT_QUERIES, dimensionless: bool = False):
        super().__init__(inputs)
        self._stages = {stage.__name__: stage for stage in stages}
        self._materialize = materialize
        self._idle = idle
        self._small = small
        self._optimizations = optimizations
        self._dimensionless = dimensionless
        self._shapes: dict[str, int] = {}
        self._scoped = False  # within _in_scope: the stages read on the way need not enter it again

    def run_all(self, stages: tuple) -> None:
        """`stages` (in dependency order) computed, as `run` computes each."""
        def run() -> None:
            for stage in stages:
                self.run(stage, stages)
        self._in_scope(run)

    def _in_scope(self, make: Callable[[], object]):
        """make() run on_one_core (if small) and dimensionless (if so), entered once however deep the stages' reads go:
        an entry costs ~5 us, and a model's computation reads ~50 stages."""
        if self._scoped:
            return make()
        self._scoped = True
        try:
            with on_one_core(self._small), dimensionless(self._dimensionless):
                return make()
        finally:
            self._scoped = False

    def run(self, stage, stages: tuple) -> Frame:
        """`stage` computed (if not yet), as one of `stages` (in dependency order). With materialize, a small
        table's plan is collected together with those of the later `stages`' tables that can be planned by then:
        one Polars call for all, where within a computation each call costs ~0.1 ms more than its tables of a few
        rows (Polars' code and data brought back into the CPU's caches after the hourly stages' numpy work)."""
        name = stage.__name__
        if name not in self and self._materialize and _plans_table(stage) and name not in self._idle:
            self._collect_tables([later for later in stages if later.__name__ not in self
                                  and _plans_table(later) and later.__name__ not in self._idle
                                  and all(self._ready(parameter) for parameter in parameters(later))])
        return self[name]

    def _ready(self, name: str) -> bool:
        """In hand, or computable without running a stage of the model's objects (an idle stage of ready ones)."""
        return name in self or (name in self._idle and name in self._stages
                                and all(self._ready(p) for p in parameters(self._stages[name])))

    def _collect_tables(self, stages: list) -> None:
        """The tables of these stages (all of whose inputs are ready), their plans collected in one call."""
        outputs = self._in_scope(lambda: self._tables_of(stages))
        self.update({name: lazy_table(table) if isinstance(table, pl.DataFrame) else table
                     for name, table in outputs.items()})

    def _tables_of(self, stages: list) -> dict[str, Frame | pl.DataFrame]:
        """The stages' outputs, their plans collected."""
        outputs = {stage.__name__: stage(*(self[p] for p in parameters(stage))) for stage in stages}
        # A table a stage made in hand (a lazy_table) has no query left.
        plans = {name: plan for name, plan in outputs.items()
                 if isinstance(plan, pl.LazyFrame) and known_table(plan) is None}
        outputs.update(zip(plans, pl.collect_all(list(plans.values()), engine=ENGINE,
                                                 optimizations=self._optimizations)))
        return outputs

    def __missing__(self, name: str) -> Frame:
        stage = self._stages[name]
        if name in self._idle:
            frame = self._idle_output(stage)
        else:
            frame = self._in_scope(lambda: _handed_on(stage(*(self[parameter] for parameter in parameters(stage))),
                                                      self._materialize, self._optimizations))
        self[name] = frame
        return frame

    def _idle_output(self, stage) -> Frame:
        """An idle stage's output (idle_output), looked up by the shapes of the inputs that decide it: those it
        reads, directly or through its idle inputs, that are not idle (_idle_roots). One look-up per stage, where
        idle_output takes the shape of every input of every idle stage on the way."""
        key = (stage, *(self._shape_id(root) for root in _idle_roots(stage, self._idle, self._stages)))
        frame = _idle_outputs.get(key)
        if frame is None:
            frame = self._in_scope(lambda: idle_output(stage, [self[parameter] for parameter in parameters(stage)]))
            if len(_idle_outputs) >= _FORGET_PAST:
                _idle_outputs.clear()
            _idle_outputs[key] = frame
        return frame

    def _shape_id(self, name: str) -> int:
        """The shape (_shape_id) of an input or stage, taken once per computation: a build_plan lets a stage go
        once its readers have run, and an idle stage read later needs only its shape."""
        shape = self._shapes.get(name)
        if shape is None:
            shape = self._shapes[name] = _shape_id(self[name])
        return shape


@cache
def _plans_table(stage) -> bool:
    """The stage gives a small table's plan (so says its return annotation)."""
    return inspect.signature(stage).return_annotation in ("pl.LazyFrame", pl.LazyFrame)


def _handed_on(frame: Frame | pl.DataFrame, materialize: bool,
               optimizations: pl.QueryOptFlags = DEFAULT_QUERIES) -> Frame:
    """A stage's output as the stages that read it take it: a table computed eagerly (no query left) as a
    LazyFrame over it, a plan collected once (with these `optimizations`) if `materialize`."""
    if isinstance(frame, pl.DataFrame):
        return lazy_table(frame)
    if materialize and isinstance(frame, pl.LazyFrame) and known_table(frame) is None:
        return lazy_table(frame.collect(engine=ENGINE, optimizations=optimizations))
    return frame


def idle_output(stage, inputs: list[Frame]) -> Frame:
    """The output of a stage whose family has no object in the model: the stage's own output on empty inputs
    of the same shapes (tables of the same schemas; hourly series with the same columns on the same hour axis),
    which is what it gives on the model's (its rows all come from the family's empty tables). StageFrames keeps
    each one by shapes: a model then pays no query for it."""
    return _handed_on(stage(*(_empty(_shape(frame)) for frame in inputs)), materialize=True)


def _shape(frame: Frame) -> tuple:
    """What a stage's output schema, columns and hour axis can depend on: all but the rows."""
    if isinstance(frame, Hourly):
        return ("hourly", tuple(zip(frame.keys.columns, frame.keys.dtypes)),
                tuple((c, b.shape[1], b.dtype) for c, b in frame.blocks.items()), frame.start,
                tuple(frame.scaled.items()), tuple(frame.derived.items()))
    table = known_table(frame)  # its columns read directly, where Polars would resolve a plan
    return ("table", tuple(zip(table.columns, table.dtypes)) if table is not None
            else tuple(frame.collect_schema().items()))


def _shape_id(frame: Frame) -> int:
    """A number per distinct _shape: cheap to hash and compare, where a shape's Polars dtypes are compared in Python.
    A table's is remembered per DataFrame (a model's input tables are the same at every computation)."""
    if isinstance(frame, Hourly):
        return _numbered(_shape(frame))
    owner = known_table(frame)
    owner = frame if owner is None else owner
    number = _shape_ids.get(owner)
    if number is None:
        number = _numbered(_shape(frame))
        _shape_ids.put(owner, number)
    return number


def _numbered(shape: tuple) -> int:
    """The number of this shape; numbers are never reused, so that one kept after the table is cleared (past a
    limit) still means its shape."""
    number = _shape_numbers.get(shape)
    if number is None:
        if len(_shape_numbers) >= _FORGET_PAST:
            _shape_numbers.clear()
        number = _shape_numbers[shape] = next(_next_shape_number)
    return number


_shape_ids = ByFrame()
_shape_numbers: dict[tuple, int] = {}
_next_shape_number = itertools.count()
# Idle outputs by (stage, shape numbers of its roots). It and _shape_numbers are forgotten all at once past this many
# entries.
_idle_outputs: dict[tuple, Frame] = {}
_FORGET_PAST = 1024


def _idle_roots(stage, idle: frozenset[str], stages: dict) -> tuple[str, ...]:
    """The inputs and stages that are not `idle` and that an idle stage reads, directly or through idle stages (of
    `stages`, by name): their shapes decide its output."""
    key = (stage, idle)
    roots = _roots.get(key)
    if roots is None:
        found = {}
        for name in parameters(stage):
            found.update(dict.fromkeys(_idle_roots(stages[name], idle, stages) if name in idle else (name,)))
        roots = _roots[key] = tuple(found)
    return roots


_roots: dict[tuple, tuple[str, ...]] = {}


def _empty(shape: tuple) -> Frame:
    """A frame of this shape (see _shape) without rows."""
    if shape[0] == "hourly":
        _, keys, blocks, start, scaled, derived = shape
        return Hourly(pl.DataFrame(schema=dict(keys)), {c: np.zeros((0, width), dtype) for c, width, dtype in blocks},
                      start, dict(scaled), dict(derived))
    return pl.DataFrame(schema=dict(shape[1])).lazy()


def plan_inputs(tables: dict[str, pl.LazyFrame], materialize: bool = True,
                optimizations: pl.QueryOptFlags = DEFAULT_QUERIES) -> dict[str, Frame]:
    """The input tables, the cloud instance and EcoLogits archetypes (those the model names) and the servers'
    per-instance hardware and capacity, checked first (the hourly stages divide by it; its stage
    server_resource_shortages is then computed too), their queries run with these `optimizations`."""
    cloud = _archetypes_named(cloud_instances, ("provider", "instance_type"), tables["servers"])
    models = _archetypes_named(ecologits_models, ("api_class", "provider", "model_name"), tables["external_apis"])
    inputs = {**tables, "cloud_instances": lazy_table(cloud), "ecologits_models": lazy_table(models)}
    hardware = servers.server_hardware(inputs["servers"], inputs["cloud_instances"])
    if materialize:
        hardware = lazy_table(hardware.collect(engine=ENGINE, optimizations=optimizations))
    capacity = servers.server_capacity(hardware, inputs["services"])
    if materialize:
        capacity = lazy_table(capacity.collect(engine=ENGINE, optimizations=optimizations))
    shortages = servers.server_resource_shortages(capacity)  # a table in hand
    _raise_on_shortages(known_table(shortages), "server")
    return {**inputs, "server_hardware": hardware, "server_capacity": capacity, "server_resource_shortages": shortages}


def _archetypes_named(archetypes: Callable[[], pl.DataFrame], key: tuple[str, ...],
                      named_by: pl.LazyFrame) -> pl.DataFrame:
    """The rows of an archetype table (cloud instances, EcoLogits models) whose `key` a model's table names (all of
    them when that table is a plan), in their order: the stage that joins them then hashes a few rows, not hundreds
    or thousands (~0.1-0.2 ms of a model's compute each)."""
    table = known_table(named_by)
    if table is None:
        return archetypes()
    named, rows = set(zip(*(table.get_column(column).to_list() for column in key))), rows_by_key(archetypes, key)
    return archetypes()[pl.Series(sorted(row for value in named for row in rows.get(value, ())), dtype=pl.UInt32)]


def compute_tables(tables: dict[str, pl.LazyFrame], materialize: bool = True, stages: tuple = STAGES,
                   keep: tuple[str, ...] | None = None, idle: frozenset[str] = frozenset()) -> dict[str, Frame]:
    """The stages on input tables (a model's, or a sweep's with dimension columns): only the stages `keep` names
    if given (see build_plan), else all of `stages`; the `idle` ones as empties."""
    frames = build_plan(plan_inputs(tables, materialize), materialize, stages, keep, idle)
    return {name: frames[name] for name in ([stage.__name__ for stage in stages] if keep is None else keep)}


def _raise_on_violations(frames: dict[str, pl.DataFrame]) -> None:
    _raise_on_shortages(frames["server_fleet_shortages"], "server")
    _raise_on_shortages(frames["storage_fleet_shortages"], "storage")  # a storage lacks instances only


def _raise_on_shortages(shortages: pl.DataFrame, kind: str) -> None:
    """efootprint's InsufficientCapacityError, naming the input to change."""
    for row in shortages.iter_rows(named=True):
        obj = f"{kind.capitalize()} {row[f'{kind}_id']!r} (system {row['system_id']!r})"
        if row.get("resource", "number of instances") == "number of instances":
            raise InsufficientCapacityError(obj, "fixed_nb_of_instances", f"{row['available']:g} available",
                                            f"at least the peak of {row['requested']:g} instances needed")
        resource, unit = ("ram", " GB_ram") if row["resource"] == "RAM" else ("compute", "")
        raise InsufficientCapacityError(
            obj, f"base_{resource}_consumption",
            f"{row['requested']:g}{unit} of {row['resource']} occupied per instance (with installed services)",
            f"less than the {row['available']:g}{unit} usable per instance ({resource} x utilization_rate)")