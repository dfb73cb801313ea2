"""Explain any number: how a calculated attribute of an object is computed, from what, down to the user inputs.

`FORMULAS` is the lineage registry, one entry per (object table, efootprint attribute): the formula in words and
symbols, and what it depends on: other calculated attributes or user inputs of the same object ("power") or of
linked objects ("jobs:ram_needed", the attribute of every object the relation "jobs" reaches). Relations are
paths through the model's link columns and edge tables (`RELATIONS`). Where a value lives in the results, and
its unit, comes from the long results table's `ATTRIBUTES` (io/results_table.py); what counts as an input comes
from the table definitions (tables/schema.py).

`explain(model, results, object_id, attribute)` walks the registry from one attribute and returns the lineage
as a table, one row per (node, parent) edge of the graph (a node reached from several parents has several rows,
and is expanded once, at its shortest depth)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from efp_tables.engine import ENGINE
from efp_tables.errors import ModelError
from efp_tables.io.results_table import ATTRIBUTES, Attribute, objects
from efp_tables.tables import schema as s


@dataclass(frozen=True)
class Dependency:
    attribute: str
    via: str = "self"  # a relation of RELATIONS from the object's table, or "self"
    when: tuple[str, str] | None = None  # (column, value): only for objects whose row has that value


@dataclass(frozen=True)
class Formula:
    table: str
    attribute: str
    words: str
    symbols: str
    dependencies: tuple[Dependency, ...]
    classes: tuple[str, ...] | None = None  # only for objects of these classes (else the attribute is an input)


def _formula(table: str, attribute: str, words: str, symbols: str, *dependencies: str | Dependency,
             classes: tuple[str, ...] | None = None) -> Formula:
    """A registry entry; a dependency "relation:attribute" is `attribute` of the objects `relation` reaches."""
    parsed = []
    for dependency in dependencies:
        if isinstance(dependency, str):
            via, _, attribute_name = dependency.rpartition(":")
            dependency = Dependency(attribute_name, via or "self")
        parsed.append(dependency)
    return Formula(table, attribute, words, symbols, tuple(parsed), classes)


# Inputs that are not a column of the object's own row. Weighted links of edge tables (efootprint's dicts of
# weights): (table, attribute) -> (edge table, the object's id column, the linked id column).
WEIGHT_INPUTS = {
    ("usage_journey_steps", "jobs"): ("step_jobs", "step_id", "job_id"),
    ("usage_journeys", "uj_steps"): ("journey_steps", "journey_id", "step_id"),
    ("usage_patterns", "usage_journeys"): ("pattern_journeys", "usage_pattern_id", "journey_id"),
}
# Hourly input series: (table, attribute) -> (table holding it, the object's id column, value column).
HOURLY_INPUTS = {("usage_patterns", "hourly_occurrences"): ("hourly_occurrences", "usage_pattern_id", "occurrences"),
                 ("edge_usage_patterns", "hourly_deployment_starts"): ("edge_deployment_starts", "usage_pattern_id",
                                                                       "starts")}
# Weekly profiles (168 values from Monday 00:00): (table, attribute) -> (table holding it, id column, value column).
WEEKLY_INPUTS = {("edge_component_needs", "recurrent_need"): ("component_need_profiles", "component_need_id", "need"),
                 ("edge_server_needs", "recurrent_volume_per_edge_device"): ("server_need_profiles",
                                                                              "server_need_id", "volume")}
WEIGHT_INPUTS[("edge_server_needs", "jobs")] = ("server_need_jobs", "server_need_id", "job_id")
_CLASS_COLUMNS = ("server_class", "job_class", "service_class", "device_class", "component_class", "need_class",
                  "api_class")
_GPU_CLASSES = ("GPUServer", "GPUJob")
_COMPUTE_COLUMNS = ("compute", "compute_needed", "base_compute_consumption")

# A hop follows a link: rows of `table` whose `source` column holds one of the ids give their `target` ids.
Hop = tuple[str, str, str]
JOB_STEPS: Hop = ("step_jobs", "job_id", "step_id")
STEP_JOBS: Hop = ("step_jobs", "step_id", "job_id")
STEP_JOURNEYS: Hop = ("journey_steps", "step_id", "journey_id")
JOURNEY_STEPS: Hop = ("journey_steps", "journey_id", "step_id")
JOURNEY_PATTERNS: Hop = ("pattern_journeys", "journey_id", "usage_pattern_id")
PATTERN_JOURNEYS: Hop = ("pattern_journeys", "usage_pattern_id", "journey_id")
PATTERN_COUNTRY: Hop = ("usage_patterns", "usage_pattern_id", "country_id")
PATTERN_NETWORK: Hop = ("usage_patterns", "usage_pattern_id", "network_id")
NETWORK_PATTERNS: Hop = ("usage_patterns", "network_id", "usage_pattern_id")
PATTERN_DEVICES: Hop = ("pattern_devices", "usage_pattern_id", "device_id")
DEVICE_PATTERNS: Hop = ("pattern_devices", "device_id", "usage_pattern_id")
JOB_SERVICE: Hop = ("jobs", "job_id", "service_id")
JOB_SERVER: Hop = ("jobs", "job_id", "server_id")
SERVICE_SERVER: Hop = ("services", "service_id", "server_id")
SERVER_JOBS: Hop = ("jobs", "server_id", "job_id")
SERVER_SERVICES: Hop = ("services", "server_id", "service_id")
SERVICE_JOBS: Hop = ("jobs", "service_id", "job_id")
SERVER_STORAGE: Hop = ("servers", "server_id", "storage_id")
STORAGE_SERVERS: Hop = ("servers", "storage_id", "server_id")
SYSTEM_PATTERNS: Hop = ("system_usage_patterns", "system_id", "usage_pattern_id")
# Edge: patterns -> journeys -> functions -> device needs -> component needs -> components -> devices.
EDGE_PATTERN_COUNTRY: Hop = ("edge_usage_patterns", "usage_pattern_id", "country_id")
NETWORK_EDGE_PATTERNS: Hop = ("edge_usage_patterns", "network_id", "usage_pattern_id")
SYSTEM_EDGE_PATTERNS: Hop = ("system_edge_usage_patterns", "system_id", "usage_pattern_id")
EDGE_PATTERN_JOURNEYS: Hop = ("pattern_edge_journeys", "usage_pattern_id", "edge_journey_id")
EDGE_JOURNEY_PATTERNS: Hop = ("pattern_edge_journeys", "edge_journey_id", "usage_pattern_id")
JOURNEY_FUNCTIONS: Hop = ("journey_edge_functions", "edge_journey_id", "edge_function_id")
FUNCTION_JOURNEYS: Hop = ("journey_edge_functions", "edge_function_id", "edge_journey_id")
FUNCTION_DEVICE_NEEDS: Hop = ("function_device_needs", "edge_function_id", "device_need_id")
DEVICE_NEED_FUNCTIONS: Hop = ("function_device_needs", "device_need_id", "edge_function_id")
FUNCTION_SERVER_NEEDS: Hop = ("function_server_needs", "edge_function_id", "server_need_id")
SERVER_NEED_FUNCTIONS: Hop = ("function_server_needs", "server_need_id", "edge_function_id")
COMPONENT_NEED_DEVICE_NEEDS: Hop = ("device_need_component_needs", "component_need_id", "device_need_id")
DEVICE_NEED_DEVICE: Hop = ("edge_device_needs", "device_need_id", "edge_device_id")
SERVER_NEED_DEVICE: Hop = ("edge_server_needs", "server_need_id", "edge_device_id")
SERVER_NEED_JOBS: Hop = ("server_need_jobs", "server_need_id", "job_id")
JOB_SERVER_NEEDS: Hop = ("server_need_jobs", "job_id", "server_need_id")
NEED_COMPONENT: Hop = ("edge_component_needs", "component_need_id", "component_id")
COMPONENT_NEEDS: Hop = ("edge_component_needs", "component_id", "component_need_id")
COMPONENT_DEVICE: Hop = ("edge_components", "component_id", "edge_device_id")
DEVICE_COMPONENTS: Hop = ("edge_components", "edge_device_id", "component_id")
DEVICE_GROUPS: Hop = ("group_devices", "edge_device_id", "group_id")
GROUP_PARENTS: Hop = ("group_subgroups", "sub_group_id", "group_id")
JOB_API: Hop = ("jobs", "job_id", "external_api_id")
API_JOBS: Hop = ("jobs", "external_api_id", "job_id")
API_SERVER: Hop = ("external_api_servers", "external_api_id", "external_api_server_id")
SERVER_API: Hop = ("external_api_servers", "external_api_server_id", "external_api_id")
_NEED_PATTERNS = (COMPONENT_NEED_DEVICE_NEEDS, DEVICE_NEED_FUNCTIONS, FUNCTION_JOURNEYS, EDGE_JOURNEY_PATTERNS)
_SERVER_NEED_PATTERNS = (SERVER_NEED_FUNCTIONS, FUNCTION_JOURNEYS, EDGE_JOURNEY_PATTERNS)
_EDGE_PATTERN_FUNCTIONS = (EDGE_PATTERN_JOURNEYS, JOURNEY_FUNCTIONS)
_PATTERN_JOBS = (PATTERN_JOURNEYS, JOURNEY_STEPS, STEP_JOBS)
# A job runs on its server, or on the server of its service (video streaming).
_SYSTEM_SERVERS = ((SYSTEM_PATTERNS, *_PATTERN_JOBS, JOB_SERVER),
                   (SYSTEM_PATTERNS, *_PATTERN_JOBS, JOB_SERVICE, SERVICE_SERVER))
_SERVER_JOBS = ((SERVER_JOBS,), (SERVER_SERVICES, SERVICE_JOBS))


def _steps_before(tables: dict[str, pl.DataFrame], steps: list[str], include_own: bool) -> list[str]:
    """Steps of the journeys holding `steps` that come before them (and the steps themselves if `include_own`):
    the steps whose time spent sets where each of `steps` starts (or ends) in its journey."""
    links = tables["journey_steps"]
    own = links.filter(pl.col("step_id").is_in(steps)).select("journey_id", own_position="position")
    earlier = links.join(own, on="journey_id").filter(
        pl.col("position") <= pl.col("own_position") if include_own else pl.col("position") < pl.col("own_position"))
    return earlier["step_id"].unique(maintain_order=True).to_list()


def _preceding_steps_of_jobs(tables: dict[str, pl.DataFrame], jobs: list[str]) -> list[str]:
    return _steps_before(tables, _follow(tables, jobs, (JOB_STEPS,)), include_own=False)


def _steps_so_far(tables: dict[str, pl.DataFrame], steps: list[str]) -> list[str]:
    return _steps_before(tables, steps, include_own=True)


# (table, relation) -> (table reached, paths of hops, their union; or a function of the tables and ids).
RELATIONS: dict[tuple[str, str], tuple[str, tuple[tuple[Hop, ...], ...] | Callable]] = {
    ("usage_patterns", "country"): ("countries", ((PATTERN_COUNTRY,),)),
    ("usage_journeys", "steps"): ("usage_journey_steps", ((JOURNEY_STEPS,),)),
    ("usage_journeys", "patterns"): ("usage_patterns", ((JOURNEY_PATTERNS,),)),
    ("usage_journey_steps", "journeys"): ("usage_journeys", ((STEP_JOURNEYS,),)),
    ("usage_journey_steps", "patterns"): ("usage_patterns", ((STEP_JOURNEYS, JOURNEY_PATTERNS),)),
    ("usage_journey_steps", "steps_so_far"): ("usage_journey_steps", _steps_so_far),
    ("jobs", "steps"): ("usage_journey_steps", ((JOB_STEPS,),)),
    ("jobs", "preceding_steps"): ("usage_journey_steps", _preceding_steps_of_jobs),
    ("jobs", "journeys"): ("usage_journeys", ((JOB_STEPS, STEP_JOURNEYS),)),
    ("jobs", "patterns"): ("usage_patterns", ((JOB_STEPS, STEP_JOURNEYS, JOURNEY_PATTERNS),)),
    ("jobs", "service"): ("services", ((JOB_SERVICE,),)),
    ("servers", "jobs"): ("jobs", _SERVER_JOBS),
    ("servers", "services"): ("services", ((SERVER_SERVICES,),)),
    ("servers", "service_jobs"): ("jobs", ((SERVER_SERVICES, SERVICE_JOBS),)),
    ("storages", "servers"): ("servers", ((STORAGE_SERVERS,),)),
    ("storages", "jobs"): ("jobs", tuple((STORAGE_SERVERS, *path) for path in _SERVER_JOBS)),
    ("networks", "jobs"): ("jobs", ((NETWORK_PATTERNS, *_PATTERN_JOBS),
                                    (NETWORK_EDGE_PATTERNS, *_EDGE_PATTERN_FUNCTIONS, FUNCTION_SERVER_NEEDS,
                                     SERVER_NEED_JOBS))),
    ("networks", "countries"): ("countries", ((NETWORK_PATTERNS, PATTERN_COUNTRY),
                                              (NETWORK_EDGE_PATTERNS, EDGE_PATTERN_COUNTRY))),
    ("jobs", "server_needs"): ("edge_server_needs", ((JOB_SERVER_NEEDS,),)),
    ("jobs", "edge_patterns"): ("edge_usage_patterns", ((JOB_SERVER_NEEDS, *_SERVER_NEED_PATTERNS),)),
    ("edge_component_needs", "countries"): ("countries", ((*_NEED_PATTERNS, EDGE_PATTERN_COUNTRY),)),
    ("edge_server_needs", "countries"): ("countries", ((*_SERVER_NEED_PATTERNS, EDGE_PATTERN_COUNTRY),)),
    ("edge_usage_patterns", "country"): ("countries", ((EDGE_PATTERN_COUNTRY,),)),
    ("edge_component_needs", "patterns"): ("edge_usage_patterns", (_NEED_PATTERNS,)),
    ("edge_component_needs", "device_needs"): ("edge_device_needs", ((COMPONENT_NEED_DEVICE_NEEDS,),)),
    ("edge_components", "needs"): ("edge_component_needs", ((COMPONENT_NEEDS,),)),
    ("edge_components", "patterns"): ("edge_usage_patterns", ((COMPONENT_NEEDS, *_NEED_PATTERNS),)),
    ("edge_components", "countries"): ("countries", ((COMPONENT_NEEDS, *_NEED_PATTERNS, EDGE_PATTERN_COUNTRY),)),
    ("edge_components", "device"): ("edge_devices", ((COMPONENT_DEVICE,),)),
    ("edge_devices", "components"): ("edge_components", ((DEVICE_COMPONENTS,),)),
    ("edge_devices", "groups"): ("edge_device_groups", ((DEVICE_GROUPS,),)),
    ("edge_devices", "patterns"): ("edge_usage_patterns", ((DEVICE_COMPONENTS, COMPONENT_NEEDS, *_NEED_PATTERNS),)),
    ("edge_device_groups", "parents"): ("edge_device_groups", ((GROUP_PARENTS,),)),
    ("edge_server_needs", "patterns"): ("edge_usage_patterns", (_SERVER_NEED_PATTERNS,)),
    ("systems", "edge_devices"): ("edge_devices", (
        (SYSTEM_EDGE_PATTERNS, *_EDGE_PATTERN_FUNCTIONS, FUNCTION_DEVICE_NEEDS, DEVICE_NEED_DEVICE),
        (SYSTEM_EDGE_PATTERNS, *_EDGE_PATTERN_FUNCTIONS, FUNCTION_SERVER_NEEDS, SERVER_NEED_DEVICE))),
    ("jobs", "external_api"): ("external_apis", ((JOB_API,),)),
    ("external_api_servers", "external_api"): ("external_apis", ((SERVER_API,),)),
    ("external_api_servers", "jobs"): ("jobs", ((SERVER_API, API_JOBS),)),
    ("systems", "external_api_servers"): ("external_api_servers", (
        (SYSTEM_PATTERNS, *_PATTERN_JOBS, JOB_API, API_SERVER),
        (SYSTEM_EDGE_PATTERNS, *_EDGE_PATTERN_FUNCTIONS, FUNCTION_SERVER_NEEDS, SERVER_NEED_JOBS, JOB_API,
         API_SERVER))),
    ("devices", "journeys"): ("usage_journeys", ((DEVICE_PATTERNS, PATTERN_JOURNEYS),)),
    ("devices", "countries"): ("countries", ((DEVICE_PATTERNS, PATTERN_COUNTRY),)),
    ("systems", "servers"): ("servers", _SYSTEM_SERVERS),
    ("systems", "storages"): ("storages", tuple((*path, SERVER_STORAGE) for path in _SYSTEM_SERVERS)),
    ("systems", "networks"): ("networks", ((SYSTEM_PATTERNS, PATTERN_NETWORK),)),
    ("systems", "devices"): ("devices", ((SYSTEM_PATTERNS, PATTERN_DEVICES),)),
}

_OCCURRENCES = ("patterns:utc_hourly_occurrences", "patterns:usage_journeys", "journeys:uj_steps", "steps:jobs",
                "preceding_steps:user_time_spent")
_GPU = ("GPUServer",)
_CLOUD = ("BoaviztaCloudServer",)
_CLOUD_LOOKUP = "the {} of the provider's instance type in Boavizta's cloud instance table"

_CPU = ("EdgeCPUComponent", "EdgeComputerCPUComponent")
_RAM = ("EdgeRAMComponent", "EdgeComputerRAMComponent")
_WORKLOAD = ("EdgeWorkloadComponent", "EdgeApplianceComponent")
_POWERED = (*_CPU, *_RAM, *_WORKLOAD)
_BUILT = ("EdgeComputerCPUComponent", "EdgeComputerRAMComponent", "EdgeApplianceComponent")
_STORAGE_NEEDS = ("RecurrentEdgeStorageNeed", "RecurrentEdgeProcessStorageNeed")
_WEEK = "the weekly profile laid on the pattern's deployment span in UTC (indexed from the span's start, rolled " \
        "circularly by its UTC offset), times the need's occurrences in the pattern's journeys and functions"
EDGE_FORMULAS: tuple[Formula, ...] = (
    _formula("edge_usage_patterns", "utc_hourly_deployment_starts",
             "the local hourly deployment starts moved to UTC by the country's time-zone offset (circular roll)",
             "utc[i] = local[(i + k) mod N]", "hourly_deployment_starts", "country:timezone"),
    _formula("edge_usage_patterns", "nb_deployments_in_parallel",
             "deployments started that are still within their usage span", "A(utc, usage_span)",
             "utc_hourly_deployment_starts", "usage_span"),
    _formula("edge_component_needs", "unitary_hourly_need_per_usage_pattern", _WEEK,
             "need[t] = week[(w0 + (t + k) mod L) mod 168] * occurrences (storage: 0 before the first Monday)",
             "recurrent_need", "patterns:nb_deployments_in_parallel", "countries:timezone"),
    _formula("edge_component_needs", "cumulative_unitary_storage_need_per_usage_pattern",
             "the storage written per device, summed from the span's start (float32, as efootprint)",
             "cumsum(need)", "unitary_hourly_need_per_usage_pattern", classes=_STORAGE_NEEDS),
    _formula("edge_component_needs", "total_hourly_need_across_usage_patterns",
             "the need per device (storage: held) times the deployments in parallel, over patterns",
             "sum over up of need[up] * deployments[up]", "unitary_hourly_need_per_usage_pattern",
             "patterns:nb_deployments_in_parallel"),
    *(_formula("edge_components", name, "the unitary needs of the component's needs at the pattern, summed",
               "sum over needs of need[n, up]", "needs:unitary_hourly_need_per_usage_pattern", classes=classes)
      for name, classes in (("unitary_hourly_compute_need_per_usage_pattern", _CPU),
                            ("unitary_hourly_ram_need_per_usage_pattern", _RAM),
                            ("unitary_hourly_workload_per_usage_pattern", _WORKLOAD))),
    _formula("edge_components", "cumulative_unitary_storage_need_per_usage_pattern",
             "storage held per device: the needs' cumulative storage plus the base storage need",
             "sum over needs of cumulative[n, up] + base_storage_need",
             "needs:cumulative_unitary_storage_need_per_usage_pattern", "base_storage_need",
             classes=("EdgeStorage",)),
    _formula("edge_components", "unitary_power_per_usage_pattern",
             "idle power plus the load's share of the power range (load: need plus base over capacity, or the "
             "workload)", "idle_power + (power - idle_power) * load", "power", "idle_power",
             "needs:unitary_hourly_need_per_usage_pattern", classes=_POWERED),
    _formula("edge_components", "energy_per_edge_device_per_usage_pattern",
             "one component's power for an hour, times the deployments in parallel",
             "deployments * unitary_power * 1 h", "unitary_power_per_usage_pattern",
             "patterns:nb_deployments_in_parallel", classes=_POWERED),
    _formula("edge_components", "use_footprint_per_edge_device_per_usage_pattern",
             "energy times the pattern's country carbon intensity", "energy * average_carbon_intensity",
             "energy_per_edge_device_per_usage_pattern", "countries:average_carbon_intensity", classes=_POWERED),
    _formula("edge_components", "manufacturing_footprint_per_edge_device_per_usage_pattern",
             "the component's manufacturing footprint spread over its lifespan, times the deployments in parallel",
             "deployments * carbon_footprint_manufacturing * 1 h / lifespan", "carbon_footprint_manufacturing",
             "lifespan", "patterns:nb_deployments_in_parallel"),
    *(_formula("edge_components", total, "sum over usage patterns", f"sum over up of {per}[up]", per,
               classes=classes)
      for total, per, classes in (
          ("energy_per_edge_device", "energy_per_edge_device_per_usage_pattern", _POWERED),
          ("use_footprint_per_edge_device", "use_footprint_per_edge_device_per_usage_pattern", _POWERED),
          ("manufacturing_footprint_per_edge_device", "manufacturing_footprint_per_edge_device_per_usage_pattern",
           None))),
    _formula("edge_components", "carbon_footprint_manufacturing",
             "per unit times the number of units (storage: capacity times footprint per capacity)",
             "carbon_footprint_manufacturing_per_unit * nb_of_units", "carbon_footprint_manufacturing_per_unit",
             "nb_of_units", "carbon_footprint_manufacturing_per_storage_capacity", "storage_capacity_per_unit"),
    *(_formula("edge_components", name, "per unit times the number of units", f"{per_unit} * nb_of_units",
               per_unit, "nb_of_units", classes=classes)
      for name, per_unit, classes in (("power", "power_per_unit", _POWERED),
                                      ("idle_power", "idle_power_per_unit", _POWERED),
                                      ("compute", "compute_per_unit", _CPU), ("ram", "ram_per_unit", _RAM),
                                      ("storage_capacity", "storage_capacity_per_unit", ("EdgeStorage",)))),
    _formula("edge_components", "available_compute_per_instance", "compute left beyond the base consumption",
             "compute - base_compute_consumption", "compute", "base_compute_consumption", classes=_CPU),
    _formula("edge_components", "available_ram_per_instance", "RAM left beyond the base consumption",
             "ram - base_ram_consumption", "ram", "base_ram_consumption", classes=_RAM),
    *(_formula("edge_components", name, f"the {name} its edge device gives (a builder's own component)",
               f"device.{source}", f"device:{source}", classes=classes)
      for name, source, classes in (
          ("lifespan", "lifespan", _BUILT), ("power_per_unit", "power", ("EdgeComputerCPUComponent",
                                                                          "EdgeApplianceComponent")),
          ("idle_power_per_unit", "idle_power", ("EdgeComputerCPUComponent", "EdgeApplianceComponent")),
          ("compute_per_unit", "compute", ("EdgeComputerCPUComponent",)),
          ("base_compute_consumption", "base_compute_consumption", ("EdgeComputerCPUComponent",)),
          ("ram_per_unit", "ram", ("EdgeComputerRAMComponent",)),
          ("base_ram_consumption", "base_ram_consumption", ("EdgeComputerRAMComponent",)))),
    _formula("edge_devices", "total_nb_of_units", "the device's count in each group times the group's count",
             "sum over groups of count[g, d] * effective[g] (1 in no group)", "groups:effective_nb_of_units_within_root"),
    _formula("edge_device_groups", "effective_nb_of_units_within_root",
             "the group's count in each parent group times the parent's (1 for a root group)",
             "sum over parents of count[p, g] * effective[p]", "parents:effective_nb_of_units_within_root"),
    _formula("edge_devices", "structure_carbon_footprint_manufacturing", "the device's own manufacturing footprint",
             "carbon_footprint_manufacturing", "structure_carbon_footprint_manufacturing",
             classes=("EdgeComputer", "EdgeAppliance")),
    _formula("edge_devices", "structure_manufacturing_footprint_per_usage_pattern",
             "the chassis' manufacturing footprint spread over the lifespan, per device deployed",
             "units * deployments * structure_cfm * 1 h / lifespan", "total_nb_of_units",
             "structure_carbon_footprint_manufacturing", "lifespan", "patterns:nb_deployments_in_parallel"),
    _formula("edge_devices", "instances_manufacturing_footprint_per_usage_pattern",
             "the structure's plus every component's manufacturing footprint (used at the pattern or not)",
             "structure + units * sum over components of manufacturing[c, up]",
             "structure_manufacturing_footprint_per_usage_pattern", "total_nb_of_units",
             "components:manufacturing_footprint_per_edge_device_per_usage_pattern"),
    _formula("edge_devices", "instances_energy_per_usage_pattern", "the components' energy times the units",
             "units * sum over components of energy[c, up]", "total_nb_of_units",
             "components:energy_per_edge_device_per_usage_pattern"),
    _formula("edge_devices", "use_footprint_per_usage_pattern", "the components' use footprint times the units",
             "units * sum over components of use[c, up]", "total_nb_of_units",
             "components:use_footprint_per_edge_device_per_usage_pattern"),
    *(_formula("edge_devices", total, "sum over usage patterns", f"sum over up of {per}[up]", per)
      for total, per in (("instances_manufacturing_footprint", "instances_manufacturing_footprint_per_usage_pattern"),
                         ("use_footprint", "use_footprint_per_usage_pattern"),
                         ("instances_energy", "instances_energy_per_usage_pattern"))),
    _formula("edge_devices", "manufacturing_footprint_breakdown_by_source",
             "each component's manufacturing footprint over the device's patterns, times the units, plus an equal "
             "share of the structure's", "units * manufacturing[c] + structure / n components", "total_nb_of_units",
             "components:manufacturing_footprint_per_edge_device",
             "structure_manufacturing_footprint_per_usage_pattern"),
    _formula("edge_server_needs", "unitary_hourly_volume_per_usage_pattern", _WEEK,
             "volume[t] = week[(w0 + (t + k) mod L) mod 168] * occurrences", "recurrent_volume_per_edge_device",
             "patterns:nb_deployments_in_parallel", "countries:timezone"),
)

_LLM_API, _VIDEO_API = ("EcoLogitsGenAIExternalAPI",), ("EcoLogitsVideoGenExternalAPI",)
_LLM_JOB, _VIDEO_GEN_JOB = ("EcoLogitsGenAIExternalAPIJob",), ("EcoLogitsVideoGenExternalAPIJob",)
_API_JOBS = (*_LLM_JOB, *_VIDEO_GEN_JOB)
_ECOLOGITS = "in EcoLogits' model data (data/archetypes/ecologits_*_models.csv)"
_LLM_MODEL = ("external_api:model_active_params", "external_api:model_total_params",
              "external_api:tokens_per_second", "external_api:time_to_first_token")
_SPREAD = "each job's per-request {} spread over its request duration, times its calls in progress, over jobs"
EXTERNAL_API_FORMULAS: tuple[Formula, ...] = (
    *(_formula("external_apis", name, f"the model's {words} {_ECOLOGITS}", f"ecologits[provider, model_name].{name}",
               "provider", "model_name", classes=_LLM_API)
      for name, words in (("model_total_params", "total parameter count (billion; a range's mean)"),
                          ("model_active_params", "active parameter count (billion; a mixture of experts' active "
                                              "ones, a range's mean)"),
                          ("tokens_per_second", "generation throughput"),
                          ("time_to_first_token", "time to first token"))),
    _formula("external_apis", "data_center_pue", f"the provider's datacenter PUE {_ECOLOGITS}",
             "ecologits[provider].datacenter_pue", "provider"),
    _formula("external_apis", "average_carbon_intensity",
             f"the grid carbon intensity at the provider's datacenter location {_ECOLOGITS}",
             "ecologits_mix[datacenter_location[provider]].gwp", "provider"),
    _formula("jobs", "generation_latency", "output tokens over the throughput plus the time to first token (without "
             "a throughput, EcoLogits' latency regression on the active parameters)",
             "t / tps + ttft | t * (0.000679 A + 0.000312 * 64 + 0.0195)", "output_token_count", *_LLM_MODEL,
             classes=_LLM_JOB),
    _formula("jobs", "gpu_energy", "EcoLogits' GPU energy regression on the active parameters, per output token",
             "t * (1.17e-6 * exp(-0.0112 * 64) * A + 4.05e-5) / 1000 kWh", "output_token_count",
             "external_api:model_active_params", classes=_LLM_JOB),
    _formula("jobs", "model_required_memory", "the total parameters in 16 bits, plus 20 %",
             "1.2 * T * 16 / 8 GB", "external_api:model_total_params", classes=_LLM_JOB),
    _formula("jobs", "gpu_required_count", "80 GB GPUs holding the model, rounded up to a power of two",
             "2 ** ceil(log2(ceil(model_required_memory / 80 GB)))", "model_required_memory", classes=_LLM_JOB),
    _formula("jobs", "server_energy", "the 8-GPU server's 1.2 kW over the latency, for the GPUs used, shared by a "
             "batch of 64 requests", "latency * 1.2 kW * gpus / 8 / 64", "generation_latency", "gpu_required_count",
             classes=_LLM_JOB),
    _formula("jobs", "request_it_energy", "the server's energy plus every GPU's", "server_energy + gpus * gpu_energy",
             "server_energy", "gpu_required_count", "gpu_energy", classes=_LLM_JOB),
    _formula("jobs", "server_gpu_embodied_gwp", "the server's share for the GPUs used plus the GPUs' embodied GWP",
             "gpus / 8 * 5700 kg + gpus * 273 kg", "gpu_required_count", classes=_LLM_JOB),
    _formula("jobs", "request_energy", "the IT energy times the datacenter PUE", "request_it_energy * PUE",
             "request_it_energy", "external_api:data_center_pue", classes=_LLM_JOB),
    _formula("jobs", "request_embodied_gwp", "the server and GPUs' embodied GWP over 3 years of life, for the "
             "latency, shared by a batch of 64", "latency * server_gpu_embodied_gwp / (3 years * 64)",
             "generation_latency", "server_gpu_embodied_gwp", classes=_LLM_JOB),
    _formula("jobs", "generation_latency", "EcoLogits' latency regression of the video model on pixels and frames "
             "(24 per second, plus one), scaled down without audio", "(n F wh^2 + m v + m1 F + m2 wh^2 + n1 F^2 + "
             "n2 v^2 + g) * (1 | non_audio_weight), v = wh F / 1000", "resolution", "duration", "with_audio",
             "external_api:provider", "external_api:model_name", classes=_VIDEO_GEN_JOB),
    _formula("jobs", "server_accelerator_energy", "the accelerator server's mean power over the latency",
             "latency * power(hardware of the model)", "generation_latency", "external_api:model_name",
             classes=_VIDEO_GEN_JOB),
    _formula("jobs", "request_energy", "the accelerator energy times the datacenter PUE",
             "server_accelerator_energy * PUE", "server_accelerator_energy", "external_api:data_center_pue",
             classes=_VIDEO_GEN_JOB),
    _formula("jobs", "server_accelerator_embodied_gwp", "the server's plus its accelerators' embodied GWP",
             "server_embodied + count * accelerator_embodied (hardware of the model)", "external_api:model_name",
             classes=_VIDEO_GEN_JOB),
    _formula("jobs", "request_embodied_gwp", "the embodied GWP over 3 years of life, for the latency",
             "latency / 3 years * server_accelerator_embodied_gwp", "generation_latency",
             "server_accelerator_embodied_gwp", classes=_VIDEO_GEN_JOB),
    _formula("jobs", "request_usage_gwp", "the request's energy times the grid carbon intensity",
             "request_energy * average_carbon_intensity", "request_energy", "external_api:average_carbon_intensity",
             classes=_API_JOBS),
    _formula("jobs", "request_duration", "the generation latency", "generation_latency", "generation_latency",
             classes=_API_JOBS),
    _formula("jobs", "data_transferred", "5 bytes per output token (4 of text, 1 of JSON)", "5 B * t",
             "output_token_count", classes=_LLM_JOB),
    _formula("jobs", "data_transferred", "0.1 bit per pixel at 24 frames per second over the video",
             "duration * 0.1 bit * W * H * 24 / s", "duration", "resolution", classes=_VIDEO_GEN_JOB),
    _formula("jobs", "hourly_occurrences_across_usage_patterns", "sum over usage patterns",
             "sum over up of O[J, up]", "hourly_occurrences_per_usage_pattern", classes=_API_JOBS),
    *(_formula("external_api_servers", name, _SPREAD.format(words),
               f"sum over jobs of avg_across[J] * {per_request}[J] / request_duration[J]",
               "jobs:hourly_avg_occurrences_across_usage_patterns", f"jobs:{per_request}", "jobs:request_duration")
      for name, per_request, words in (("instances_energy", "request_energy", "energy"),
                                       ("instances_manufacturing_footprint", "request_embodied_gwp", "embodied GWP"),
                                       ("use_footprint", "request_usage_gwp", "usage GWP"))),
)

FORMULAS: tuple[Formula, ...] = (
    # Usage
    _formula("usage_patterns", "utc_hourly_occurrences",
             "the local hourly occurrences moved to UTC by the country's time-zone offset",
             "utc[i] = local[(i + k) mod N], k = UTC offset of the timezone", "hourly_occurrences",
             "country:timezone"),
    _formula("usage_journeys", "duration", "the time spent in each step, times the step's count in the journey",
             "duration = sum over steps of n[s] * user_time_spent[s]", "uj_steps", "steps:user_time_spent"),
    _formula("usage_journeys", "nb_usage_journeys_in_parallel_per_usage_pattern",
             "journeys started each hour (the pattern's occurrences times the journey's weight) still in progress",
             "A(utc[up] * w[up, j], duration)", "duration", "patterns:utc_hourly_occurrences",
             "patterns:usage_journeys"),
    _formula("usage_journey_steps", "hourly_avg_occurrences_per_usage_coordinate",
             "journeys in progress that are inside this step (past its start offset, before its end offset)",
             "max(A(B[up, j], end[j, s]) - A(B[up, j], start[j, s]), 0), B = utc[up] * w[up, j]",
             "patterns:utc_hourly_occurrences", "patterns:usage_journeys", "journeys:uj_steps",
             "steps_so_far:user_time_spent"),
    # Jobs
    _formula("jobs", "hourly_occurrences_per_usage_pattern",
             "invocations started per hour: journeys started, times how often each step holds the job, shifted by "
             "the step's start in the journey", "O[J, up][t + floor(start[s])] = sum utc[up][t] * w[up, j] * "
             "n[j, s] * m[s, J]; edge: O[J, up, rsn] = volume[rsn, up] * deployments[up] * times[rsn, J]",
             *_OCCURRENCES, "server_needs:unitary_hourly_volume_per_usage_pattern", "server_needs:jobs",
             "edge_patterns:nb_deployments_in_parallel"),
    _formula("jobs", "hourly_avg_occurrences_per_usage_pattern",
             "invocations in progress per hour: each invocation lasts its request duration",
             "A(O[J, up], request_duration)", "hourly_occurrences_per_usage_pattern", "request_duration"),
    _formula("jobs", "hourly_avg_occurrences_per_coordinate",
             "invocations in progress per hour for each (pattern, journey, step) that uses the job",
             "A(O[J, up, j, s], request_duration)", *_OCCURRENCES, "request_duration"),
    _formula("jobs", "hourly_data_transferred_per_usage_pattern",
             "invocations in progress times the data each transfers per hour of processing",
             "avg[J, up] * data_transferred / request_duration", "hourly_avg_occurrences_per_usage_pattern",
             "data_transferred", "request_duration"),
    _formula("jobs", "hourly_data_stored_per_usage_pattern",
             "invocations in progress times the data each stores per hour of processing",
             "avg[J, up] * data_stored / request_duration", "hourly_avg_occurrences_per_usage_pattern",
             "data_stored", "request_duration"),
    _formula("jobs", "hourly_data_transferred_per_coordinate",
             "invocations in progress per coordinate times the data each transfers per hour of processing",
             "avg[J, up, j, s] * data_transferred / request_duration", "hourly_avg_occurrences_per_coordinate",
             "data_transferred", "request_duration"),
    _formula("jobs", "hourly_avg_occurrences_across_usage_patterns", "sum over usage patterns",
             "sum over up of avg[J, up]", "hourly_avg_occurrences_per_usage_pattern"),
    _formula("jobs", "hourly_data_transferred_across_usage_patterns", "sum over usage patterns",
             "sum over up of data_transferred[J, up]", "hourly_data_transferred_per_usage_pattern"),
    _formula("jobs", "hourly_data_stored_across_usage_patterns", "sum over usage patterns",
             "sum over up of data_stored[J, up]", "hourly_data_stored_per_usage_pattern"),
    _formula("jobs", "dynamic_bitrate", "pixels per frame times bits per pixel times frames per second",
             "width * height * bits_per_pixel * refresh_rate", "resolution", "refresh_rate",
             "service:bits_per_pixel", classes=("VideoStreamingJob",)),
    _formula("jobs", "data_transferred", "the video's bitrate over its duration",
             "request_duration * dynamic_bitrate", "request_duration", "dynamic_bitrate",
             classes=("VideoStreamingJob",)),
    _formula("jobs", "compute_needed", "the service's delivery cost per megabyte times the bitrate",
             "static_delivery_cpu_cost * dynamic_bitrate", "service:static_delivery_cpu_cost", "dynamic_bitrate",
             classes=("VideoStreamingJob",)),
    _formula("jobs", "ram_needed", "the service's RAM buffer per user", "ram_buffer_per_user",
             "service:ram_buffer_per_user", classes=("VideoStreamingJob",)),
    _formula("jobs", "request_duration", "the video's duration", "video_duration", "video_duration",
             classes=("VideoStreamingJob",)),
    *(_formula("jobs", name, f"the {words} per request that Boavizta's ecobenchmark measured for the service's "
               f"technology and the job's implementation (data/archetypes/web_application_ecobenchmark.csv)",
               f"ecobenchmark[technology, implementation_details].{name}", "service:technology",
               "implementation_details", classes=("WebApplicationJob",))
      for name, words in (("compute_needed", "CPU cores"), ("ram_needed", "RAM"))),
    _formula("jobs", "request_duration", "1 s, the duration per request that Boavizta's ecobenchmark values assume",
             "1 s", classes=("WebApplicationJob",)),
    # Servers
    _formula("servers", "hour_by_hour_ram_need", "invocations in progress of each job on the server times its RAM",
             "sum over jobs of avg_across[J] * ram_needed[J]", "jobs:hourly_avg_occurrences_across_usage_patterns",
             "jobs:ram_needed"),
    _formula("servers", "hour_by_hour_compute_need",
             "invocations in progress of each job on the server times its compute",
             "sum over jobs of avg_across[J] * compute_needed[J]",
             "jobs:hourly_avg_occurrences_across_usage_patterns", "jobs:compute_needed"),
    _formula("servers", "occupied_ram_per_instance", "the server's base RAM plus its installed services' base RAM",
             "base_ram_consumption + sum over services of base_ram_consumption", "base_ram_consumption",
             "services:base_ram_consumption"),
    _formula("servers", "occupied_compute_per_instance",
             "the server's base compute plus its installed services' base compute",
             "base_compute_consumption + sum over services of base_compute_consumption", "base_compute_consumption",
             "services:base_compute_consumption"),
    _formula("servers", "available_ram_per_instance", "usable RAM (RAM times utilization rate) left once occupied",
             "ram * utilization_rate - occupied_ram_per_instance", "ram", "utilization_rate",
             "occupied_ram_per_instance"),
    _formula("servers", "available_compute_per_instance",
             "usable compute (compute times utilization rate) left once occupied",
             "compute * utilization_rate - occupied_compute_per_instance", "compute", "utilization_rate",
             "occupied_compute_per_instance"),
    _formula("servers", "carbon_footprint_manufacturing", "the chassis plus each GPU's manufacturing footprint",
             "carbon_footprint_manufacturing_without_gpu + compute * carbon_footprint_manufacturing_per_gpu",
             "carbon_footprint_manufacturing_without_gpu", "compute", "carbon_footprint_manufacturing_per_gpu",
             classes=_GPU),
    _formula("servers", "power", "each GPU's power times the number of GPUs", "gpu_power * compute", "gpu_power",
             "compute", classes=_GPU),
    _formula("servers", "idle_power", "each GPU's idle power times the number of GPUs", "gpu_idle_power * compute",
             "gpu_idle_power", "compute", classes=_GPU),
    _formula("servers", "ram", "each GPU's RAM times the number of GPUs", "ram_per_gpu * compute", "ram_per_gpu",
             "compute", classes=_GPU),
    *(_formula("servers", name, _CLOUD_LOOKUP.format(words), f"{name}(provider, instance_type)", "provider",
               "instance_type", classes=_CLOUD)
      for name, words in (("carbon_footprint_manufacturing", "manufacturing footprint"), ("power", "power"),
                          ("ram", "RAM"), ("compute", "number of vCPUs"))),
    _formula("servers", "raw_nb_of_instances",
             "instances needed each hour: the RAM or compute need over what one instance has available, "
             "whichever is larger", "max(ram_need / available_ram, compute_need / available_compute)",
             "hour_by_hour_ram_need", "hour_by_hour_compute_need", "available_ram_per_instance",
             "available_compute_per_instance"),
    _formula("servers", "nb_of_instances",
             "instances running: whole instances each hour (autoscaling), the raw need (serverless), or the fixed "
             "number, else the peak need, for every hour (on-premise)",
             "ceil(raw) | raw | fixed_nb_of_instances or ceil(max raw)", "raw_nb_of_instances", "server_type",
             Dependency("fixed_nb_of_instances", when=("server_type", "on-premise"))),
    _formula("servers", "instances_energy",
             "idle power for every running instance plus the extra power under load for the raw need, "
             "times the power usage effectiveness, over each hour",
             "(idle_power * nb + (power - idle_power) * raw) * PUE * 1 h", "nb_of_instances",
             "raw_nb_of_instances", "power", "idle_power", "power_usage_effectiveness"),
    _formula("servers", "idle_use_footprint", "idle energy of the running instances times the carbon intensity",
             "idle_power * PUE * nb * 1 h * average_carbon_intensity", "nb_of_instances", "idle_power",
             "power_usage_effectiveness", "average_carbon_intensity"),
    _formula("servers", "load_use_footprint", "extra energy under load times the carbon intensity",
             "(power - idle_power) * PUE * raw * 1 h * average_carbon_intensity", "raw_nb_of_instances", "power",
             "idle_power", "power_usage_effectiveness", "average_carbon_intensity"),
    _formula("servers", "use_footprint", "idle plus load use footprint", "idle_use_footprint + load_use_footprint",
             "idle_use_footprint", "load_use_footprint"),
    _formula("servers", "instances_manufacturing_footprint",
             "each running instance's manufacturing footprint spread over its lifespan",
             "carbon_footprint_manufacturing * nb * 1 h / lifespan", "carbon_footprint_manufacturing",
             "nb_of_instances", "lifespan"),
    _formula("servers", "service_total_job_volumes", "invocations in progress of each installed service's jobs",
             "sum over the service's jobs of avg_across[J]",
             "service_jobs:hourly_avg_occurrences_across_usage_patterns"),
    # Storage
    _formula("storages", "carbon_footprint_manufacturing", "manufacturing footprint per TB times the capacity",
             "carbon_footprint_manufacturing_per_storage_capacity * storage_capacity",
             "carbon_footprint_manufacturing_per_storage_capacity", "storage_capacity"),
    _formula("storages", "full_cumulative_storage_need_per_job",
             "replicated data each job of the storage's server wrote and has not dumped yet (kept for the "
             "storage duration)", "need[t] = sum over k in (t - ceil(d), t] of data_stored_across[J][k] * "
             "replication", "jobs:hourly_data_stored_across_usage_patterns", "data_replication_factor",
             "data_storage_duration"),
    _formula("storages", "job_written_cumulative_storage_need", "sum over the storage's jobs",
             "sum over J of need[J]", "full_cumulative_storage_need_per_job"),
    _formula("storages", "full_cumulative_storage_need", "data the jobs wrote plus the base storage need",
             "sum over J of need[J] + base_storage_need", "full_cumulative_storage_need_per_job",
             "base_storage_need"),
    _formula("storages", "raw_nb_of_instances", "storage need over one instance's capacity",
             "full_cumulative_storage_need / storage_capacity", "full_cumulative_storage_need", "storage_capacity"),
    _formula("storages", "nb_of_instances",
             "the raw need under a serverless server, else the fixed number of instances, else whole instances",
             "raw | fixed_nb_of_instances | ceil(raw)", "raw_nb_of_instances", "fixed_nb_of_instances",
             "servers:server_type"),
    _formula("storages", "instances_manufacturing_footprint",
             "each instance's manufacturing footprint spread over its lifespan",
             "carbon_footprint_manufacturing * nb * 1 h / lifespan", "carbon_footprint_manufacturing",
             "nb_of_instances", "lifespan"),
    _formula("storages", "storage_retention_manufacturing_footprint",
             "the share of the manufacturing footprint for the data the jobs wrote",
             "F * job_written / (nb * capacity)", "instances_manufacturing_footprint",
             "job_written_cumulative_storage_need", "nb_of_instances", "storage_capacity"),
    _formula("storages", "storage_baseline_manufacturing_footprint",
             "the share of the manufacturing footprint for the base need and the unused capacity",
             "F * (nb * capacity - full + base_storage_need) / (nb * capacity)", "instances_manufacturing_footprint",
             "full_cumulative_storage_need", "base_storage_need", "nb_of_instances", "storage_capacity"),
    # Network
    _formula("networks", "use_footprint_per_job",
             "each job's data transferred in the patterns on this network times the network's energy per MB and "
             "the pattern's country carbon intensity",
             "sum over up of data_transferred[J, up] * bandwidth_energy_intensity * average_carbon_intensity[up]",
             "jobs:hourly_data_transferred_per_usage_pattern", "bandwidth_energy_intensity",
             "countries:average_carbon_intensity"),
    _formula("networks", "use_footprint", "sum over jobs", "sum over J of use_footprint_per_job[J]",
             "use_footprint_per_job"),
    # Devices
    _formula("devices", "nb_journeys_in_parallel_per_usage_pattern",
             "journeys in progress in the patterns that use the device",
             "sum over the pattern's journeys of journeys_in_parallel[j, up]",
             "journeys:nb_usage_journeys_in_parallel_per_usage_pattern"),
    _formula("devices", "use_footprint_per_usage_pattern",
             "devices in use times their power and the pattern's country carbon intensity",
             "busy * power * 1 h * average_carbon_intensity", "nb_journeys_in_parallel_per_usage_pattern", "power",
             "countries:average_carbon_intensity"),
    _formula("devices", "instances_manufacturing_footprint_per_usage_pattern",
             "devices in use times their manufacturing footprint spread over the hours they are used in their life",
             "busy * carbon_footprint_manufacturing * 1 h / (lifespan * fraction_of_usage_time)",
             "nb_journeys_in_parallel_per_usage_pattern", "carbon_footprint_manufacturing", "lifespan",
             "fraction_of_usage_time"),
    _formula("devices", "use_footprint", "sum over usage patterns", "sum over up of use_footprint[up]",
             "use_footprint_per_usage_pattern"),
    _formula("devices", "instances_manufacturing_footprint", "sum over usage patterns",
             "sum over up of instances_manufacturing_footprint[up]",
             "instances_manufacturing_footprint_per_usage_pattern"),
    # System
    _formula("systems", "total_footprint",
             "manufacturing and use footprints of every server, storage, external API, network and device of "
             "the system",
             "sum over objects of instances_manufacturing_footprint + use_footprint",
             "servers:instances_manufacturing_footprint", "servers:use_footprint",
             "storages:instances_manufacturing_footprint",
             "external_api_servers:instances_manufacturing_footprint", "external_api_servers:use_footprint",
             "networks:use_footprint",
             "devices:instances_manufacturing_footprint", "devices:use_footprint",
             "edge_devices:instances_manufacturing_footprint", "edge_devices:use_footprint"),
    *EDGE_FORMULAS,
    *EXTERNAL_API_FORMULAS,
)

LINEAGE_COLUMNS = {"node": pl.String, "parent": pl.String, "depth": pl.Int64, "kind": pl.String,
                   "object_class": pl.String, "object_id": pl.String, "attribute": pl.String,
                   "formula": pl.String, "symbols": pl.String, "value": pl.Float64, "min": pl.Float64,
                   "max": pl.Float64, "mean": pl.Float64, "hours": pl.Int64, "summary": pl.String,
                   "unit": pl.String, "source": pl.String}


def formula_of(table: str, attribute: str, object_class: str) -> Formula | None:
    """The registry entry of this attribute for an object of that class (None: the attribute is an input)."""
    for formula in FORMULAS:
        if (formula.table, formula.attribute) == (table, attribute) and (
                formula.classes is None or object_class in formula.classes):
            return formula
    return None


def result_attribute(table: str, attribute: str, object_class: str) -> Attribute | None:
    """Where the results hold this attribute for an object of that class (io/results_table.ATTRIBUTES)."""
    for spec in ATTRIBUTES:
        if (spec.object_table, spec.attribute) == (table, attribute) and (
                spec.classes is None or object_class in spec.classes):
            return spec
    return None


def input_attributes(table: str) -> list[str]:
    """User inputs of an object of `table`: its own quantity and text columns (not ids, names, links or classes)
    and the weighted links or series held in other tables."""
    definition = s.BY_NAME[table]
    own = [f.name for f in definition.fields
           if f.name not in (definition.id, "name", *_CLASS_COLUMNS) and f.link is None]
    return own + [name for (owner, name) in (*WEIGHT_INPUTS, *HOURLY_INPUTS, *WEEKLY_INPUTS) if owner == table]


def _follow(tables: dict[str, pl.DataFrame], ids: list[str], path: tuple[Hop, ...]) -> list[str]:
    for table, source, target in path:
        ids = (tables[table].filter(pl.col(source).is_in(ids))[target]
               .drop_nulls().unique(maintain_order=True).to_list())
    return ids


def related(tables: dict[str, pl.DataFrame], table: str, object_id: str, via: str) -> tuple[str, list[str]]:
    """(table, ids) of the objects that relation `via` reaches from one object."""
    if via == "self":
        return table, [object_id]
    target, paths = RELATIONS[(table, via)]
    if callable(paths):
        return target, paths(tables, [object_id])
    found: dict[str, None] = {}
    for path in paths:
        found.update(dict.fromkeys(_follow(tables, [object_id], path)))
    return target, list(found)


def _number(value: float) -> str:
    return f"{value:,.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4g}"


def _scalar_summary(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "summary": f"{_number(value)} {unit}".rstrip()}


def _series_summary(values: pl.Series, unit: str) -> dict:
    """Value columns of an hourly series (one value per hour)."""
    if values.is_empty():
        return {"value": 0.0, "hours": 0, "unit": unit, "summary": "no hours"}
    total, low, high, mean = values.sum(), values.min(), values.max(), values.mean()
    return {"value": total, "min": low, "max": high, "mean": mean, "hours": values.len(), "unit": unit,
            "summary": f"sum {_number(total)} {unit} over {values.len():,} h (min {_number(low)}, "
                       f"max {_number(high)}, mean {_number(mean)})"}


class _Lineage:
    """The model and results of one system, and what is known of each node."""

    def __init__(self, model, results, system_id: str, sources: dict[tuple[str, str], str]):
        self.system_id = system_id
        self.sources = sources
        self.tables = {name: frame.filter(pl.col("system_id") == system_id) for name, frame in model.items()}
        self.results = results
        names = objects(model).filter(pl.col("system_id") == system_id).collect(engine=ENGINE)
        self.classes = {(row["object_table"], row["object_id"]): row["object_class"]
                        for row in names.iter_rows(named=True)}

    def row(self, table: str, object_id: str) -> dict:
        definition = s.BY_NAME[table]
        frame = self.tables[table]
        return (frame.filter(pl.col(definition.id) == object_id) if definition.id else frame).row(0, named=True)

    def describe(self, table: str, object_id: str, attribute: str) -> dict:
        """Kind, formula, value columns, unit and source of one node."""
        object_class = self.classes[(table, object_id)]
        base = {"node": f"{object_id}.{attribute}", "object_class": object_class, "object_id": object_id,
                "attribute": attribute}
        formula = formula_of(table, attribute, object_class)
        if formula is not None:
            spec = result_attribute(table, attribute, object_class)
            return {**base, "kind": "calculated", "formula": formula.words, "symbols": formula.symbols,
                    "source": f"computed by stage {spec.frame}",
                    **self._calculated_value(spec, object_id, object_class)}
        return {**base, "kind": "input", "source": self.sources.get((object_id, attribute), "user input"),
                **self._input_value(table, object_id, attribute)}

    def _calculated_value(self, spec: Attribute, object_id: str, object_class: str) -> dict:
        frame = self.results.collected[spec.frame].filter(
            (pl.col("system_id") == self.system_id) & (pl.col(spec.id) == object_id))
        if isinstance(spec.unit, pl.Expr) and set(spec.unit.meta.root_names()) <= set(frame.columns):
            unit = frame.select(spec.unit)[0, 0] if frame.height else ""  # a unit the frame holds (edge needs)
        else:
            unit = _unit_of(spec, object_class)
        if "hour" in frame.columns:
            hourly = frame.group_by("hour").agg(pl.col(spec.column).sum()).sort("hour")[spec.column]
            return _series_summary(hourly, unit)
        value = frame[spec.column].drop_nulls()
        if value.is_empty():
            return {"unit": unit, "summary": "no value"}
        return _scalar_summary(float(value.sum()), unit)

    def _input_value(self, table: str, object_id: str, attribute: str) -> dict:
        object_class = self.classes[(table, object_id)]
        if (table, attribute) in HOURLY_INPUTS:
            holder, id_column, column = HOURLY_INPUTS[(table, attribute)]
            series = self.tables[holder].filter(pl.col(id_column) == object_id).sort("hour")[column]
            return _series_summary(series, _field(holder, column).unit)
        if (table, attribute) in WEEKLY_INPUTS:
            holder, id_column, column = WEEKLY_INPUTS[(table, attribute)]
            week = self.tables[holder].filter(pl.col(id_column) == object_id).sort("hour_of_week")[column]
            unit = _field(holder, column).unit
            if unit is None:  # a component need's profile is in the unit of its component's kind
                component = self.row("edge_component_needs", object_id)["component_id"]
                unit = s.EDGE_NEED_UNITS[s.EDGE_COMPONENT_KINDS[self.row("edge_components", component)[
                    "component_class"]]]
            return _series_summary(week, unit)
        if (table, attribute) in WEIGHT_INPUTS:
            holder, id_column, linked = WEIGHT_INPUTS[(table, attribute)]
            rows = self.tables[holder].filter(pl.col(id_column) == object_id).sort("position")
            weights = ", ".join(f"{link} x {_number(weight)}" for link, weight in
                                rows.select(linked, "weight").iter_rows())
            return {"unit": _field(holder, "weight").unit, "summary": weights or "none"}
        field = _field(table, attribute)
        value = self.row(table, object_id)[attribute]
        unit = field.unit or ""
        if attribute in _COMPUTE_COLUMNS and not unit:
            unit = "gpu" if object_class in _GPU_CLASSES else "cpu_core"
        if value is None:
            return {"unit": unit, "summary": "not set"}
        if isinstance(value, str):
            return {"unit": unit, "summary": value}
        return _scalar_summary(float(value), unit)

    def dependencies(self, table: str, object_id: str, attribute: str) -> list[tuple[str, str, str]]:
        """(table, object id, attribute) of the direct dependencies of a calculated node, in registry order."""
        formula = formula_of(table, attribute, self.classes[(table, object_id)])
        found = []
        for dependency in formula.dependencies:
            if dependency.when is not None:
                column, value = dependency.when
                if self.row(table, object_id)[column] != value:
                    continue
            target, ids = related(self.tables, table, object_id, dependency.via)
            # Only objects that have the attribute: an edge device's components include its storage, which
            # draws no power (efootprint leaves its energy and use footprint empty).
            found += [(target, one, dependency.attribute) for one in ids
                      if dependency.attribute in input_attributes(target)
                      or formula_of(target, dependency.attribute, self.classes[(target, one)]) is not None]
        return list(dict.fromkeys(found))


def _field(table: str, column: str) -> s.Field:
    return next(f for f in s.BY_NAME[table].fields if f.name == column)


def _unit_of(spec: Attribute, object_class: str) -> str:
    if isinstance(spec.unit, str):
        return spec.unit
    return pl.DataFrame({"object_class": [object_class]}).select(spec.unit)[0, 0]


def _object_table(lineage: _Lineage, object_id: str) -> str:
    tables = [table for (table, one) in lineage.classes if one == object_id]
    if not tables:
        known = sorted({one for (_, one) in lineage.classes})
        raise ModelError(f"system {lineage.system_id!r}", "object id", object_id, f"one of {known}")
    return tables[0]


def _system_of(model, object_id: str, system_id: str | None) -> str:
    if system_id is not None:
        if system_id not in model.system_ids:
            raise ModelError("model", "system_id", system_id, f"one of {model.system_ids}")
        return system_id
    names = objects(model).filter(pl.col("object_id") == object_id).select("system_id").unique().collect(engine=ENGINE)
    if names.height == 1:
        return names["system_id"][0]
    if names.height == 0:
        known = sorted(objects(model).select("object_id").unique().collect(engine=ENGINE)["object_id"])
        raise ModelError("model", "object id", object_id, f"one of {known}")
    raise ModelError("model", "object id", object_id,
                     f"a system_id too: it is in several systems ({sorted(names['system_id'])})")


def explain(model, results, object_id: str, attribute: str, max_depth: int | None = None,
            system_id: str | None = None, sources: dict[tuple[str, str], str] | None = None) -> pl.DataFrame:
    """The lineage of `attribute` of object `object_id`: one row per (node, parent) edge, breadth first from the
    attribute itself (depth 0, no parent) down to user inputs, or to `max_depth`. Nodes are
    "object_id.attribute"; `value` is a scalar's value or an hourly series' sum (`min`, `max`, `mean`, `hours`
    then describe the series); `summary` says it in words. An input's `source` comes from `sources` (see
    `sources_of`), else "user input"; a calculated node's names the stage that computes it."""
    lineage = _Lineage(model, results, _system_of(model, object_id, system_id), sources or {})
    table = _object_table(lineage, object_id)
    object_class = lineage.classes[(table, object_id)]
    calculated = sorted({f.attribute for f in FORMULAS if f.table == table
                         and (f.classes is None or object_class in f.classes)})
    inputs = [name for name in input_attributes(table) if name not in calculated]
    if attribute not in calculated and attribute not in inputs:
        raise ModelError(f"{object_class} {object_id!r}", "attribute", attribute,
                         f"a calculated attribute ({', '.join(calculated)}) or an input ({', '.join(inputs)})")
    rows, described, edges = [], {}, set()
    frontier, depth = [((table, object_id, attribute), None)], 0
    while frontier:
        next_frontier = []
        for key, parent in frontier:
            if (key, parent) in edges:
                continue
            edges.add((key, parent))
            expand = key not in described  # a node is expanded where first reached
            if expand:
                described[key] = lineage.describe(*key)
            rows.append({**described[key], "parent": parent, "depth": depth})
            if expand and described[key]["kind"] == "calculated" and depth != max_depth:
                next_frontier += [(child, described[key]["node"]) for child in lineage.dependencies(*key)]
        frontier, depth = next_frontier, depth + 1
    return pl.DataFrame(rows, schema=LINEAGE_COLUMNS)


