"""efootprint's long results table: one row per (object, attribute, key, hour), with efootprint's attribute
names and units, so that results compare one to one with efootprint's (shared/tools/parity.py)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from efp_tables.engine import ENGINE
from efp_tables.io.atomic import atomic_path

COLUMNS = {"object_class": pl.String, "object_id": pl.String, "object_name": pl.String, "attribute": pl.String,
           "key_id": pl.String, "kind": pl.String, "unit": pl.String, "hour": pl.Datetime("us"),
           "value": pl.Float64}
_US_PER_HOUR = 3_600_000_000
# An output table of a portfolio is made for systems of up to this many hourly input rows at a time (about four
# systems of one usage pattern over three years: under 2 GB for the widest table, jobs_hourly; as fast as more).
PART_HOURLY_ROWS = 100_000


@dataclass(frozen=True)
class Attribute:
    """Where an efootprint attribute lives in our results: `frame`'s column `column` (hourly when the frame
    has an `hour` column), for objects of `table` identified by `id`, keyed by `key` (an expression)."""
    object_table: str
    attribute: str
    frame: str
    id: str
    column: str = "value"
    unit: str | pl.Expr = ""
    key: pl.Expr | None = None
    classes: tuple[str, ...] | None = None  # only rows of these object classes


def _path(first: str, *rest: str) -> pl.Expr:
    """efootprint's coordinate key: "{pattern}/journey/{journey}/step/{step}"."""
    pieces = [pl.col(first)]
    for part in rest:
        pieces += [pl.lit(f"/{_LABELS[part]}/"), pl.col(part)]
    return pl.concat_str(pieces)


_LABELS = {"journey_id": "journey", "step_id": "step"}
UP = pl.col("usage_pattern_id")
# A job's coordinate: web "{pattern}/journey/{journey}/step/{step}", edge "{pattern}/recurrent-server-need/{rsn}"
# (an edge coordinate has no journey and holds its recurrent server need in step_id, see stages.edge).
_COORDINATE = (pl.when(pl.col("journey_id").is_null())
               .then(pl.concat_str([UP, pl.lit("/recurrent-server-need/"), pl.col("step_id")]))
               .otherwise(_path("usage_pattern_id", "journey_id", "step_id")))
COMPUTE_UNIT = pl.when(pl.col("object_class") == "GPUServer").then(pl.lit("gpu")).otherwise(pl.lit("cpu_core"))

