"""Older efootprint JSON to the efootprint 27 form, over the parsed JSON, as efootprint 27 reads such files.

A file written by efootprint 9.0.0 to 26.x goes through one small step per major version (`STEPS[n]` turns a
major-n document into a major-(n+1) one): renamed classes and attributes, unit changes, structural moves.
Saved calculated values are never trusted: every step leaves them alone or takes them out into `Upgraded.saved`
(efootprint 27 names, for comparison with today's computation), and the document that comes out holds inputs
only. ../shared/spec/json_versions.md describes each step and its quirks.

Files without a version (efootprint 8 and older) and versions before 9 are refused; a file newer than 27 is read
as is, with a warning. Every error names the file's version, the object and the attribute.
"""
from __future__ import annotations

import difflib
import json
import re
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from efp_tables.errors import ModelError

OLDEST_MAJOR = 9
CURRENT_MAJOR = 27
CURRENT_VERSION = "27.0.0"
READ_VERSIONS = f"efootprint {OLDEST_MAJOR}.0.0 to {CURRENT_MAJOR}.x"
VERSION_KEY = "efootprint_version"
NOT_CLASSES = (VERSION_KEY, "Sources", "calculation_graph")
# Class keys of older files that efootprint 27 no longer has under that name (renamed by a step, or only ever
# touched by steps: efootprint 27 skips their objects when it builds the system).
FORMER_CLASSES = ("Hardware", "EdgeDevice", "BoaviztaServerFromConfig", "BoaviztaStorageFromConfig")
_CLASSES_FILE = Path(__file__).resolve().parents[2] / "data" / "efootprint" / "classes.json"
_SERIES_KEYS = ("compressed_values", "values", "recurring_values")
_EXPLANATION_KEYS = frozenset(("direct_ancestors_with_id", "direct_children_with_id", "explain_nested_tuples"))
HYPOTHESIS = "hypothesis"  # source ids reserved by efootprint 21+ for its two built-in sources
RESERVED_SOURCES = {HYPOTHESIS: ("e-footprint hypothesis", None), "user_data": ("user data", None)}
AUTOMATIC_REPLACEMENT = {"id": "automatic_replacement", "name": "automatic replacement", "link": None}


class UpgradeWarning(UserWarning):
    """Something the upgrade changed that the user should know: needs replaced by defaults, objects renamed,
    a file newer than efootprint 27."""


@lru_cache(maxsize=1)
def efootprint_classes() -> dict:
    """data/efootprint/classes.json (scripts/make_efootprint_classes.py): efootprint 27's classes, their
    ancestors, inputs and calculated attributes, the removed classes and the allowed video resolutions."""
    return json.loads(_CLASSES_FILE.read_text())


def is_a(cls: str, base: str) -> bool:
    """Whether efootprint class `cls` is `base` or one of its subclasses (False for classes 27 does not know)."""
    known = efootprint_classes()
    entry = known["classes"].get(cls) or known["removed_classes"].get(cls)
    return cls == base or (entry is not None and base in entry["ancestors"])


@lru_cache(maxsize=None)
def calculated_attributes(cls: str) -> frozenset[str]:
    entry = efootprint_classes()["classes"].get(cls)
    return frozenset(entry["calculated"]) if entry else frozenset()


@dataclass
class Upgrade:
    """A document on its way to efootprint 27, with what the steps record on the way."""
    document: dict
    version: str
    step: int = 0  # the major version being upgraded from (for messages)
    where: str = "model"  # the file's name
    ecobenchmark_needs: bool = False  # WebApplicationJobs keep their ecobenchmark needs (not efootprint 27's way)
    saved: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # class -> id -> attribute -> value
    changes: list[tuple[int, str]] = field(default_factory=list)  # (from major, what changed)
    warnings: list[str] = field(default_factory=list)
    former_names: dict[tuple[str, str], str] = field(default_factory=dict)  # (id, attribute) -> name in the file
    former_ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (class, id) in the file

    # --- reading the document, with errors that name the version, the object and the attribute -------------
    def context(self) -> str:
        if self.step:
            return f"in a file of efootprint {self.version}, upgrading it from {self.step} to {self.step + 1}"
        return f"in a file of efootprint {self.version}"

    def error(self, cls: str, object_id: str, attribute: str, value, expected: str) -> ModelError:
        return ModelError(f"{cls} {object_id!r}", attribute, value, f"{expected} ({self.context()})")

    def objects(self, cls: str) -> Iterator[tuple[str, dict]]:
        """(id, object) of every object of class key `cls` (none when the file has no such key)."""
        yield from list(self.document.get(cls, {}).items())

    def objects_of(self, base: str) -> Iterator[tuple[str, str, dict]]:
        """(class, id, object) of every object whose class is `base` or a subclass of it."""
        for cls in [c for c in self.document if c not in NOT_CLASSES and is_a(c, base)]:
            for object_id, obj in self.objects(cls):
                yield cls, object_id, obj

    def required(self, cls: str, object_id: str, obj: dict, attribute: str, expected: str):
        if attribute not in obj:
            raise self.error(cls, object_id, attribute, None, f"{expected} (attribute missing)")
        return obj[attribute]

    def quantity(self, cls: str, object_id: str, obj: dict, attribute: str) -> dict:
        value = self.required(cls, object_id, obj, attribute, "a quantity {value, unit}")
        if not isinstance(value, dict) or not isinstance(value.get("unit", ""), str):
            raise self.error(cls, object_id, attribute, value, "a quantity {value, unit} with a text unit")
        return value

    def reference(self, cls: str, object_id: str, obj: dict, attribute: str, target: str) -> str:
        value = self.required(cls, object_id, obj, attribute, f"the id of a {target}")
        if not isinstance(value, str) or value not in self.document.get(target, {}):
            raise self.error(cls, object_id, attribute, value, f"the id of a {target} of the file")
        return value

    def rename(self, cls: str, object_id: str, obj: dict, old: str, new: str) -> None:
        """`old` renamed `new` at the same position; the file must have the old name, not the new one."""
        if new in obj or old not in obj:
            present = new if new in obj else None
            raise self.error(cls, object_id, old if present is None else new, obj.get(new),
                             f"{old!r} (renamed {new!r} from efootprint {self.step + 1} on)")
        renamed = {(new if key == old else key): value for key, value in obj.items()}
        obj.clear()
        obj.update(renamed)
        self.former_names.setdefault((object_id, new), self.former_names.get((object_id, old), old))

    def rename_class(self, old: str, new: str) -> None:
        if old not in self.document:
            return
        if new in self.document:
            raise ModelError(self.where, "class", new,
                             f"either {old!r} (efootprint {self.step} and before) or {new!r} (efootprint "
                             f"{self.step + 1} and later), not both ({self.context()})")
        members = self.document.pop(old)
        self.document[new] = members
        for object_id in members:
            self.former_ids.setdefault(object_id, (old, object_id))
        self.change(f"class {old} is now {new} ({len(members)} object(s))")

    def change(self, text: str) -> None:
        self.changes.append((self.step, text))

    def warn(self, text: str, change: str | None = None) -> None:
        """A warning, and a change (`change`, shorter, or the warning itself) in the summary."""
        self.warnings.append(text)
        self.change(change or text)

    def take_out(self, cls: str, object_id: str, obj: dict, attribute: str) -> None:
        """A saved calculated value leaves the document for `saved`."""
        self.saved.setdefault(cls, {}).setdefault(object_id, {})[attribute] = obj.pop(attribute)

    def add_object(self, cls: str, object_id: str, obj: dict) -> None:
        if any(object_id in members for c, members in self.document.items() if c not in NOT_CLASSES):
            raise ModelError(self.where, "id", object_id,
                             f"an id free for the {cls} the upgrade creates ({self.context()})")
        self.document.setdefault(cls, {})[object_id] = obj


