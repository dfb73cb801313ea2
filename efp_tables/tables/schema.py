"""The input tables of a model: one definition per table, from which the pandera schema, the canonical unit of
every quantity column and the link checks all derive.

Every table carries `system_id`, so a portfolio of systems is just more rows. Link columns hold ids of rows of
another table (`link=`). Quantity columns are Float64 in the canonical unit given here; `hour` columns are
Int64 hours since 1970-01-01 00:00 (UTC for computed series, local wall clock for input occurrences).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import polars as pl


@dataclass(frozen=True)
class Field:
    name: str
    dtype: type[pl.DataType] | pl.DataType = pl.Float64
    unit: str | None = None  # canonical pint unit of a quantity column; None for text, ids and counts
    nullable: bool = False
    ge: float | None = None  # lower bound (inclusive)
    gt: float | None = None  # lower bound (exclusive)
    le: float | None = None
    isin: tuple[str, ...] | None = None
    link: str | None = None  # name of the table whose id this column holds


@dataclass(frozen=True)
class Table:
    name: str
    id: str | None  # id column (None for edge tables)
    fields: tuple[Field, ...]
    object_class: str | None = None
    key: tuple[str, ...] = ()  # unique key of edge tables

    @cached_property  # read for every table of every model built
    def columns(self) -> dict[str, pl.DataType]:
        return {"system_id": pl.String, **{f.name: f.dtype for f in self.fields}}

    @property
    def units(self) -> dict[str, str]:
        return {f.name: f.unit for f in self.fields if f.unit is not None}

    @property
    def links(self) -> dict[str, str]:
        return {f.name: f.link for f in self.fields if f.link}

    def unique_key(self) -> list[str]:
        return ["system_id", self.id] if self.id else ["system_id", *self.key]

    def empty(self) -> pl.DataFrame:
        return self._empty.clone()

    @cached_property  # a model has some twenty empty tables: building one costs ~25 us, a copy ~1 us
    def _empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.columns)

    @property
    def schema(self) -> pa.DataFrameSchema:
        return _pandera_schema(self)


def _checks(f: Field) -> list[pa.Check]:
    import pandera.polars as pa
    checks = []
    if f.ge is not None:
        checks.append(pa.Check.ge(f.ge))
    if f.gt is not None:
        checks.append(pa.Check.gt(f.gt))
    if f.le is not None:
        checks.append(pa.Check.le(f.le))
    if f.isin is not None:
        checks.append(pa.Check.isin(list(f.isin)))
    return checks


def _pandera_schema(table: Table) -> pa.DataFrameSchema:
    # pandera (and the pandas it imports) load in about 1 s: only when a schema is asked for.
    import pandera.polars as pa
    columns = {"system_id": pa.Column(pl.String, nullable=False)}
    for f in table.fields:
        columns[f.name] = pa.Column(f.dtype, checks=_checks(f), nullable=f.nullable)
    return pa.DataFrameSchema(columns, strict=True, unique=table.unique_key(), name=table.name)


def _name() -> Field:
    return Field("name", pl.String)


# system_id is both the partition key and the id of this table, so it is not repeated in `fields`.
SYSTEMS = Table("systems", None, (_name(),), "System", key=())

COUNTRIES = Table("countries", "country_id", (
    Field("country_id", pl.String), _name(), Field("short_name", pl.String),
    Field("average_carbon_intensity", unit="kilogram / kilowatt_hour", ge=0),
    Field("timezone", pl.String),
), "Country")

DEVICES = Table("devices", "device_id", (
    Field("device_id", pl.String), _name(),
    Field("carbon_footprint_manufacturing", unit="kilogram", ge=0),
    Field("power", unit="kilowatt", ge=0),
    Field("lifespan", unit="hour", gt=0),
    Field("fraction_of_usage_time", unit="dimensionless", gt=0, le=1),
), "Device")

NETWORKS = Table("networks", "network_id", (
    Field("network_id", pl.String), _name(),
    Field("bandwidth_energy_intensity", unit="kilowatt_hour / megabyte", ge=0),
), "Network")

STORAGES = Table("storages", "storage_id", (
    Field("storage_id", pl.String), _name(),
    Field("carbon_footprint_manufacturing_per_storage_capacity", unit="kilogram / terabyte_stored", ge=0),
    Field("storage_capacity", unit="terabyte_stored", gt=0),
    Field("data_replication_factor", unit="dimensionless", ge=0),
    Field("data_storage_duration", unit="hour", ge=0),
    Field("base_storage_need", unit="terabyte_stored", ge=0),
    Field("lifespan", unit="hour", gt=0),
    Field("power", unit="kilowatt", ge=0),
    Field("fixed_nb_of_instances", unit="concurrent", nullable=True, ge=0),
), "Storage")

SERVER_CLASSES = ("Server", "GPUServer", "BoaviztaCloudServer")
SERVER_TYPES = ("autoscaling", "on-premise", "serverless")

# One table for every server class. `compute` (and the jobs' `compute_needed`) counts cpu_core for Server and
# BoaviztaCloudServer, gpu for GPUServer: the compute unit is a property of the class, checked on input.
# GPUServer rows give the per-GPU columns and leave the chassis totals null; BoaviztaCloudServer rows give
# provider and instance_type. The stage `server_hardware` fills the totals.
SERVERS = Table("servers", "server_id", (
    Field("server_id", pl.String), _name(),
    Field("server_class", pl.String, isin=SERVER_CLASSES),
    Field("server_type", pl.String, isin=SERVER_TYPES),
    Field("carbon_footprint_manufacturing", unit="kilogram", nullable=True, ge=0),
    Field("power", unit="kilowatt", nullable=True, ge=0),
    Field("idle_power", unit="kilowatt", nullable=True, ge=0),
    Field("ram", unit="gigabyte_ram", nullable=True, ge=0),
    Field("compute", nullable=True, ge=0),
    Field("lifespan", unit="hour", gt=0),
    Field("power_usage_effectiveness", unit="dimensionless", ge=1),
    Field("average_carbon_intensity", unit="kilogram / kilowatt_hour", ge=0),
    Field("utilization_rate", unit="dimensionless", gt=0, le=1),
    Field("base_ram_consumption", unit="gigabyte_ram", ge=0),
    Field("base_compute_consumption", ge=0),
    Field("storage_id", pl.String, nullable=True, link="storages"),
    Field("fixed_nb_of_instances", unit="concurrent", nullable=True, ge=0),
    # GPUServer
    Field("gpu_power", unit="kilowatt / gpu", nullable=True, ge=0),
    Field("gpu_idle_power", unit="kilowatt / gpu", nullable=True, ge=0),
    Field("ram_per_gpu", unit="gigabyte_ram / gpu", nullable=True, ge=0),
    Field("carbon_footprint_manufacturing_per_gpu", unit="kilogram / gpu", nullable=True, ge=0),
    Field("carbon_footprint_manufacturing_without_gpu", unit="kilogram", nullable=True, ge=0),
    # BoaviztaCloudServer
    Field("provider", pl.String, nullable=True),
    Field("instance_type", pl.String, nullable=True),
), "Server")

SERVICE_CLASSES = ("VideoStreaming", "WebApplication")
VIDEO_SERVICE_INPUTS = ("bits_per_pixel", "static_delivery_cpu_cost", "ram_buffer_per_user")

# A service installed on a server. VideoStreaming rows give the stream's parameters (bits_per_pixel,
# static_delivery_cpu_cost, ram_buffer_per_user); WebApplication rows (the seeds' service, efootprint 9 to
# 15) give their technology, reserve nothing (base consumptions 0) and leave the video columns empty.
SERVICES = Table("services", "service_id", (
    Field("service_id", pl.String), _name(),
    Field("service_class", pl.String, isin=SERVICE_CLASSES),
    Field("server_id", pl.String, link="servers"),
    Field("base_ram_consumption", unit="gigabyte_ram", ge=0),
    Field("base_compute_consumption", unit="cpu_core", ge=0),
    Field("bits_per_pixel", unit="bit", nullable=True, ge=0),
    Field("static_delivery_cpu_cost", unit="cpu_core * second / megabyte", nullable=True, ge=0),
    Field("ram_buffer_per_user", unit="gigabyte_ram", nullable=True, ge=0),
    Field("technology", pl.String, nullable=True),
), "Service")  # the class of a row is its service_class

# GenAI and video generation through EcoLogits: an external API (a provider's model) and the server efootprint
# gives it (its footprints' owner). The EcoLogits model data is the archetype table builders.archetypes.ecologits.
EXTERNAL_API_CLASSES = ("EcoLogitsGenAIExternalAPI", "EcoLogitsVideoGenExternalAPI")
EXTERNAL_API_SERVER_CLASSES = {"EcoLogitsGenAIExternalAPI": "EcoLogitsGenAIExternalAPIServer",
                               "EcoLogitsVideoGenExternalAPI": "EcoLogitsVideoGenExternalAPIServer"}
EXTERNAL_API_JOB_CLASSES = {"EcoLogitsGenAIExternalAPI": "EcoLogitsGenAIExternalAPIJob",
                            "EcoLogitsVideoGenExternalAPI": "EcoLogitsVideoGenExternalAPIJob"}
EXTERNAL_APIS = Table("external_apis", "external_api_id", (
    Field("external_api_id", pl.String), _name(),
    Field("api_class", pl.String, isin=EXTERNAL_API_CLASSES),
    Field("provider", pl.String),
    Field("model_name", pl.String),
), "ExternalAPI")  # the class of a row is its api_class
EXTERNAL_API_SERVERS = Table("external_api_servers", "external_api_server_id", (
    Field("external_api_server_id", pl.String), _name(),
    Field("server_class", pl.String, isin=tuple(EXTERNAL_API_SERVER_CLASSES.values())),
    Field("external_api_id", pl.String, link="external_apis"),
), "ExternalAPIServer")  # the class of a row is its server_class

JOB_CLASSES = ("Job", "GPUJob", "VideoStreamingJob", "WebApplicationJob", *EXTERNAL_API_JOB_CLASSES.values())

# Plain jobs give their per-invocation needs; external API jobs their API and their request (output tokens; a
# video's resolution, duration and audio), from which the stage `external_api_job_impacts` derives the rest;
# VideoStreamingJob rows give the stream (service, resolution,
# video_duration, refresh_rate) and the stage `job_parameters` derives the rest. A WebApplicationJob is a plain
# job on its service's server (efootprint 27 computes it so): its row gives that server and the needs Boavizta's
# ecobenchmark measured for (service technology, implementation_details), which it keeps for the record.
JOBS = Table("jobs", "job_id", (
    Field("job_id", pl.String), _name(),
    Field("job_class", pl.String, isin=JOB_CLASSES),
    Field("server_id", pl.String, nullable=True, link="servers"),
    Field("service_id", pl.String, nullable=True, link="services"),
    Field("data_transferred", unit="megabyte", nullable=True, ge=0),
    Field("data_stored", unit="megabyte_stored"),
    Field("request_duration", unit="hour", nullable=True, gt=0),
    Field("compute_needed", nullable=True, ge=0),
    Field("ram_needed", unit="gigabyte_ram", nullable=True, ge=0),
    Field("resolution", pl.String, nullable=True),
    Field("video_duration", unit="hour", nullable=True, gt=0),
    Field("refresh_rate", unit="1 / second", nullable=True, ge=0),
    Field("implementation_details", pl.String, nullable=True),
    Field("external_api_id", pl.String, nullable=True, link="external_apis"),
    Field("output_token_count", unit="dimensionless", nullable=True, gt=0),
    Field("duration", unit="hour", nullable=True, gt=0),  # of a generated video
    Field("with_audio", pl.Boolean, nullable=True),
), "Job")

USAGE_JOURNEY_STEPS = Table("usage_journey_steps", "step_id", (
    Field("step_id", pl.String), _name(),
    Field("user_time_spent", unit="hour", ge=0),
), "UsageJourneyStep")

USAGE_JOURNEYS = Table("usage_journeys", "journey_id", (
    Field("journey_id", pl.String), _name(),
), "UsageJourney")

USAGE_PATTERNS = Table("usage_patterns", "usage_pattern_id", (
    Field("usage_pattern_id", pl.String), _name(),
    Field("network_id", pl.String, link="networks"),
    Field("country_id", pl.String, link="countries"),
), "UsagePattern")

# Edge tables: weighted, ordered links (position keeps efootprint's dict order: it is the step order).
STEP_JOBS = Table("step_jobs", None, (
    Field("step_id", pl.String, link="usage_journey_steps"), Field("job_id", pl.String, link="jobs"),
    Field("weight", unit="dimensionless", ge=0), Field("position", pl.Int64, ge=0),
), key=("step_id", "job_id"))
JOURNEY_STEPS = Table("journey_steps", None, (
    Field("journey_id", pl.String, link="usage_journeys"), Field("step_id", pl.String, link="usage_journey_steps"),
    Field("weight", unit="dimensionless", ge=0), Field("position", pl.Int64, ge=0),
), key=("journey_id", "step_id"))
PATTERN_JOURNEYS = Table("pattern_journeys", None, (
    Field("usage_pattern_id", pl.String, link="usage_patterns"),
    Field("journey_id", pl.String, link="usage_journeys"),
    Field("weight", unit="dimensionless", gt=0), Field("position", pl.Int64, ge=0),
), key=("usage_pattern_id", "journey_id"))
PATTERN_DEVICES = Table("pattern_devices", None, (
    Field("usage_pattern_id", pl.String, link="usage_patterns"), Field("device_id", pl.String, link="devices"),
    Field("position", pl.Int64, ge=0),
), key=("usage_pattern_id", "device_id"))
SYSTEM_USAGE_PATTERNS = Table("system_usage_patterns", None, (
    Field("usage_pattern_id", pl.String, link="usage_patterns"), Field("position", pl.Int64, ge=0),
), key=("usage_pattern_id",))

# Hourly input: pattern occurrences per local wall-clock hour, one row per hour, no gaps.
HOURLY_OCCURRENCES = Table("hourly_occurrences", None, (
    Field("usage_pattern_id", pl.String, link="usage_patterns"),
    Field("hour", pl.Int64),
    Field("occurrences", unit="occurrence", ge=0),
), key=("usage_pattern_id", "hour"))

# --- Edge computing (efootprint's EdgeUsagePattern and what it deploys) -----------------------------------
# An edge usage pattern's id column is `usage_pattern_id`, as a web pattern's: jobs that edge functions call
# and the network they use are then keyed by pattern the same way, whichever side the pattern is on.
EDGE_USAGE_PATTERNS = Table("edge_usage_patterns", "usage_pattern_id", (
    Field("usage_pattern_id", pl.String), _name(),
    Field("network_id", pl.String, link="networks"),
    Field("country_id", pl.String, link="countries"),
    Field("usage_span", unit="hour", gt=0),
), "EdgeUsagePattern")

EDGE_USAGE_JOURNEYS = Table("edge_usage_journeys", "edge_journey_id", (
    Field("edge_journey_id", pl.String), _name(),
), "EdgeUsageJourney")

EDGE_FUNCTIONS = Table("edge_functions", "edge_function_id", (
    Field("edge_function_id", pl.String), _name(),
), "EdgeFunction")

EDGE_DEVICE_CLASSES = ("EdgeDevice", "EdgeComputer", "EdgeAppliance")
# One table for the three device classes. EdgeComputer and EdgeAppliance rows give their own power, idle power
# and manufacturing footprint (the builders' inputs, which their automatic components mirror); an EdgeComputer
# also its RAM and compute. Every row gives the chassis' (structure's) manufacturing footprint: an EdgeComputer's
# or EdgeAppliance's is its carbon_footprint_manufacturing.
EDGE_DEVICES = Table("edge_devices", "edge_device_id", (
    Field("edge_device_id", pl.String), _name(),
    Field("device_class", pl.String, isin=EDGE_DEVICE_CLASSES),
    Field("lifespan", unit="hour", gt=0),
    Field("structure_carbon_footprint_manufacturing", unit="kilogram", ge=0),
    Field("power", unit="kilowatt", nullable=True, ge=0),
    Field("idle_power", unit="kilowatt", nullable=True, ge=0),
    Field("ram", unit="gigabyte_ram", nullable=True, ge=0),
    Field("compute", unit="cpu_core", nullable=True, ge=0),
    Field("base_ram_consumption", unit="gigabyte_ram", nullable=True, ge=0),
    Field("base_compute_consumption", unit="cpu_core", nullable=True, ge=0),
), "EdgeDevice")  # the class of a row is its device_class

EDGE_COMPONENT_CLASSES = ("EdgeCPUComponent", "EdgeRAMComponent", "EdgeStorage", "EdgeWorkloadComponent",
                          "EdgeComputerCPUComponent", "EdgeComputerRAMComponent", "EdgeApplianceComponent")
# What a component provides, by class: the unit of the needs placed on it.
EDGE_COMPONENT_KINDS = {"EdgeCPUComponent": "compute", "EdgeComputerCPUComponent": "compute",
                        "EdgeRAMComponent": "ram", "EdgeComputerRAMComponent": "ram", "EdgeStorage": "storage",
                        "EdgeWorkloadComponent": "workload", "EdgeApplianceComponent": "workload"}
EDGE_NEED_UNITS = {"compute": "cpu_core", "ram": "gigabyte_ram", "storage": "gigabyte_stored",
                   "workload": "concurrent"}
# One table for every component class; the columns another class has no use for are null. The components an
# EdgeComputer or EdgeAppliance creates carry the values they mirror from their device (power, lifespan, ...).
EDGE_COMPONENTS = Table("edge_components", "component_id", (
    Field("component_id", pl.String), _name(),
    Field("component_class", pl.String, isin=EDGE_COMPONENT_CLASSES),
    Field("edge_device_id", pl.String, nullable=True, link="edge_devices"),
    Field("position", pl.Int64, ge=0),  # in its device's component list
    Field("carbon_footprint_manufacturing_per_unit", unit="kilogram", ge=0),
    Field("power_per_unit", unit="kilowatt", ge=0),
    Field("idle_power_per_unit", unit="kilowatt", ge=0),
    Field("lifespan", unit="hour", gt=0),
    Field("nb_of_units", unit="dimensionless", ge=0),
    Field("compute_per_unit", unit="cpu_core", nullable=True, ge=0),
    Field("base_compute_consumption", unit="cpu_core", nullable=True, ge=0),
    Field("ram_per_unit", unit="gigabyte_ram", nullable=True, ge=0),
    Field("base_ram_consumption", unit="gigabyte_ram", nullable=True, ge=0),
    Field("storage_capacity_per_unit", unit="terabyte_stored", nullable=True, gt=0),
    Field("carbon_footprint_manufacturing_per_storage_capacity", unit="kilogram / terabyte_stored", nullable=True,
          ge=0),
    Field("base_storage_need", unit="terabyte_stored", nullable=True, ge=0),
), "EdgeComponent")  # the class of a row is its component_class

# What the components an EdgeComputer or EdgeAppliance creates take from their device (component column -> device
# column), and the values efootprint fixes for some component classes whatever their inputs say.
EDGE_MIRRORED_INPUTS = {
    "EdgeComputerCPUComponent": {"power_per_unit": "power", "idle_power_per_unit": "idle_power", "lifespan": "lifespan",
                                 "compute_per_unit": "compute", "base_compute_consumption": "base_compute_consumption"},
    "EdgeComputerRAMComponent": {"lifespan": "lifespan", "ram_per_unit": "ram",
                                 "base_ram_consumption": "base_ram_consumption"},
    "EdgeApplianceComponent": {"power_per_unit": "power", "idle_power_per_unit": "idle_power", "lifespan": "lifespan"},
}
EDGE_FIXED_INPUTS = {
    "EdgeComputerRAMComponent": {"power_per_unit": 0.0, "idle_power_per_unit": 0.0},  # efootprint 27 gives none
    "EdgeStorage": {"power_per_unit": 0.0, "idle_power_per_unit": 0.0, "carbon_footprint_manufacturing_per_unit": 0.0},
}

EDGE_DEVICE_NEED_CLASSES = ("RecurrentEdgeDeviceNeed", "RecurrentEdgeProcess", "RecurrentEdgeWorkload")
EDGE_DEVICE_NEEDS = Table("edge_device_needs", "device_need_id", (
    Field("device_need_id", pl.String), _name(),
    Field("need_class", pl.String, isin=EDGE_DEVICE_NEED_CLASSES),
    Field("edge_device_id", pl.String, link="edge_devices"),
), "RecurrentEdgeDeviceNeed")  # the class of a row is its need_class

EDGE_COMPONENT_NEED_CLASSES = ("RecurrentEdgeComponentNeed", "RecurrentEdgeStorageNeed",
                               "RecurrentEdgeProcessCPUNeed", "RecurrentEdgeProcessRAMNeed",
                               "RecurrentEdgeProcessStorageNeed", "RecurrentEdgeWorkloadNeed")
EDGE_COMPONENT_NEEDS = Table("edge_component_needs", "component_need_id", (
    Field("component_need_id", pl.String), _name(),
    Field("need_class", pl.String, isin=EDGE_COMPONENT_NEED_CLASSES),
    Field("component_id", pl.String, link="edge_components"),
), "RecurrentEdgeComponentNeed")  # the class of a row is its need_class

EDGE_SERVER_NEEDS = Table("edge_server_needs", "server_need_id", (
    Field("server_need_id", pl.String), _name(),
    Field("edge_device_id", pl.String, link="edge_devices"),
), "RecurrentServerNeed")

EDGE_DEVICE_GROUPS = Table("edge_device_groups", "group_id", (
    Field("group_id", pl.String), _name(),
), "EdgeDeviceGroup")

# Weekly profiles: 168 values, hour 0 = local Monday 00:00. A component need's values are in the unit of its
# component's kind (EDGE_NEED_UNITS: cpu_core, gigabyte_ram, gigabyte_stored per hour written, concurrent);
# a server need's in occurrences per device.
COMPONENT_NEED_PROFILES = Table("component_need_profiles", None, (
    Field("component_need_id", pl.String, link="edge_component_needs"),
    Field("hour_of_week", pl.Int64, ge=0, le=167),
    Field("need", unit=None),
), key=("component_need_id", "hour_of_week"))
SERVER_NEED_PROFILES = Table("server_need_profiles", None, (
    Field("server_need_id", pl.String, link="edge_server_needs"),
    Field("hour_of_week", pl.Int64, ge=0, le=167),
    Field("volume", unit="occurrence", ge=0),
), key=("server_need_id", "hour_of_week"))

# Links. `count`: how many times the child appears in the parent's list (efootprint counts repeats: a function
# listed twice in a journey doubles its needs).
PATTERN_EDGE_JOURNEYS = Table("pattern_edge_journeys", None, (
    Field("usage_pattern_id", pl.String, link="edge_usage_patterns"),
    Field("edge_journey_id", pl.String, link="edge_usage_journeys"), Field("position", pl.Int64, ge=0),
), key=("usage_pattern_id", "edge_journey_id"))
JOURNEY_EDGE_FUNCTIONS = Table("journey_edge_functions", None, (
    Field("edge_journey_id", pl.String, link="edge_usage_journeys"),
    Field("edge_function_id", pl.String, link="edge_functions"),
    Field("count", unit="dimensionless", gt=0), Field("position", pl.Int64, ge=0),
), key=("edge_journey_id", "edge_function_id"))
FUNCTION_DEVICE_NEEDS = Table("function_device_needs", None, (
    Field("edge_function_id", pl.String, link="edge_functions"),
    Field("device_need_id", pl.String, link="edge_device_needs"),
    Field("count", unit="dimensionless", gt=0), Field("position", pl.Int64, ge=0),
), key=("edge_function_id", "device_need_id"))
FUNCTION_SERVER_NEEDS = Table("function_server_needs", None, (
    Field("edge_function_id", pl.String, link="edge_functions"),
    Field("server_need_id", pl.String, link="edge_server_needs"),
    Field("count", unit="dimensionless", gt=0), Field("position", pl.Int64, ge=0),
), key=("edge_function_id", "server_need_id"))
DEVICE_NEED_COMPONENT_NEEDS = Table("device_need_component_needs", None, (
    Field("device_need_id", pl.String, link="edge_device_needs"),
    Field("component_need_id", pl.String, link="edge_component_needs"),
    Field("count", unit="dimensionless", gt=0), Field("position", pl.Int64, ge=0),
), key=("device_need_id", "component_need_id"))
SERVER_NEED_JOBS = Table("server_need_jobs", None, (
    Field("server_need_id", pl.String, link="edge_server_needs"), Field("job_id", pl.String, link="jobs"),
    Field("weight", unit="dimensionless", ge=0), Field("position", pl.Int64, ge=0),
), key=("server_need_id", "job_id"))
GROUP_SUBGROUPS = Table("group_subgroups", None, (
    Field("group_id", pl.String, link="edge_device_groups"),
    Field("sub_group_id", pl.String, link="edge_device_groups"),
    Field("count", unit="dimensionless", ge=0),
), key=("group_id", "sub_group_id"))
GROUP_DEVICES = Table("group_devices", None, (
    Field("group_id", pl.String, link="edge_device_groups"),
    Field("edge_device_id", pl.String, link="edge_devices"),
    Field("count", unit="dimensionless", ge=0),
), key=("group_id", "edge_device_id"))
SYSTEM_EDGE_USAGE_PATTERNS = Table("system_edge_usage_patterns", None, (
    Field("usage_pattern_id", pl.String, link="edge_usage_patterns"), Field("position", pl.Int64, ge=0),
), key=("usage_pattern_id",))

# Hourly input: deployments started per local wall-clock hour, one row per hour, no gaps.
EDGE_DEPLOYMENT_STARTS = Table("edge_deployment_starts", None, (
    Field("usage_pattern_id", pl.String, link="edge_usage_patterns"),
    Field("hour", pl.Int64),
    Field("starts", unit="occurrence", ge=0),
), key=("usage_pattern_id", "hour"))

EDGE_TABLES: tuple[Table, ...] = (
    EDGE_USAGE_PATTERNS, EDGE_USAGE_JOURNEYS, EDGE_FUNCTIONS, EDGE_DEVICES, EDGE_COMPONENTS, EDGE_DEVICE_NEEDS,
    EDGE_COMPONENT_NEEDS, EDGE_SERVER_NEEDS, EDGE_DEVICE_GROUPS, COMPONENT_NEED_PROFILES, SERVER_NEED_PROFILES,
    PATTERN_EDGE_JOURNEYS, JOURNEY_EDGE_FUNCTIONS, FUNCTION_DEVICE_NEEDS, FUNCTION_SERVER_NEEDS,
    DEVICE_NEED_COMPONENT_NEEDS, SERVER_NEED_JOBS, GROUP_SUBGROUPS, GROUP_DEVICES, SYSTEM_EDGE_USAGE_PATTERNS,
    EDGE_DEPLOYMENT_STARTS,
)

TABLES: tuple[Table, ...] = (
    SYSTEMS, COUNTRIES, DEVICES, NETWORKS, STORAGES, SERVERS, SERVICES, EXTERNAL_APIS, EXTERNAL_API_SERVERS, JOBS,
    USAGE_JOURNEY_STEPS,
    USAGE_JOURNEYS, USAGE_PATTERNS, STEP_JOBS, JOURNEY_STEPS, PATTERN_JOURNEYS, PATTERN_DEVICES,
    SYSTEM_USAGE_PATTERNS, HOURLY_OCCURRENCES, *EDGE_TABLES,
)
BY_NAME = {t.name: t for t in TABLES}
OBJECT_TABLES = tuple(t for t in TABLES if t.id)

# Columns of a table shared by several classes that only some of them take as inputs (efootprint's constructor
# arguments); the other classes leave them empty or derive them (stages server_hardware, job_parameters).
_WEB_JOB, _VIDEO_JOB = ("WebApplicationJob",), ("VideoStreamingJob",)
_PLAIN_COMPONENTS = ("EdgeCPUComponent", "EdgeRAMComponent", "EdgeWorkloadComponent")
_LLM_JOB, _VIDEO_GEN_JOB = ("EcoLogitsGenAIExternalAPIJob",), ("EcoLogitsVideoGenExternalAPIJob",)
CLASS_ONLY_INPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "servers": {
        **dict.fromkeys(("carbon_footprint_manufacturing", "power", "ram"), ("Server",)),
        "idle_power": ("Server", "BoaviztaCloudServer"),
        "compute": ("Server", "GPUServer"),
        **dict.fromkeys(("gpu_power", "gpu_idle_power", "ram_per_gpu", "carbon_footprint_manufacturing_per_gpu",
                         "carbon_footprint_manufacturing_without_gpu"), ("GPUServer",)),
        **dict.fromkeys(("provider", "instance_type"), ("BoaviztaCloudServer",)),
    },
    "services": {**dict.fromkeys(VIDEO_SERVICE_INPUTS, ("VideoStreaming",)), "technology": ("WebApplication",)},
    "jobs": {
        "server_id": ("Job", "GPUJob"),  # a web application job runs on its service's server
        **dict.fromkeys(("data_transferred", "request_duration", "compute_needed", "ram_needed"),
                        ("Job", "GPUJob", *_WEB_JOB)),
        "service_id": (*_VIDEO_JOB, *_WEB_JOB),
        **dict.fromkeys(("video_duration", "refresh_rate"), _VIDEO_JOB),
        "resolution": (*_VIDEO_JOB, *_VIDEO_GEN_JOB),
        "implementation_details": _WEB_JOB,
        # efootprint's external API jobs store no data (their data_stored is 0, not an input)
        "data_stored": ("Job", "GPUJob", *_VIDEO_JOB, *_WEB_JOB),
        "external_api_id": (*_LLM_JOB, *_VIDEO_GEN_JOB),
        "output_token_count": _LLM_JOB,
        **dict.fromkeys(("duration", "with_audio"), _VIDEO_GEN_JOB),
    },
    # Components: the ones an EdgeComputer or EdgeAppliance creates take no input of their own (they mirror their
    # device), an EdgeStorage draws no power, and each kind has its capacity; a component's device is the one
    # that lists it (EDGE_MIRRORED_INPUTS, EDGE_FIXED_INPUTS).
    "edge_components": {
        "edge_device_id": (),
        **dict.fromkeys(("carbon_footprint_manufacturing_per_unit", "power_per_unit", "idle_power_per_unit"),
                        _PLAIN_COMPONENTS),
        **dict.fromkeys(("lifespan", "nb_of_units"), (*_PLAIN_COMPONENTS, "EdgeStorage")),
        **dict.fromkeys(("compute_per_unit", "base_compute_consumption"), ("EdgeCPUComponent",)),
        **dict.fromkeys(("ram_per_unit", "base_ram_consumption"), ("EdgeRAMComponent",)),
        **dict.fromkeys(("storage_capacity_per_unit", "carbon_footprint_manufacturing_per_storage_capacity",
                         "base_storage_need"), ("EdgeStorage",)),
    },
    "edge_devices": {
        **dict.fromkeys(("power", "idle_power"), ("EdgeComputer", "EdgeAppliance")),
        **dict.fromkeys(("ram", "compute", "base_ram_consumption", "base_compute_consumption"), ("EdgeComputer",)),
    },
}
CLASS_COLUMNS = {"servers": "server_class", "services": "service_class", "jobs": "job_class",
                 "edge_devices": "device_class", "edge_components": "component_class",
                 "edge_device_needs": "need_class", "edge_component_needs": "need_class",
                 "external_apis": "api_class", "external_api_servers": "server_class"}


def object_class(table: Table, row: dict) -> str:
    """The efootprint class of a row of an object table (GPUServer, VideoStreamingJob, ...)."""
    column = CLASS_COLUMNS.get(table.name)
    return row[column] if column else table.object_class


def input_fields(table: Table, object_class: str) -> tuple[Field, ...]:
    """The fields of `table` that an object of `object_class` takes as inputs (ids and class columns aside)."""
    only = CLASS_ONLY_INPUTS.get(table.name, {})
    return tuple(f for f in table.fields if f.name not in (table.id, "name", CLASS_COLUMNS.get(table.name))
                 and object_class in only.get(f.name, (object_class,)))