def sources_of(document: dict) -> dict[tuple[str, str], str]:
    """(object id, attribute) -> name of the source of each input of an efootprint JSON document (the model
    tables do not keep them). Weighted links name the sources of their weights."""
    names = {key: source.get("name", key) for key, source in document.get("Sources", {}).items()
             if isinstance(source, dict)}
    found = {}
    for class_name, objects_of_class in document.items():
        if class_name in ("efootprint_version", "Sources") or not isinstance(objects_of_class, dict):
            continue
        for object_id, attributes in objects_of_class.items():
            for attribute, value in attributes.items() if isinstance(attributes, dict) else ():
                given = [value] if isinstance(value, dict) and "source" in value else (
                    [v for v in value.values() if isinstance(v, dict) and "source" in v]
                    if isinstance(value, dict) else [])
                if given:
                    found[(object_id, attribute)] = ", ".join(dict.fromkeys(
                        names.get(str(v["source"]), str(v["source"])) for v in given))
    return found


def user_inputs(lineage: pl.DataFrame) -> set[tuple[str, str]]:
    """(object id, attribute) of every user input a lineage reaches."""
    inputs = lineage.filter(pl.col("kind") == "input").select("object_id", "attribute").unique()
    return set(inputs.iter_rows())


def tree_text(lineage: pl.DataFrame) -> str:
    """The lineage as an indented tree: each node with its value and unit, its formula for calculated nodes; a
    node reached again is named without its dependencies."""
    children: dict[str, list[dict]] = {}
    root = None
    for row in lineage.iter_rows(named=True):
        if row["parent"] is None:
            root = row
        else:
            children.setdefault(row["parent"], []).append(row)
    lines, shown = [], set()

    def visit(row: dict, indent: int) -> None:
        line = f"{'  ' * indent}{row['node']} = {row['summary']}"
        if row["node"] in shown and children.get(row["node"]):
            lines.append(f"{line}  (see above)")
            return
        shown.add(row["node"])
        lines.append(f"{line}  [{row['symbols']}]" if row["kind"] == "calculated" else f"{line}  ({row['source']})")
        for child in children.get(row["node"], []):
            visit(child, indent + 1)

    visit(root, 0)
    return "\n".join(lines)