def _json_quantity(text: str, label: str = "unnamed source") -> dict:
    """'1.0 second' as efootprint 27 writes an input it sets itself (an e-footprint hypothesis)."""
    number, unit = text.split(" ", 1)
    return {"value": float(number), "unit": unit, "label": label, "source": HYPOTHESIS}


def _is_series(value) -> bool:
    return isinstance(value, dict) and any(key in value for key in _SERIES_KEYS)


def _unit_of(up: Upgrade, cls: str, object_id: str, attribute: str, value: dict) -> str:
    unit = value.get("unit")
    if not isinstance(unit, str):
        raise up.error(cls, object_id, f"{attribute}.unit", unit, "a unit as text")
    return unit


# --- 9 -> 10 ----------------------------------------------------------------------------------------------------

def to_10(up: Upgrade) -> None:
    """Attributes year, job_type and description dropped; devices' class key Hardware becomes Device."""
    for cls in [c for c in up.document if c not in NOT_CLASSES]:
        for object_id, obj in up.objects(cls):
            for attribute in ("year", "job_type", "description"):
                if obj.pop(attribute, None) is not None:
                    up.change(f"{cls} {object_id!r}: {attribute} dropped")
    up.rename_class("Hardware", "Device")


# --- 10 -> 11 ---------------------------------------------------------------------------------------------------

def to_11(up: Upgrade) -> None:
    """Systems gain (empty) edge usage patterns; server_utilization_rate becomes utilization_rate."""
    for object_id, obj in up.objects("System"):
        obj["edge_usage_patterns"] = []
    for cls in ("Server", "GPUServer", "BoaviztaCloudServer"):
        for object_id, obj in up.objects(cls):
            up.rename(cls, object_id, obj, "server_utilization_rate", "utilization_rate")
            up.change(f"{cls} {object_id!r}: server_utilization_rate is now utilization_rate")


# --- 11 -> 12 ---------------------------------------------------------------------------------------------------

def to_12(up: Upgrade) -> None:
    """EdgeDevice becomes EdgeComputer; an edge usage journey's processes move into a new EdgeFunction, and each
    process names the journey's former edge device."""
    up.rename_class("EdgeDevice", "EdgeComputer")
    for journey_id, journey in up.objects("EdgeUsageJourney"):
        computer = journey.pop("edge_device", None)
        processes = up.required("EdgeUsageJourney", journey_id, journey, "edge_processes",
                                "a list of RecurrentEdgeProcess ids")
        if not isinstance(processes, list):
            raise up.error("EdgeUsageJourney", journey_id, "edge_processes", processes,
                           "a list of RecurrentEdgeProcess ids")
        function_id = f"ef_{journey_id}"
        up.add_object("EdgeFunction", function_id, {
            "name": f"Edge function for edge usage journey {journey.get('name', journey_id)}", "id": function_id,
            "recurrent_edge_resource_needs": list(processes)})
        up.rename("EdgeUsageJourney", journey_id, journey, "edge_processes", "edge_functions")
        journey["edge_functions"] = [function_id]
        processes_of_file = up.document.get("RecurrentEdgeProcess", {})
        for process_id in processes:
            if not isinstance(process_id, str) or process_id not in processes_of_file:
                raise up.error("EdgeUsageJourney", journey_id, "edge_processes", process_id,
                               "ids of RecurrentEdgeProcess objects of the file")
            processes_of_file[process_id]["edge_device"] = computer
        up.change(f"EdgeUsageJourney {journey_id!r}: its processes are now EdgeFunction {function_id!r}")


# --- 12 -> 13 ---------------------------------------------------------------------------------------------------

# (class or base class, attribute) -> the unit a dimensionless series takes
_COUNT_SERIES_UNITS = {("UsagePattern", "hourly_occurrences"): "occurrence",
                       ("EdgeUsagePattern", "hourly_deployment_starts"): "occurrence",
                       ("RecurrentEdgeWorkload", "recurrent_workload"): "concurrent"}
_RAM_SERIES_13 = (("RecurrentEdgeProcess", "recurrent_ram_needed"),)
_RAM_SCALARS_13 = (("ServerBase", "ram"), ("ServerBase", "base_ram_consumption"), ("GPUServer", "ram_per_gpu"),
                   ("EdgeComputer", "ram"), ("EdgeComputer", "base_ram_consumption"), ("JobBase", "ram_needed"),
                   ("VideoStreaming", "base_ram_consumption"), ("VideoStreaming", "ram_buffer_per_user"))


def _ram_unit_13(unit: str) -> str:
    """12 -> 13's RAM suffix: any unit with a 'b' or 'B' and no '_ram' yet; '...byte' gets '_ram' at the end,
    others have each 'B' replaced by 'B_ram' ('MB' -> 'MB_ram')."""
    if "_ram" in unit or "b" not in unit.lower():
        return unit
    return unit + "_ram" if unit.endswith("byte") else unit.replace("B", "B_ram")