# Edge. A component's need unit follows its kind; builder components mirror their device's inputs.
_CPU, _RAM = ("EdgeCPUComponent", "EdgeComputerCPUComponent"), ("EdgeRAMComponent", "EdgeComputerRAMComponent")
_WORKLOAD, _STORAGE = ("EdgeWorkloadComponent", "EdgeApplianceComponent"), ("EdgeStorage",)
_POWERED = (*_CPU, *_RAM, *_WORKLOAD)
_STORAGE_NEEDS = ("RecurrentEdgeStorageNeed", "RecurrentEdgeProcessStorageNeed")
_NEED_UNIT = pl.col("need_unit")  # a column of the edge need frames: the unit of their component's kind
EDGE_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("edge_usage_patterns", "utc_hourly_deployment_starts", "edge_utc_deployment_starts", "usage_pattern_id",
              unit="occurrence"),
    Attribute("edge_usage_patterns", "nb_deployments_in_parallel", "edge_deployments_in_parallel", "usage_pattern_id",
              unit="concurrent"),
    Attribute("edge_component_needs", "unitary_hourly_need_per_usage_pattern", "edge_component_need_hourly",
              "component_need_id", "need", _NEED_UNIT, key=UP),
    Attribute("edge_component_needs", "cumulative_unitary_storage_need_per_usage_pattern",
              "edge_component_need_hourly", "component_need_id", "cumulative", "terabyte_stored", key=UP,
              classes=_STORAGE_NEEDS),
    Attribute("edge_component_needs", "total_hourly_need_across_usage_patterns", "edge_component_need_totals",
              "component_need_id", "value", pl.col("total_unit")),
    *(Attribute("edge_components", name, "edge_component_hourly", "component_id", "need", unit, key=UP,
                classes=classes)
      for name, unit, classes in (("unitary_hourly_compute_need_per_usage_pattern", "cpu_core", _CPU),
                                  ("unitary_hourly_ram_need_per_usage_pattern", "gigabyte_ram", _RAM),
                                  ("unitary_hourly_workload_per_usage_pattern", "concurrent", _WORKLOAD),
                                  ("cumulative_unitary_storage_need_per_usage_pattern", "terabyte_stored", _STORAGE))),
    *(Attribute("edge_components", name, "edge_component_hourly", "component_id", column, unit, key=UP,
                classes=classes)
      for name, column, unit, classes in (
          ("unitary_power_per_usage_pattern", "unitary_power", "kilowatt", _POWERED),
          ("energy_per_edge_device_per_usage_pattern", "energy", "kilowatt_hour", _POWERED),
          ("use_footprint_per_edge_device_per_usage_pattern", "use_footprint", "kilogram", _POWERED),
          ("manufacturing_footprint_per_edge_device_per_usage_pattern", "manufacturing_footprint", "kilogram",
           None))),
    *(Attribute("edge_components", name, "edge_component_footprints", "component_id", column, unit, classes=classes)
      for name, column, unit, classes in (
          ("energy_per_edge_device", "energy", "kilowatt_hour", _POWERED),
          ("use_footprint_per_edge_device", "use_footprint", "kilogram", _POWERED),
          ("manufacturing_footprint_per_edge_device", "manufacturing_footprint", "kilogram", None))),
    *(Attribute("edge_components", name, "edge_component_parameters", "component_id", name, unit, classes=classes)
      for name, unit, classes in (
          ("carbon_footprint_manufacturing", "kilogram", None), ("power", "kilowatt", _POWERED),
          ("idle_power", "kilowatt", _POWERED), ("compute", "cpu_core", _CPU), ("ram", "gigabyte_ram", _RAM),
          ("storage_capacity", "terabyte_stored", _STORAGE),
          ("available_compute_per_instance", "cpu_core", _CPU), ("available_ram_per_instance", "gigabyte_ram", _RAM),
          ("lifespan", "hour", ("EdgeComputerCPUComponent", "EdgeComputerRAMComponent", "EdgeApplianceComponent")),
          ("power_per_unit", "kilowatt", ("EdgeComputerCPUComponent", "EdgeApplianceComponent")),
          ("idle_power_per_unit", "kilowatt", ("EdgeComputerCPUComponent", "EdgeApplianceComponent")),
          ("compute_per_unit", "cpu_core", ("EdgeComputerCPUComponent",)),
          ("base_compute_consumption", "cpu_core", ("EdgeComputerCPUComponent",)),
          ("ram_per_unit", "gigabyte_ram", ("EdgeComputerRAMComponent",)),
          ("base_ram_consumption", "gigabyte_ram", ("EdgeComputerRAMComponent",)))),
    *(Attribute("edge_devices", name, "edge_device_footprints_per_usage_pattern", "edge_device_id", column, unit,
                key=UP)
      for name, column, unit in (
          ("structure_manufacturing_footprint_per_usage_pattern", "structure_manufacturing_footprint", "kilogram"),
          ("instances_manufacturing_footprint_per_usage_pattern", "instances_manufacturing_footprint", "kilogram"),
          ("instances_energy_per_usage_pattern", "instances_energy", "kilowatt_hour"),
          ("use_footprint_per_usage_pattern", "use_footprint", "kilogram"))),
    *(Attribute("edge_devices", name, "edge_device_footprints", "edge_device_id", name, unit)
      for name, unit in (("instances_manufacturing_footprint", "kilogram"), ("use_footprint", "kilogram"),
                         ("instances_energy", "kilowatt_hour"))),
    Attribute("edge_devices", "manufacturing_footprint_breakdown_by_source", "edge_manufacturing_breakdown",
              "edge_device_id", unit="kilogram", key=pl.col("component_id")),
    Attribute("edge_devices", "total_nb_of_units", "edge_device_units", "object_id", "units", "dimensionless"),
    Attribute("edge_devices", "structure_carbon_footprint_manufacturing", "edge_device_units", "object_id",
              "structure_carbon_footprint_manufacturing", "kilogram", classes=("EdgeComputer", "EdgeAppliance")),
    Attribute("edge_device_groups", "effective_nb_of_units_within_root", "edge_device_units", "object_id", "units",
              "dimensionless"),
    Attribute("edge_server_needs", "unitary_hourly_volume_per_usage_pattern", "edge_server_need_hourly",
              "server_need_id", "volume", "occurrence", key=UP),
)