def to_13(up: Upgrade) -> None:
    """Counts of occurrences and concurrent loads get their own units; RAM quantities get '_ram' units."""
    for (base, attribute), unit in _COUNT_SERIES_UNITS.items():
        for cls, object_id, obj in up.objects_of(base):
            value = obj.get(attribute)
            series = [value] if _is_series(value) else [v for v in value.values() if _is_series(v)] \
                if isinstance(value, dict) else []
            for one in series:
                if "unit" in one and one["unit"] in ("dimensionless", ""):
                    one["unit"] = unit
                    up.change(f"{cls} {object_id!r}: {attribute} in {unit}")
    for base, attribute in _RAM_SERIES_13 + _RAM_SCALARS_13:
        scalar = (base, attribute) in _RAM_SCALARS_13
        for cls, object_id, obj in up.objects_of(base):
            value = obj.get(attribute)
            if not isinstance(value, dict) or "unit" not in value or _is_series(value) == scalar:
                continue
            unit = _unit_of(up, cls, object_id, attribute, value)
            if _ram_unit_13(unit) != unit:
                value["unit"] = _ram_unit_13(unit)
                up.change(f"{cls} {object_id!r}: {attribute} in {value['unit']}")


# --- 13 -> 14 ---------------------------------------------------------------------------------------------------

def to_14(up: Upgrade) -> None:
    """Edge computers lose their PUE and utilization rate and gain a structure footprint (a copy of their
    fabrication footprint); edge functions' resource needs are renamed device needs."""
    for object_id, obj in up.objects("EdgeComputer"):
        obj.pop("power_usage_effectiveness", None)
        obj.pop("utilization_rate", None)
        footprint = up.quantity("EdgeComputer", object_id, obj, "carbon_footprint_fabrication")
        obj["structure_carbon_footprint_fabrication"] = deepcopy(footprint)
        up.change(f"EdgeComputer {object_id!r}: structure_carbon_footprint_fabrication added")
    for object_id, obj in up.objects("EdgeFunction"):
        up.rename("EdgeFunction", object_id, obj, "recurrent_edge_resource_needs", "recurrent_edge_device_needs")


# --- 14 -> 15 ---------------------------------------------------------------------------------------------------

EDGE_NETWORK_ID = "default_wifi_network_for_edge"


def to_15(up: Upgrade) -> None:
    """Edge usage patterns use a new default wifi network; edge functions gain (empty) server needs."""
    if "EdgeUsagePattern" in up.document:
        up.document.setdefault("Network", {})[EDGE_NETWORK_ID] = {
            "name": "Default wifi network for edge", "id": EDGE_NETWORK_ID,
            "bandwidth_energy_intensity": {
                "value": 0.05, "unit": "kilowatt_hour / gigabyte",
                "label": "bandwith energy intensity of Default wifi network from e-footprint hypothesis",
                "source": {"name": "e-footprint hypothesis", "link": None}}}
        for object_id, obj in up.objects("EdgeUsagePattern"):
            obj["network"] = EDGE_NETWORK_ID
            up.change(f"EdgeUsagePattern {object_id!r}: network {EDGE_NETWORK_ID!r} (0.05 kWh/GB) added")
    for object_id, obj in up.objects("EdgeFunction"):
        obj["recurrent_server_needs"] = []


# --- 15 -> 16 ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def job_defaults() -> dict[str, str]:
    """efootprint 27's Job default inputs, as text quantities (data/archetypes/defaults.json)."""
    from efp_tables.builders.archetypes import ARCHETYPES_DIR
    return json.loads((ARCHETYPES_DIR / "defaults.json").read_text())["defaults"]["Job"]


def _ecobenchmark_needs(up: Upgrade, job_id: str, technology, details) -> dict:
    """request_duration, compute_needed and ram_needed of a WebApplicationJob as efootprint 9 to 15 computed them,
    from Boavizta's ecobenchmark (data/archetypes/web_application_ecobenchmark.csv), sources inline (the
    20 -> 21 step moves them to the Sources block)."""
    import polars as pl

    from efp_tables.builders.archetypes import web_application_needs
    table = web_application_needs()
    rows = table.filter((pl.col("technology") == technology) & (pl.col("implementation_details") == details))
    if rows.is_empty():
        pairs = sorted(f"{t}/{d}" for t, d in table.select("technology", "implementation_details").iter_rows())
        raise up.error("WebApplicationJob", job_id, "implementation_details", f"{technology}/{details}",
                       f"a technology/implementation pair that Boavizta's ecobenchmark measured, one of {pairs}")
    row = rows.row(0, named=True)
    source = {"name": "Boavizta ecobenchmark (efootprint 15 WebApplication)", "link": None}
    return {attribute: {"value": row[attribute], "unit": unit, "label": f"{attribute} from Boavizta's ecobenchmark",
                        "source": dict(source)}
            for attribute, unit in (("request_duration", "second"), ("compute_needed", "cpu_core"),
                                    ("ram_needed", "megabyte_ram"))}


def _web_application_job(up: Upgrade, job_id: str, job: dict) -> dict:
    """A WebApplicationJob as efootprint 27 reads it: a Job on its service's server, its data kept, its needs
    and duration efootprint 27's Job defaults (the ecobenchmark needs are not kept). With `ecobenchmark_needs`,
    its needs are those efootprint 15 computed instead."""
    service_id = up.reference("WebApplicationJob", job_id, job, "service", "WebApplication")
    service = up.document["WebApplication"][service_id]
    server = up.required("WebApplication", service_id, service, "server", "the id of the server it is installed on")
    kept = {attribute: up.quantity("WebApplicationJob", job_id, job, attribute)
            for attribute in ("data_transferred", "data_stored")}
    technology = service.get("technology", {}).get("value") if isinstance(service.get("technology"), dict) else None
    details = job.get("implementation_details", {})
    details = details.get("value") if isinstance(details, dict) else None
    if up.ecobenchmark_needs:
        needs = _ecobenchmark_needs(up, job_id, technology, details)
        up.change(f"WebApplicationJob {job_id!r} is now a Job with the ecobenchmark needs of {technology}/{details} "
                  f"(efootprint 27 would give it its Job defaults)")
        return {"name": job.get("name"), "id": job_id, "server": server, **kept, **needs}
    defaults = {attribute: _json_quantity(text) for attribute, text in job_defaults().items() if attribute not in kept}
    shown = ", ".join(f"{attribute} {value['value']:g} {value['unit']}" for attribute, value in defaults.items())
    up.warn(f"WebApplicationJob {job_id!r} ({job.get('name', job_id)!r}, {technology}/{details} on "
            f"WebApplication {service.get('name', service_id)!r}) is read as efootprint 27 reads it: a plain Job "
            f"on the server {server!r} with efootprint 27's Job defaults ({shown}); its ecobenchmark needs are "
            f"not kept, so its results change (keep them: efp upgrade --ecobenchmark-needs)",
            f"WebApplicationJob {job_id!r} is now a Job with efootprint 27's Job defaults (its ecobenchmark needs "
            f"are not kept)")
    return {"name": job.get("name"), "id": job_id, "server": server, **kept, **defaults}


def to_16(up: Upgrade) -> None:
    """Services removed from efootprint: WebApplicationJobs become Jobs with the Job defaults (WebApplications
    disappear); GenAIModels become EcoLogits GenAI external APIs (with a server), GenAIJobs their jobs."""
    for job_id, job in up.objects("WebApplicationJob"):
        up.document.setdefault("Job", {})[job_id] = _web_application_job(up, job_id, job)
        up.former_ids.setdefault(job_id, ("WebApplicationJob", job_id))
    up.document.pop("WebApplicationJob", None)
    if up.document.pop("WebApplication", None):
        up.change("WebApplication services removed (their jobs are plain Jobs)")
    for model_id, model in up.objects("GenAIModel"):
        server_id = f"{model_id}_server"
        up.document.setdefault("EcoLogitsGenAIExternalAPI", {})[model_id] = {
            "name": model.get("name"), "id": model_id,
            "provider": up.required("GenAIModel", model_id, model, "provider", "a provider"),
            "model_name": up.required("GenAIModel", model_id, model, "model_name", "a model name"),
            "server": server_id}
        up.add_object("EcoLogitsGenAIExternalAPIServer", server_id,
                      {"name": f"{model.get('name')} server", "id": server_id})
        up.former_ids.setdefault(model_id, ("GenAIModel", model_id))
        up.change(f"GenAIModel {model_id!r} is now an EcoLogitsGenAIExternalAPI with server {server_id!r}")
    up.document.pop("GenAIModel", None)
    for job_id, job in up.objects("GenAIJob"):
        up.document.setdefault("EcoLogitsGenAIExternalAPIJob", {})[job_id] = {
            "name": job.get("name"), "id": job_id, "external_api": job.get("service"),
            "output_token_count": job.get("output_token_count"),
            **{attribute: _json_quantity(text) for attribute, text in (
                ("data_transferred", "0.0 megabyte"), ("data_stored", "0.0 megabyte"),
                ("request_duration", "0.0 second"), ("compute_needed", "0.0 cpu_core"),
                ("ram_needed", "0.0 gigabyte_ram"))}}
        up.former_ids.setdefault(job_id, ("GenAIJob", job_id))
        up.change(f"GenAIJob {job_id!r} is now an EcoLogitsGenAIExternalAPIJob")
    up.document.pop("GenAIJob", None)


# --- 16 -> 17 ---------------------------------------------------------------------------------------------------

def to_17(up: Upgrade) -> None:
    """Negative data stored by jobs becomes 0; storages lose their power inputs; needs on an edge storage
    become RecurrentEdgeStorageNeeds."""
    for cls in ("Job", "GPUJob", "VideoStreamingJob"):
        for object_id, obj in up.objects(cls):
            stored = up.quantity(cls, object_id, obj, "data_stored")
            number = stored.get("value")
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise up.error(cls, object_id, "data_stored", stored, "a quantity with a number as value")
            if number < 0:
                stored["value"] = 0
                up.change(f"{cls} {object_id!r}: negative data_stored set to 0")
    for cls in ("Storage", "EdgeStorage"):
        for object_id, obj in up.objects(cls):
            for attribute in ("power_per_storage_capacity", "idle_power"):
                if obj.pop(attribute, None) is not None:
                    up.change(f"{cls} {object_id!r}: {attribute} dropped")
    edge_storages = set(up.document.get("EdgeStorage", {}))
    for object_id, obj in up.objects("RecurrentEdgeComponentNeed"):
        if edge_storages and obj.get("edge_component") in edge_storages:
            up.document.setdefault("RecurrentEdgeStorageNeed", {})[object_id] = \
                up.document["RecurrentEdgeComponentNeed"].pop(object_id)
            up.change(f"RecurrentEdgeComponentNeed {object_id!r} is now a RecurrentEdgeStorageNeed")


# --- 17 -> 18 ---------------------------------------------------------------------------------------------------

def _stored_unit_18(unit: str) -> str:
    """17 -> 18's storage suffix: '_stored' on a unit ending in 'byte' or 'B' (only the last '/' part of a
    ratio). The parts are joined with ' / ' after the numerator kept its own trailing space, so
    'kilogram / terabyte' becomes 'kilogram  / terabyte_stored' (two spaces), as efootprint writes it."""
    if "_stored" in unit or "_ram" in unit:
        return unit
    if "/" in unit:
        parts = unit.split("/")
        parts[-1] = _stored_unit_18(parts[-1].strip())
        return " / ".join(parts)
    return unit + "_stored" if unit.endswith(("byte", "B")) else unit


def to_18(up: Upgrade) -> None:
    """Storage quantities in stored bytes."""
    for cls in ("Storage", "EdgeStorage", "BoaviztaStorageFromConfig"):
        for object_id, obj in up.objects(cls):
            for attribute in ("base_storage_need", "storage_capacity",
                              "carbon_footprint_fabrication_per_storage_capacity"):
                value = obj.get(attribute)
                if isinstance(value, dict) and "unit" in value:
                    unit = _unit_of(up, cls, object_id, attribute, value)
                    if _stored_unit_18(unit) != unit:
                        value["unit"] = _stored_unit_18(unit)
                        up.change(f"{cls} {object_id!r}: {attribute} in {value['unit']}")


# --- 18 -> 19 ---------------------------------------------------------------------------------------------------

_EDGE_COMPONENTS = ("EdgeCPUComponent", "EdgeComputerCPUComponent", "EdgeRAMComponent", "EdgeComputerRAMComponent",
                    "EdgeWorkloadComponent", "EdgeApplianceComponent", "EdgeStorage")