# External APIs through EcoLogits (stages.external_apis).
_LLM_API, _VIDEO_API = ("EcoLogitsGenAIExternalAPI",), ("EcoLogitsVideoGenExternalAPI",)
_LLM_JOB, _VIDEO_GEN_JOB = ("EcoLogitsGenAIExternalAPIJob",), ("EcoLogitsVideoGenExternalAPIJob",)
_APIS, _API_JOBS = (*_LLM_API, *_VIDEO_API), (*_LLM_JOB, *_VIDEO_GEN_JOB)
EXTERNAL_API_ATTRIBUTES: tuple[Attribute, ...] = (
    *(Attribute("external_apis", name, "external_api_parameters", "external_api_id", name, unit, classes=classes)
      for name, unit, classes in (
          ("model_total_params", "billion", _LLM_API), ("model_active_params", "billion", _LLM_API),
          ("tokens_per_second", "dimensionless", _LLM_API), ("time_to_first_token", "second", _LLM_API),
          ("data_center_pue", "dimensionless", _APIS),
          ("average_carbon_intensity", "kilogram / kilowatt_hour", _APIS))),
    *(Attribute("jobs", name, "external_api_job_impacts", "job_id", name, unit, classes=classes)
      for name, unit, classes in (
          ("generation_latency", "second", _API_JOBS), ("request_energy", "kilowatt_hour", _API_JOBS),
          ("request_usage_gwp", "kilogram", _API_JOBS), ("request_embodied_gwp", "kilogram", _API_JOBS),
          ("gpu_energy", "kilowatt_hour", _LLM_JOB), ("gpu_required_count", "dimensionless", _LLM_JOB),
          ("model_required_memory", "gigabyte_ram", _LLM_JOB), ("server_energy", "kilowatt_hour", _LLM_JOB),
          ("request_it_energy", "kilowatt_hour", _LLM_JOB), ("server_gpu_embodied_gwp", "kilogram", _LLM_JOB),
          ("server_accelerator_energy", "kilowatt_hour", _VIDEO_GEN_JOB),
          ("server_accelerator_embodied_gwp", "kilogram", _VIDEO_GEN_JOB))),
    Attribute("jobs", "hourly_occurrences_across_usage_patterns", "external_api_job_hourly_occurrences", "job_id",
              unit="occurrence", classes=_API_JOBS),
    *(Attribute("external_api_servers", name, "external_api_footprints", "external_api_server_id", name, unit)
      for name, unit in (("instances_energy", "kilowatt_hour"), ("instances_manufacturing_footprint", "kilogram"),
                         ("use_footprint", "kilogram"))),
)

ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("usage_patterns", "utc_hourly_occurrences", "utc_hourly_occurrences", "usage_pattern_id",
              unit="occurrence"),
    Attribute("usage_journeys", "duration", "journey_duration", "journey_id", "duration", "hour"),
    Attribute("usage_journeys", "nb_usage_journeys_in_parallel_per_usage_pattern",
              "nb_usage_journeys_in_parallel_per_usage_pattern", "journey_id", unit="concurrent", key=UP),
    Attribute("usage_journey_steps", "hourly_avg_occurrences_per_usage_coordinate",
              "step_hourly_avg_occurrences_per_usage_coordinate", "step_id", unit="concurrent",
              key=_path("usage_pattern_id", "journey_id")),
    # Jobs
    Attribute("jobs", "hourly_occurrences_per_usage_pattern", "job_hourly_occurrences_per_usage_pattern", "job_id",
              unit="occurrence", key=UP),
    Attribute("jobs", "hourly_avg_occurrences_per_usage_pattern", "job_hourly_avg_occurrences_per_usage_pattern",
              "job_id", unit="concurrent", key=UP),
    Attribute("jobs", "hourly_avg_occurrences_per_coordinate", "job_hourly_avg_occurrences_per_coordinate", "job_id",
              unit="concurrent", key=_COORDINATE),
    Attribute("jobs", "hourly_data_transferred_per_usage_pattern", "job_hourly_data_transferred_per_usage_pattern",
              "job_id", unit="megabyte", key=UP),
    Attribute("jobs", "hourly_data_stored_per_usage_pattern", "job_hourly_data_stored_per_usage_pattern", "job_id",
              unit="megabyte_stored", key=UP),
    Attribute("jobs", "hourly_data_transferred_per_coordinate", "job_hourly_data_transferred_per_coordinate",
              "job_id", unit="megabyte", key=_COORDINATE),
    Attribute("jobs", "hourly_avg_occurrences_across_usage_patterns",
              "job_hourly_avg_occurrences_across_usage_patterns", "job_id", unit="concurrent"),
    Attribute("jobs", "hourly_data_transferred_across_usage_patterns",
              "job_hourly_data_transferred_across_usage_patterns", "job_id", unit="megabyte"),
    Attribute("jobs", "hourly_data_stored_across_usage_patterns", "job_hourly_data_stored_across_usage_patterns",
              "job_id", unit="megabyte_stored"),
    Attribute("jobs", "dynamic_bitrate", "job_parameters", "job_id", "dynamic_bitrate", "megabyte / second",
              classes=("VideoStreamingJob",)),
    Attribute("jobs", "data_transferred", "job_parameters", "job_id", "data_transferred", "megabyte",
              classes=("VideoStreamingJob", *_LLM_JOB, *_VIDEO_GEN_JOB)),
    # Calculated for service jobs (from the stream, or from Boavizta's ecobenchmark), inputs of plain jobs.
    *(Attribute("jobs", name, "job_parameters", "job_id", name, unit,
                classes=("VideoStreamingJob", "WebApplicationJob"))
      for name, unit in (("compute_needed", "cpu_core"), ("ram_needed", "gigabyte_ram"))),
    Attribute("jobs", "request_duration", "job_parameters", "job_id", "request_duration", "hour",
              classes=("VideoStreamingJob", "WebApplicationJob", *_LLM_JOB, *_VIDEO_GEN_JOB)),
    # Servers
    Attribute("servers", "hour_by_hour_ram_need", "server_hourly_needs", "server_id", "ram_need", "gigabyte_ram"),
    Attribute("servers", "hour_by_hour_compute_need", "server_hourly_needs", "server_id", "compute_need",
              COMPUTE_UNIT),
    *(Attribute("servers", name, "server_capacity", "server_id", name, unit)
      for name, unit in (("occupied_ram_per_instance", "gigabyte_ram"), ("available_ram_per_instance", "gigabyte_ram"),
                         ("occupied_compute_per_instance", COMPUTE_UNIT),
                         ("available_compute_per_instance", COMPUTE_UNIT))),
    *(Attribute("servers", name, "server_hardware", "server_id", name, unit, classes=classes)
      for name, unit, classes in (
          ("carbon_footprint_manufacturing", "kilogram", ("GPUServer", "BoaviztaCloudServer")),
          ("power", "kilowatt", ("GPUServer", "BoaviztaCloudServer")),
          ("idle_power", "kilowatt", ("GPUServer",)),
          ("ram", "gigabyte_ram", ("GPUServer", "BoaviztaCloudServer")),
          ("compute", "cpu_core", ("BoaviztaCloudServer",)))),
    Attribute("servers", "raw_nb_of_instances", "server_instances", "server_id", "raw_nb_of_instances", "concurrent"),
    Attribute("servers", "nb_of_instances", "server_instances", "server_id", "nb_of_instances", "concurrent"),
    *(Attribute("servers", name, "server_footprints", "server_id", name, unit)
      for name, unit in (("instances_energy", "kilowatt_hour"), ("idle_use_footprint", "kilogram"),
                         ("load_use_footprint", "kilogram"), ("use_footprint", "kilogram"),
                         ("instances_manufacturing_footprint", "kilogram"))),
    Attribute("servers", "service_total_job_volumes", "service_total_job_volumes", "server_id", unit="concurrent",
              key=pl.col("service_id")),
    # Storage
    Attribute("storages", "carbon_footprint_manufacturing", "storage_carbon_footprint_manufacturing", "storage_id",
              unit="kilogram"),
    Attribute("storages", "full_cumulative_storage_need_per_job", "full_cumulative_storage_need_per_job",
              "storage_id", unit="terabyte_stored", key=pl.col("job_id")),
    *(Attribute("storages", name, "storage_instances", "storage_id", name, unit)
      for name, unit in (("job_written_cumulative_storage_need", "terabyte_stored"),
                         ("full_cumulative_storage_need", "terabyte_stored"), ("raw_nb_of_instances", "concurrent"),
                         ("nb_of_instances", "concurrent"))),
    *(Attribute("storages", name, "storage_footprints", "storage_id", name, "kilogram")
      for name in ("instances_manufacturing_footprint", "storage_retention_manufacturing_footprint",
                   "storage_baseline_manufacturing_footprint")),
    # Network
    Attribute("networks", "use_footprint_per_job", "network_use_footprint_per_job", "network_id", unit="kilogram",
              key=pl.col("job_id")),
    Attribute("networks", "use_footprint", "network_use_footprint", "network_id", unit="kilogram"),
    # Devices
    Attribute("devices", "nb_journeys_in_parallel_per_usage_pattern", "nb_journeys_in_parallel_per_usage_pattern",
              "device_id", unit="concurrent", key=UP),
    Attribute("devices", "use_footprint_per_usage_pattern", "device_footprints_per_usage_pattern", "device_id",
              "use_footprint", "kilogram", key=UP),
    Attribute("devices", "instances_manufacturing_footprint_per_usage_pattern", "device_footprints_per_usage_pattern",
              "device_id", "instances_manufacturing_footprint", "kilogram", key=UP),
    Attribute("devices", "use_footprint", "device_footprints", "device_id", "use_footprint", "kilogram"),
    Attribute("devices", "instances_manufacturing_footprint", "device_footprints", "device_id",
              "instances_manufacturing_footprint", "kilogram"),
    # System
    Attribute("systems", "total_footprint", "total_footprint", "system_id", unit="kilogram"),
    *EDGE_ATTRIBUTES,
    *EXTERNAL_API_ATTRIBUTES,
)