_PER_UNIT = {"carbon_footprint_fabrication": "carbon_footprint_fabrication_per_unit", "power": "power_per_unit",
             "idle_power": "idle_power_per_unit"}
_PER_UNIT_OF_CLASS = {"EdgeCPUComponent": {"compute": "compute_per_unit"},
                      "EdgeComputerCPUComponent": {"compute": "compute_per_unit"},
                      "EdgeRAMComponent": {"ram": "ram_per_unit"}, "EdgeComputerRAMComponent": {"ram": "ram_per_unit"},
                      "EdgeStorage": {"storage_capacity": "storage_capacity_per_unit"}}


def to_19(up: Upgrade) -> None:
    """Edge components' inputs are per unit, with a number of units (1 when the file has none)."""
    for cls in _EDGE_COMPONENTS:
        for object_id, obj in up.objects(cls):
            for old, new in {**_PER_UNIT, **_PER_UNIT_OF_CLASS.get(cls, {})}.items():
                if old in obj and new not in obj:
                    up.rename(cls, object_id, obj, old, new)
                    up.change(f"{cls} {object_id!r}: {old} is now {new}")
            if "nb_of_units" not in obj:
                obj["nb_of_units"] = _json_quantity("1.0 dimensionless")
                up.change(f"{cls} {object_id!r}: nb_of_units 1 added")


# --- 19 -> 20 ---------------------------------------------------------------------------------------------------

_STORED_20 = (("JobBase", "data_stored"), ("Storage", "power_per_storage_capacity"), ("Storage", "storage_capacity"),
              ("Storage", "base_storage_need"), ("EdgeStorage", "power_per_storage_capacity"),
              ("BoaviztaStorageFromConfig", "power_per_storage_capacity"),
              ("RecurrentEdgeProcess", "recurrent_storage_needed"))
_RAM_20 = (("ServerBase", "ram"), ("ServerBase", "base_ram_consumption"), ("GPUServer", "ram_per_gpu"),
           ("EdgeComputer", "ram"), ("EdgeComputer", "base_ram_consumption"), ("JobBase", "ram_needed"),
           ("Service", "base_ram_consumption"), ("Service", "ram_buffer_per_user"))


def _suffixed_20(unit: str, suffix: str) -> str:
    """19 -> 20's suffix: every '/'-separated part ending in 'byte', 'B' or 'bit' and without '_stored' or
    '_ram' gets '_<suffix>' ('kilowatt_hour / gigabyte' -> 'kilowatt_hour / gigabyte_stored')."""
    def one(part: str) -> str:
        bare = part.strip()
        if "_stored" in bare or "_ram" in bare or not bare.endswith(("byte", "B", "bit")):
            return part
        return part.replace(bare, f"{bare}_{suffix}")
    return "/".join(one(part) for part in unit.split("/"))


def _unsuffixed_20(unit: str) -> str:
    """Each '/'-separated part loses a trailing '_stored' or '_ram'."""
    def one(part: str) -> str:
        bare = part.strip()
        for tag in ("_stored", "_ram"):
            if bare.endswith(tag):
                return part.replace(bare, bare[:-len(tag)])
        return part
    return "/".join(one(part) for part in unit.split("/"))


def _per_information_20(value: dict, unit: str, suffix: str, denominator: str) -> str:
    """A quantity per byte: its denominator in plain or stored bytes; a zero written without denominator (pint
    dropped it) gets `denominator`."""
    if "/" in unit:
        return _suffixed_20(unit, suffix) if suffix else _unsuffixed_20(unit)
    return f"{unit} / {denominator}" if value.get("value") == 0 else unit


def to_20(up: Upgrade) -> None:
    """Stored data and RAM get their own units everywhere (bytes, bytes_stored and bytes_ram are distinct
    dimensions from 20 on); bits per pixel are bits; per-byte intensities name the right byte."""
    def set_unit(cls: str, object_id: str, attribute: str, new: Callable[[dict, str], str]) -> None:
        obj = up.document[cls][object_id]
        value = obj.get(attribute)
        if not isinstance(value, dict) or not isinstance(value.get("unit"), str):
            return
        if new(value, value["unit"]) != value["unit"]:
            value["unit"] = new(value, value["unit"])
            up.change(f"{cls} {object_id!r}: {attribute} in {value['unit']}")

    known = efootprint_classes()
    components = {object_id: cls for cls, object_id, _ in up.objects_of("EdgeComponent")}
    for cls in [c for c in up.document if c in known["classes"] or c in known["removed_classes"]]:
        for object_id, obj in up.objects(cls):
            for rules, suffix in ((_STORED_20, "stored"), (_RAM_20, "ram")):
                for base, attribute in rules:
                    if is_a(cls, base):
                        set_unit(cls, object_id, attribute, lambda v, u, s=suffix: _suffixed_20(u, s))
            if is_a(cls, "VideoStreaming"):
                set_unit(cls, object_id, "bits_per_pixel", lambda v, u: "bit" if u == "dimensionless" else u)
            if is_a(cls, "Network"):
                set_unit(cls, object_id, "bandwidth_energy_intensity",
                         lambda v, u: _per_information_20(v, u, "", "gigabyte"))
            if is_a(cls, "Storage"):
                set_unit(cls, object_id, "carbon_footprint_fabrication_per_storage_capacity",
                         lambda v, u: _per_information_20(v, u, "stored", "gigabyte_stored"))
            if is_a(cls, "RecurrentEdgeComponentNeed"):
                component = components.get(obj.get("edge_component"))
                suffix = "ram" if component and is_a(component, "EdgeRAMComponent") else \
                    "stored" if component and is_a(component, "EdgeStorage") else None
                if suffix:
                    set_unit(cls, object_id, "recurrent_need", lambda v, u, s=suffix: _suffixed_20(u, s))


# --- 20 -> 21 ---------------------------------------------------------------------------------------------------

def source_id(name: str, link: str | None) -> str:
    """The id of a source in the Sources block: the reserved ids for efootprint's two built-in sources, else a
    12-character id derived from the name and link (efootprint draws a random one; ours is the same on every
    upgrade of the same file)."""
    for reserved, key in RESERVED_SOURCES.items():
        if (name, link) == key:
            return reserved
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"efootprint-source:{name}\n{link or ''}"))[:12]


def to_21(up: Upgrade) -> None:
    """Inline sources {name, link} become ids into a top-level Sources block (right after the version). Inputs
    that earlier steps wrote in the 21 form name the reserved id 'hypothesis', which efootprint 27 knows without
    a block entry."""
    if "Sources" in up.document:
        raise ModelError(up.where, "Sources", "a Sources block",
                         f"inline sources only: the Sources block appeared in efootprint 21 ({up.context()})")
    block: dict[str, dict] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            source = node.get("source")
            if isinstance(source, dict) and "name" in source:
                name, link = source["name"], source.get("link") or None
                if not isinstance(name, str) or not (link is None or isinstance(link, str)):
                    raise ModelError(up.where, "source", source, f"a source {{name, link}} of texts ({up.context()})")
                node["source"] = source_id(name, link)
                block[node["source"]] = {"id": node["source"], "name": name, "link": link}
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for cls in [c for c in up.document if c not in NOT_CLASSES]:
        walk(up.document[cls])
    if block:
        rest = {key: value for key, value in up.document.items() if key != VERSION_KEY}
        up.document.clear()
        up.document.update({VERSION_KEY: up.version, "Sources": block, **rest})
        up.change(f"{len(block)} source(s) moved to the Sources block")


# --- 21 -> 22 ---------------------------------------------------------------------------------------------------

_WEIGHTED_22 = {"UsageJourney": ("uj_steps", "Times per journey"), "UsageJourneyStep": ("jobs", "Times per step"),
                "RecurrentServerNeed": ("jobs", "Times per occurrence")}


def to_22(up: Upgrade) -> None:
    """Lists of steps and jobs become weighted dicts {id: count}; a repeated id becomes one entry at its first
    position whose count is its number of occurrences."""
    for cls, (attribute, label) in _WEIGHTED_22.items():
        for object_id, obj in up.objects(cls):
            ids = obj.get(attribute)
            if not isinstance(ids, list):
                continue
            if not all(isinstance(one, str) for one in ids):
                raise up.error(cls, object_id, attribute, ids, "a list of ids")
            counts = Counter(ids)
            obj[attribute] = {one: _json_quantity(f"{float(count)} dimensionless", label)
                              for one, count in counts.items()}
            repeated = [one for one, count in counts.items() if count > 1]
            if repeated and cls == "UsageJourney":
                up.warn(f"UsageJourney {object_id!r}: steps {repeated} are listed several times; efootprint 27 "
                        f"counts each once, at its first position, with a weight: their jobs all start at that "
                        f"position, which can shift hourly loads (totals are unchanged)")
            up.change(f"{cls} {object_id!r}: {attribute} is now a weighted dict")


# --- 22 -> 23 ---------------------------------------------------------------------------------------------------

def to_23(up: Upgrade) -> None:
    """Saved calculated values (those named as in efootprint 27) leave the document: never trusted, recomputed."""
    taken = 0
    for cls in [c for c in up.document if c not in NOT_CLASSES]:
        calculated = calculated_attributes(cls)
        for object_id, obj in up.objects(cls):
            for attribute in [a for a in obj if a in calculated]:
                up.take_out(cls, object_id, obj, attribute)
                taken += 1
    if taken:
        up.change(f"{taken} saved calculated value(s) set aside (recomputed)")


# --- 23 -> 24 ---------------------------------------------------------------------------------------------------

def _occurrences_24(up: Upgrade, cls: str, object_id: str, obj: dict, old: str, new: str, label: str) -> None:
    if old in obj or new not in obj:
        up.rename(cls, object_id, obj, old, new)
    series = obj[new]
    if not isinstance(series, dict):
        raise up.error(cls, object_id, new, series, "an hourly series")
    series["label"], series["unit"] = label, "occurrence"


def to_24(up: Upgrade) -> None:
    """A usage pattern has weighted journeys and hourly occurrences; an edge usage pattern has a list of
    journeys, deployment starts and the journey's usage span."""
    for object_id, pattern in up.objects("UsagePattern"):
        if "usage_journey" in pattern:
            journey = pattern.pop("usage_journey")
            if not isinstance(journey, str):
                raise up.error("UsagePattern", object_id, "usage_journey", journey, "the id of a UsageJourney")
            pattern["usage_journeys"] = {journey: _json_quantity("1.0 dimensionless",
                                                                 "Journeys per pattern occurrence")}
            up.former_names.setdefault((object_id, "usage_journeys"), "usage_journey")
        _occurrences_24(up, "UsagePattern", object_id, pattern, "hourly_usage_journey_starts", "hourly_occurrences",
                        "Hourly nb of pattern occurrences")
        up.change(f"UsagePattern {object_id!r}: usage_journeys and hourly_occurrences")
    edge_journeys = up.document.get("EdgeUsageJourney", {})
    for object_id, pattern in up.objects("EdgeUsagePattern"):
        if "edge_usage_journey" in pattern:
            journey = pattern.pop("edge_usage_journey")
            if not isinstance(journey, str) or journey not in edge_journeys:
                raise up.error("EdgeUsagePattern", object_id, "edge_usage_journey", journey,
                               "the id of an EdgeUsageJourney of the file")
            pattern["edge_usage_journeys"] = [journey]
            pattern["usage_span"] = deepcopy(up.required("EdgeUsageJourney", journey, edge_journeys[journey],
                                                              "usage_span", "a duration"))
        _occurrences_24(up, "EdgeUsagePattern", object_id, pattern, "hourly_edge_usage_journey_starts",
                        "hourly_deployment_starts", "Hourly nb of deployment starts")
        up.change(f"EdgeUsagePattern {object_id!r}: edge_usage_journeys, usage_span and hourly_deployment_starts")
    for _, journey in up.objects("EdgeUsageJourney"):
        journey.pop("usage_span", None)
    up.document.pop("calculation_graph", None)


# --- 24 -> 25 ---------------------------------------------------------------------------------------------------

_WORDS_25 = (("energy_footprints", "use_footprints"), ("energy_footprint", "use_footprint"),
             ("Energy footprints", "Use footprints"), ("Energy footprint", "Use footprint"),
             ("energy footprints", "use footprints"), ("energy footprint", "use footprint"),
             ("FABRICATION", "MANUFACTURING"), ("Fabrication", "Manufacturing"), ("fabrication", "manufacturing"))