# Attributes efootprint always leaves empty in the web model (no value, kind "empty").
EMPTY = (("storages", "instances_energy"), ("storages", "use_footprint"),
         ("networks", "instances_manufacturing_footprint"), ("servers", "fixed_nb_of_instances_validation"),
         ("usage_patterns", "usage_journeys_validation"))
_CLASS_COLUMN = {"servers": "server_class", "jobs": "job_class", "services": "service_class",
                 "external_apis": "api_class", "external_api_servers": "server_class",
                 "edge_devices": "device_class", "edge_components": "component_class",
                 "edge_device_needs": "need_class", "edge_component_needs": "need_class"}


def objects(model) -> pl.LazyFrame:
    """(system_id, object_table, object_id, object_class, object_name) of every object of the model."""
    from efp_tables.tables import schema as s
    frames = []
    for table in (*s.OBJECT_TABLES, s.SYSTEMS):
        frame = model.table(table.name)
        cls = pl.col(_CLASS_COLUMN[table.name]) if table.name in _CLASS_COLUMN else pl.lit(table.object_class)
        frames.append(frame.lazy().select("system_id", pl.lit(table.name).alias("object_table"),
                                          pl.col(table.id or "system_id").alias("object_id"),
                                          cls.alias("object_class"), pl.col("name").alias("object_name")))
    return pl.concat(frames)


def _rows(frame: pl.LazyFrame, spec: Attribute) -> pl.LazyFrame:
    hourly = "hour" in frame.collect_schema().names()
    hour = ((pl.col("hour") * _US_PER_HOUR).cast(pl.Datetime("us")) if hourly
            else pl.lit(None, dtype=pl.Datetime("us")))
    selected = frame.select(
        "system_id", pl.lit(spec.object_table).alias("object_table"), pl.col(spec.id).alias("object_id"),
        pl.lit(spec.attribute).alias("attribute"),
        (spec.key if spec.key is not None else pl.lit("")).alias("key_id"),
        pl.lit("hourly" if hourly else "scalar").alias("kind"), hour.alias("hour"),
        pl.col(spec.column).cast(pl.Float64).alias("value"),
        *(pl.col(c) for c in ("need_unit", "total_unit") if c in frame.collect_schema().names()))
    return selected.filter(pl.col("value").is_not_null())


def long_results(results, attributes: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The long table of every attribute we compute, for all systems of `results` (a compute.Results); with
    `attributes`, only the rows of those (e.g. the footprints a report shows: a fraction of the rows)."""
    return pl.concat(long_result_parts(results, attributes))


def system_groups(model) -> list[list[str] | None]:
    """The model's systems in groups of consecutive ids (sorted) whose hourly inputs hold about PART_HOURLY_ROWS
    rows at most (a system alone if it has more): an output table of a large portfolio is made a group at a time,
    in a bounded memory. [None] (all at once) when they fit in one."""
    if model.hourly_rows <= PART_HOURLY_ROWS:
        return [None]
    rows = dict(pl.concat([model.table(name).select("system_id")
                           for name in ("hourly_occurrences", "edge_deployment_starts")])
                .group_by("system_id").len().iter_rows())
    groups, size = [[]], 0
    for system_id in sorted(model.system_ids):
        if groups[-1] and size + rows.get(system_id, 0) > PART_HOURLY_ROWS:
            groups.append([])
            size = 0
        groups[-1].append(system_id)
        size += rows.get(system_id, 0)
    return groups


def long_result_parts(results, attributes: tuple[str, ...] | None = None) -> Iterator[pl.DataFrame]:
    """`long_results`, attribute by attribute (fleet capacity checked first), and for a large portfolio group of
    systems by group (system_groups): each stage's long rows are made for the one column and the systems a part
    needs and let go, so a writer holds one part at a time."""
    results.check_capacity()
    names = objects(results.model).collect(engine=ENGINE).lazy()
    groups = system_groups(results.model)
    for spec in ATTRIBUTES:
        if attributes is not None and spec.attribute not in attributes:
            continue
        for systems in groups:
            rows = _rows(results.frame(spec.frame, [spec.column], systems).lazy(), spec).join(
                names, on=["system_id", "object_table", "object_id"])
            if spec.classes:
                rows = rows.filter(pl.col("object_class").is_in(spec.classes))
            unit = spec.unit if isinstance(spec.unit, pl.Expr) else pl.lit(spec.unit)
            yield rows.with_columns(unit.alias("unit")).select("system_id", *COLUMNS).collect(engine=ENGINE)
    empty = [(table, attribute) for table, attribute in EMPTY if attributes is None or attribute in attributes]
    if empty:
        yield pl.concat([names.filter(pl.col("object_table") == table).select(
            "system_id", *[pl.lit(None, dtype=dtype).alias(column) for column, dtype in COLUMNS.items()
                           if column in ("hour", "value")], "object_class", "object_id", "object_name",
            attribute=pl.lit(attribute), key_id=pl.lit(""), kind=pl.lit("empty"), unit=pl.lit(""))
            for table, attribute in empty]).select("system_id", *COLUMNS).collect(engine=ENGINE)


def with_units(frame: pl.DataFrame, units: dict[str, str],
               notes: dict[str, dict[str, str]] | None = None) -> pa.Table:
    """`frame` as an Arrow table whose columns carry their pint unit ({column: unit}) in the field metadata
    (key "unit"), plus any other `notes` ({column: {key: value}}). Parquet keeps field metadata; pyarrow reads it
    back (`pyarrow.parquet.read_schema(path).field(column).metadata`)."""
    table = frame.to_arrow()  # large strings, not string views, which readers before Arrow 16 do not know
    metadata = {column: {"unit": unit} for column, unit in units.items()}
    for column, extra in (notes or {}).items():
        metadata.setdefault(column, {}).update(extra)
    unknown = sorted(set(metadata) - set(table.column_names))
    if unknown:
        raise ValueError(f"metadata for columns {unknown} that the frame does not have ({table.column_names})")
    fields = [field.with_metadata({**(field.metadata or {}), **{k.encode(): v.encode() for k, v in
                                                               metadata.get(field.name, {}).items()}})
              for field in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def write_arrow(table: pa.Table, path: str | Path) -> None:
    """Parquet (zstd) of an Arrow table, field metadata included."""
    pq.write_table(table, path, compression="zstd")


def write_parquet_atomic(frame: pl.DataFrame, path: str | Path, units: dict[str, str] | None = None) -> Path:
    """Write Parquet (zstd) atomically: readers never see a half-written file. `units` ({column: pint unit})
    go into the columns' Arrow field metadata (see `with_units`)."""
    with atomic_path(path) as temporary:
        write_arrow(with_units(frame, units or {}), temporary)
    return Path(path)