def _words_25(text: str) -> str:
    for old, new in _WORDS_25:
        text = text.replace(old, new)
    return text


def _renamed_25(node):
    if isinstance(node, dict):
        return {_renamed_25(key): _renamed_25(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed_25(item) for item in node]
    return _words_25(node) if isinstance(node, str) else node


def to_25(up: Upgrade) -> None:
    """'energy footprint' becomes 'use footprint' and 'fabrication' 'manufacturing', as a plain text
    replacement in every key and every text of the file: attribute names, but also ids, names and labels."""
    before = up.document
    up.document = _renamed_25(before)
    up.saved = _renamed_25(up.saved)
    for cls in [c for c in before if c not in NOT_CLASSES and isinstance(before[c], dict)]:
        for object_id, obj in before[cls].items():
            new_id = _words_25(object_id)
            if new_id != object_id:
                up.former_ids.setdefault(new_id, up.former_ids.get(object_id, (cls, object_id)))
            for attribute in obj if isinstance(obj, dict) else ():
                if _words_25(attribute) != attribute:
                    up.former_names.setdefault((new_id, _words_25(attribute)),
                                               up.former_names.get((object_id, attribute), attribute))
                    up.change(f"{cls} {new_id!r}: {attribute} is now {_words_25(attribute)}")
            name = obj.get("name") if isinstance(obj, dict) else None
            if isinstance(name, str) and _words_25(name) != name:
                up.warn(f"{cls} {new_id!r}: efootprint 27 renames {name!r} {_words_25(name)!r} (its 'fabrication'"
                        f" to 'manufacturing' renaming applies to every text of the file, names included)")


# --- 25 -> 26 ---------------------------------------------------------------------------------------------------

def to_26(up: Upgrade) -> None:
    """A video generation job's resolution that its model does not allow becomes the model's first allowed one,
    from the source 'automatic replacement', the change told in its comment."""
    allowed = efootprint_classes()["video_generation_resolutions"]
    for object_id, job in up.objects("EcoLogitsVideoGenExternalAPIJob"):
        cls = "EcoLogitsVideoGenExternalAPIJob"
        api_id = up.reference(cls, object_id, job, "external_api", "EcoLogitsVideoGenExternalAPI")
        api = up.document["EcoLogitsVideoGenExternalAPI"][api_id]
        model = up.required("EcoLogitsVideoGenExternalAPI", api_id, api, "model_name", "a model name")
        model = model.get("value") if isinstance(model, dict) else model
        resolution = up.required(cls, object_id, job, "resolution", "a resolution")
        if not isinstance(resolution, dict):
            raise up.error(cls, object_id, "resolution", resolution, "a resolution {value, label, source}")
        options = allowed.get(model)
        if not options or resolution.get("value") in options:
            continue
        former = resolution.get("value")
        source = up.document.get("Sources", {}).get(resolution.get("source"))
        note = (f"Set by the upgrade to efootprint 26: {former} is not a resolution of {model}, whose first "
                f"allowed resolution is {options[0]}. Former source: "
                f"{source.get('name') if isinstance(source, dict) else 'none'}; former confidence: "
                f"{resolution.get('confidence') or 'none'}.")
        comment = resolution.get("comment")
        resolution.update(value=options[0], source=AUTOMATIC_REPLACEMENT["id"],
                          comment=note + (f"\n\n{comment}" if comment is not None else ""))
        resolution.pop("confidence", None)
        up.document.setdefault("Sources", {})[AUTOMATIC_REPLACEMENT["id"]] = dict(AUTOMATIC_REPLACEMENT)
        up.warn(f"{cls} {object_id!r}: resolution {former!r} is not one of {model}'s; efootprint 27 reads "
                f"{options[0]!r}")


# --- 26 -> 27 ---------------------------------------------------------------------------------------------------

def to_27(up: Upgrade) -> None:
    """Saved values lose their direct_ancestors_with_id (efootprint 27 derives them from its formulas)."""
    for cls in [c for c in up.document if c in efootprint_classes()["classes"]]:
        for _, obj in up.objects(cls):
            for value in obj.values():
                if isinstance(value, dict):
                    for one in [value, *(entry for entry in value.values() if isinstance(entry, dict))]:
                        one.pop("direct_ancestors_with_id", None)


STEPS: dict[int, Callable[[Upgrade], None]] = {
    9: to_10, 10: to_11, 11: to_12, 12: to_13, 13: to_14, 14: to_15, 15: to_16, 16: to_17, 17: to_18,
    18: to_19, 19: to_20, 20: to_21, 21: to_22, 22: to_23, 23: to_24, 24: to_25, 25: to_26, 26: to_27}


# --- the whole upgrade --------------------------------------------------------------------------------------------

@dataclass
class Upgraded:
    """A document in the efootprint 27 form (inputs only) and what the upgrade did."""
    document: dict
    version: str  # the file's efootprint_version
    saved: dict[str, dict[str, dict[str, Any]]]  # saved calculated values: class -> id -> attribute -> value
    changes: list[tuple[int, str]]  # (from major, what changed); major 27 for what any file goes through
    warnings: list[str]
    former_names: dict[tuple[str, str], str]
    former_ids: dict[str, tuple[str, str]]

    @property
    def major(self) -> int:
        return major_of(self.version)

    @property
    def upgraded(self) -> bool:
        return self.major < CURRENT_MAJOR

    def summary(self) -> str:
        """What the upgrade changed, step by step."""
        if not self.upgraded:
            head = f"efootprint {self.version} file: no upgrade needed"
        else:
            head = f"efootprint {self.version} file upgraded to efootprint {CURRENT_MAJOR}, " \
                   f"{CURRENT_MAJOR - self.major} step(s)"
        lines = [head]
        shown = 8  # changes shown per step
        for major in sorted({major for major, _ in self.changes}):
            texts = [text for m, text in self.changes if m == major]
            lines.append(f"  {major} -> {major + 1}:" if major < CURRENT_MAJOR else "  every version:")
            lines += [f"    {text}" for text in texts[:shown]]
            if len(texts) > shown:
                lines.append(f"    and {len(texts) - shown} more")
        return "\n".join(lines)

    def explained(self, error: ModelError) -> ModelError:
        """A reader's error on the upgraded document, told with the file's version and former names."""
        if not self.upgraded:
            return error
        notes = [f"in a file of efootprint {self.version}, read as efootprint {CURRENT_MAJOR}"]
        found = re.fullmatch(r"(\w+) '(.*)'", error.obj)
        object_id = found[2] if found else None
        if object_id in self.former_ids and self.former_ids[object_id] != (found[1], object_id):
            cls, old_id = self.former_ids[object_id]
            notes.append(f"{cls} {old_id!r} in the file")
        attribute = error.attribute.split(".")[0].split("[")[0]
        if (object_id, attribute) in self.former_names:
            notes.append(f"{self.former_names[object_id, attribute]!r} in the file")
        else:  # not renamed, as the file does not have it: its name in files of that version
            notes += [f"{old!r} in files of efootprint {self.major}" for new, until, old in _RENAMED_ATTRIBUTES
                      if new == attribute and self.major < until][:1]
        return type(error)(error.obj, error.attribute, error.value, f"{error.expected} ({'; '.join(notes)})")


# Inputs that the reader names and that older files name otherwise: (27 name, first major with it, older name).
_RENAMED_ATTRIBUTES = (
    ("utilization_rate", 11, "server_utilization_rate"), ("usage_journeys", 24, "usage_journey"),
    ("hourly_occurrences", 24, "hourly_usage_journey_starts"),
    ("carbon_footprint_manufacturing", 25, "carbon_footprint_fabrication"),
    ("carbon_footprint_manufacturing_per_storage_capacity", 25, "carbon_footprint_fabrication_per_storage_capacity"))


def major_of(version: str) -> int:
    return int(version.split(".")[0])


def file_version(document: dict, where: str) -> str:
    """The file's efootprint_version; refused when missing (efootprint 8 and older) or older than 9."""
    if VERSION_KEY not in document:
        raise ModelError(where, VERSION_KEY, None,
                         f"the version of efootprint that wrote the file: {READ_VERSIONS} files are read. Files of "
                         f"efootprint 8 and older have no version and are not read (efootprint 27 does not read "
                         f"them either)")
    version = document[VERSION_KEY]
    if not isinstance(version, str) or not re.fullmatch(r"\d{1,6}(\.[0-9A-Za-z+-]+)*", version):
        raise ModelError(where, VERSION_KEY, version, f"a version 'MAJOR.MINOR.PATCH' such as '{CURRENT_VERSION}'")
    if major_of(version) < OLDEST_MAJOR:
        raise ModelError(where, VERSION_KEY, version, f"a file of {READ_VERSIONS}")
    return version


def _check_layout(document: dict, version: str, where: str) -> None:
    """Every class key is a class efootprint knows (27's, removed or renamed ones) holding objects keyed by
    their id, as efootprint 27 checks before it upgrades."""
    known = efootprint_classes()
    names = [*known["classes"], *known["removed_classes"], *FORMER_CLASSES]
    for cls, members in document.items():
        if cls in NOT_CLASSES:
            continue
        if cls not in names:
            close = difflib.get_close_matches(str(cls), names, n=2)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ModelError(where, "class", cls, f"an efootprint class (in a file of efootprint {version}){hint}")
        if not isinstance(members, dict):
            raise ModelError(where, cls, type(members).__name__,
                             f"an object of objects keyed by id (in a file of efootprint {version})")
        for object_id, obj in members.items():
            if not isinstance(obj, dict) or not obj:
                raise ModelError(f"{cls} {object_id!r}", "object", obj,
                                 f"a JSON object of attributes (in a file of efootprint {version})")
            if obj.get("id", object_id) != object_id:
                raise ModelError(f"{cls} {object_id!r}", "id", obj.get("id"),
                                 f"the object's key {object_id!r} (in a file of efootprint {version})")


def _inputs_only(up: Upgrade) -> None:
    """Whatever the version: saved calculated values set aside, the calculation graph and the explanation
    links of saved states dropped."""
    up.step = 0
    taken = 0
    for cls in [c for c in up.document if c not in NOT_CLASSES]:
        calculated = calculated_attributes(cls)
        for object_id, obj in up.objects(cls):
            for attribute in [attribute for attribute in obj if attribute in calculated] if calculated else ():
                up.take_out(cls, object_id, obj, attribute)
                taken += 1
            for value in obj.values():
                if isinstance(value, dict):  # its dict entries, then itself (isdisjoint: most have no such key)
                    for entry in value.values():
                        if isinstance(entry, dict) and not _EXPLANATION_KEYS.isdisjoint(entry):
                            _drop_explanations(entry)
                    if not _EXPLANATION_KEYS.isdisjoint(value):
                        _drop_explanations(value)
    if up.document.pop("calculation_graph", None) is not None or taken:
        up.changes.append((CURRENT_MAJOR, f"{taken} saved calculated value(s) set aside (recomputed)"))


def _drop_explanations(one: dict) -> None:
    for key in _EXPLANATION_KEYS.intersection(one):
        del one[key]


def upgrade(document: dict, where: str = "model", ecobenchmark_needs: bool = False, copy: bool = True) -> Upgraded:
    """`document` (parsed efootprint JSON, left unchanged unless `copy` is False: then upgraded in place) in the
    efootprint 27 form. Warnings (UpgradeWarning) tell what changes results or names; they are also in the result.
    `ecobenchmark_needs`: WebApplicationJobs keep the needs efootprint 15 gave them, where efootprint 27 gives them
    its Job defaults."""
    if not isinstance(document, dict):
        raise ModelError(where, "document", type(document).__name__, "a JSON object of classes")
    version = file_version(document, where)
    _check_layout(document, version, where)
    up = Upgrade(deepcopy(document) if copy else document, version, where=where,
                 ecobenchmark_needs=ecobenchmark_needs)
    major = major_of(version)
    if major > CURRENT_MAJOR:
        up.warn(f"{where} was written by efootprint {version}, newer than {CURRENT_MAJOR}: it is read as an "
                f"efootprint {CURRENT_MAJOR} file; check that it is compatible")
    for step in range(major, CURRENT_MAJOR):
        up.step = step
        STEPS[step](up)
    _inputs_only(up)
    if major < CURRENT_MAJOR:
        up.document[VERSION_KEY] = CURRENT_VERSION
    for text in up.warnings:
        warnings.warn(text, UpgradeWarning, stacklevel=2)
    return Upgraded(up.document, version, up.saved, up.changes, up.warnings, up.former_names, up.former_ids)
