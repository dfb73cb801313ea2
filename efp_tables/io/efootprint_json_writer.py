"""Write efootprint 27 JSON models from input tables: the inverse of `efootprint_json.read_model`.

One system per file (efootprint's JSON holds one System). Object ids are ours, names come from the tables'
`name` columns. Quantities go back from our canonical units to the units efootprint writes: among a few
candidate units per quantity (efootprint's usual unit first), the one in which the value reads shortest
(e.g. 120 millisecond rather than 3.3333333333333335e-05 hour), so that a file read then written keeps its
numbers as written. Hourly occurrences are written as efootprint's compressed float32 values from their first
hour, with a naive start date (local wall clock, timezone null), whatever the input was (form inputs included).
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from efp_tables.builders.time_series import encode_compressed
from efp_tables.io.atomic import atomic_path
from efp_tables.errors import ModelError
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model
from efp_tables.units import convert

EFOOTPRINT_VERSION = "27.0.0"
SOURCE = "user_data"  # efootprint's sentinel source for user inputs
_SOURCES = {SOURCE: {"id": SOURCE, "name": "user data", "link": None}}
_EPOCH = datetime(1970, 1, 1)

# Units a canonical unit may be written in, efootprint's usual unit first (it wins ties).
_UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "kilogram": ("kilogram", "gram"),
    "kilowatt": ("watt", "kilowatt"),
    "hour": ("hour", "minute", "second", "millisecond", "day"),
    "dimensionless": ("dimensionless",),
    "kilowatt_hour / megabyte": ("kilowatt_hour / gigabyte", "kilowatt_hour / megabyte"),
    "kilogram / terabyte_stored": ("kilogram / terabyte_stored",),
    "terabyte_stored": ("terabyte_stored", "gigabyte_stored", "megabyte_stored", "petabyte_stored"),
    "megabyte_stored": ("megabyte_stored", "kilobyte_stored", "gigabyte_stored", "terabyte_stored"),
    "megabyte": ("megabyte", "kilobyte", "gigabyte", "terabyte"),
    "gigabyte_ram": ("gigabyte_ram", "megabyte_ram", "terabyte_ram"),
    "concurrent": ("concurrent",),
    "kilogram / kilowatt_hour": ("gram / kilowatt_hour", "kilogram / kilowatt_hour"),
    "bit": ("bit",),
    "cpu_core * second / megabyte": ("cpu_core * second / gigabyte", "cpu_core * second / megabyte"),
    "1 / second": ("1 / second",),
    "cpu_core": ("cpu_core",),
    "kilowatt / gpu": ("watt / gpu", "kilowatt / gpu"),
    "gigabyte_ram / gpu": ("gigabyte_ram / gpu",),
    "kilogram / gpu": ("kilogram / gpu",),
}
# Per attribute: lifespans read in years; the storage duration stays in hours (efootprint shifts the stored
# data by that many whole hours, so no unit round trip there); device usage as hours per day.
_ATTRIBUTE_CHOICES: dict[str, tuple[str, ...]] = {
    "lifespan": ("year", "hour", "day"),
    "usage_span": ("year", "hour", "day"),
    "data_storage_duration": ("hour",),
    "fraction_of_usage_time": ("dimensionless", "hour / day"),
}

# efootprint's labels (as its constructors set them).
_LABELS = {
    "carbon_footprint_manufacturing": "Carbon footprint manufacturing",
    "power": "Power",
    "lifespan": "Lifespan",
    "fraction_of_usage_time": "Fraction of usage time",
    "bandwidth_energy_intensity": "bandwith energy intensity",
    "average_carbon_intensity": "Average carbon intensity",
    "timezone": "Timezone",
    "carbon_footprint_manufacturing_per_storage_capacity": "Manufacturing carbon footprint per storage capacity",
    "storage_capacity": "Storage capacity",
    "data_replication_factor": "Data replication factor",
    "data_storage_duration": "Data storage duration",
    "base_storage_need": "Initial storage need",
    "fixed_nb_of_instances": "User defined number of instances",
    "server_type": "Server type",
    "idle_power": "Idle power",
    "ram": "RAM",
    "power_usage_effectiveness": "PUE",
    "utilization_rate": "Utilization rate",
    "base_ram_consumption": "Base RAM consumption",
    "gpu_power": "GPU power",
    "gpu_idle_power": "GPU idle power",
    "ram_per_gpu": "RAM per GPU",
    "carbon_footprint_manufacturing_without_gpu": "Carbon footprint without GPU",
    "carbon_footprint_manufacturing_per_gpu": "Carbon footprint one GPU",
    "provider": "Cloud provider",
    "instance_type": "Instance type",
    "bits_per_pixel": "Bits per pixel",
    "static_delivery_cpu_cost": "CPU cost per static stream",
    "ram_buffer_per_user": "RAM buffer size per user",
    "data_transferred": "Sum of all data uploads and downloads by request",
    "data_stored": "Data stored by request",
    "request_duration": "Request duration",
    "ram_needed": "RAM needed during job processing",
    "resolution": "Resolution",
    "video_duration": "Video duration",
    "refresh_rate": "Frames per second",
    "user_time_spent": "Time spent by user",
    "hourly_occurrences": "Hourly nb of pattern occurrences",
    "usage_journeys": "Journeys per pattern occurrence",
    "uj_steps": "Times per journey",
    "jobs": "Times per step",
    "model_name": "Model used",
    "output_token_count": "Output token count",
    "duration": "Video duration",
}
_COMPUTE_WORDS = {"cpu_core": "cpu core", "gpu": "gpu"}


# --- values ------------------------------------------------------------------------------------------------

def _significant_digits(value: float) -> int:
    mantissa = f"{abs(value):.15e}".split("e")[0].replace(".", "").rstrip("0")
    return len(mantissa)


def _written(canonical_value: float, canonical_unit: str, attribute: str) -> tuple[float, str]:
    """(value, unit) to write: among the candidate units, preferably one where the value is between 0.01 and
    1e5, then the one where it has the fewest significant digits, then preferably between 1 and 1000, then
    efootprint's usual unit. Values are rounded to 15 significant digits (float noise of the unit conversion;
    far below the 1e-12 a round trip keeps)."""
    choices = _ATTRIBUTE_CHOICES.get(attribute) or _UNIT_CHOICES.get(canonical_unit) or (canonical_unit,)
    best = None
    for rank, unit in enumerate(choices):
        value = float(f"{convert(canonical_value, canonical_unit, unit):.15g}")
        size = abs(value)
        score = (not 0.01 <= size < 1e5, _significant_digits(value), not 1 <= size < 1000, rank)
        if best is None or score < best[0]:
            best = (score, value, unit)
    return best[1], best[2]


def _quantity(value: float, canonical_unit: str, attribute: str, label: str | None = None) -> dict:
    magnitude, unit = _written(float(value), canonical_unit, attribute)
    return {"value": magnitude, "unit": unit, "label": label or _LABELS.get(attribute, attribute),
            "source": SOURCE}


def _text(value: str, attribute: str) -> dict:
    return {"value": value, "label": _LABELS.get(attribute, attribute), "source": SOURCE}


def _empty(attribute: str, label: str | None = None) -> dict:
    return {"value": None, "label": label or _LABELS.get(attribute, attribute)}


def _instances(value) -> dict:
    if value is None:
        return _empty("fixed_nb_of_instances")
    return _quantity(value, "concurrent", "fixed_nb_of_instances")


def _weights(pairs: list[tuple[str, float]], attribute: str) -> dict:
    return {key: {"value": float(weight), "unit": "dimensionless", "label": _LABELS[attribute],
                  "source": SOURCE} for key, weight in pairs}


def _hourly(hours: np.ndarray, values: np.ndarray) -> dict:
    start = _EPOCH + timedelta(hours=int(hours[0]))
    return {"compressed_values": encode_compressed(values.astype(np.float32)), "unit": "occurrence",
            "start_date": start.strftime("%Y-%m-%d %H:%M:%S"), "timezone": None,
            "label": _LABELS["hourly_occurrences"], "source": SOURCE}


# --- document ----------------------------------------------------------------------------------------------

def _rows(frame: pl.DataFrame, order: str | None = None) -> list[dict]:
    if order is not None:
        frame = frame.sort(order, maintain_order=True)
    return frame.drop("system_id").to_dicts()


def _select_system(model: Model, system_id: str | None) -> str:
    ids = model.system_ids
    if system_id is None:
        if len(ids) != 1:
            raise ModelError("model", "system_id", None,
                             f"the id of the system to write (an efootprint JSON file holds one system; "
                             f"this model has {len(ids)}: {ids[:10]})")
        return ids[0]
    if system_id not in ids:
        raise ModelError("model", "system_id", system_id, f"the id of a system of the model, one of {ids[:10]}")
    return system_id


def model_document(model: Model, system_id: str | None = None) -> dict:
    """The efootprint 27 JSON document (a dict) of one system of `model`: inputs only, as efootprint's
    `system_to_json(..., save_computed_state=False)` writes them. `system_id` is needed when the model holds
    several systems."""
    system_id = _select_system(model, system_id)
    t = {name: frame.filter(pl.col("system_id") == system_id) for name, frame in model.items()}
    doc: dict = {"efootprint_version": EFOOTPRINT_VERSION, "Sources": dict(_SOURCES)}

    def put(cls: str, object_id: str, name: str, attributes: dict) -> None:
        doc.setdefault(cls, {})[object_id] = {"name": name, "id": object_id, **attributes}

    # System
    system_name = t["systems"]["name"][0]
    patterns = [r["usage_pattern_id"] for r in _rows(t["system_usage_patterns"], "position")]
    edge_patterns = [r["usage_pattern_id"] for r in _rows(t["system_edge_usage_patterns"], "position")]
    put("System", system_id, system_name, {"usage_patterns": patterns, "edge_usage_patterns": edge_patterns})
    _edge_objects(t, put)

    # Usage patterns, with their hourly occurrences, journeys and devices
    pattern_journeys = _grouped(t["pattern_journeys"], "usage_pattern_id", "journey_id")
    pattern_devices = _grouped(t["pattern_devices"], "usage_pattern_id", "device_id")
    series = {key[0]: frame.sort("hour") for key, frame in
              t["hourly_occurrences"].partition_by("usage_pattern_id", as_dict=True).items()}
    for row in _rows(t["usage_patterns"]):
        pid = row["usage_pattern_id"]
        hourly = series.get(pid)
        if hourly is None or hourly.height == 0:
            raise ModelError(f"UsagePattern {pid!r}", "hourly_occurrences", [], "a non-empty hourly series")
        put("UsagePattern", pid, row["name"], {
            "hourly_occurrences": _hourly(hourly["hour"].to_numpy(), hourly["occurrences"].to_numpy()),
            "usage_journeys": _weights(pattern_journeys.get(pid, []), "usage_journeys"),
            "devices": [device for device, _ in pattern_devices.get(pid, [])],
            "network": row["network_id"],
            "country": row["country_id"],
        })

    journey_steps = _grouped(t["journey_steps"], "journey_id", "step_id")
    for row in _rows(t["usage_journeys"]):
        put("UsageJourney", row["journey_id"], row["name"],
            {"uj_steps": _weights(journey_steps.get(row["journey_id"], []), "uj_steps")})

    step_jobs = _grouped(t["step_jobs"], "step_id", "job_id")
    for row in _rows(t["usage_journey_steps"]):
        put("UsageJourneyStep", row["step_id"], row["name"], {
            "user_time_spent": _quantity(row["user_time_spent"], "hour", "user_time_spent"),
            "jobs": _weights(step_jobs.get(row["step_id"], []), "jobs"),
        })

    server_names = dict(zip(t["servers"]["server_id"], t["servers"]["name"]))
    # efootprint 27 has no WebApplication: a WebApplicationJob is written as the plain Job it computes as (its
    # ecobenchmark needs, on its service's server), and the WebApplication, which adds nothing, is left out.
    for row in _rows(t["jobs"]):
        cls = "Job" if row["job_class"] == "WebApplicationJob" else row["job_class"]
        put(cls, row["job_id"], row["name"], _job(row, server_names))

    servers_of_apis = {row["external_api_id"]: row for row in _rows(t["external_api_servers"])}
    for row in _rows(t["external_apis"]):
        server = servers_of_apis[row["external_api_id"]]
        put(row["api_class"], row["external_api_id"], row["name"], {
            "server": server["external_api_server_id"], "provider": _text(row["provider"], "provider"),
            "model_name": _text(row["model_name"], "model_name")})
        put(server["server_class"], server["external_api_server_id"], server["name"], {})

    for row in _rows(t["services"]):
        if row["service_class"] != "WebApplication":
            put(row["service_class"], row["service_id"], row["name"], _service(row))

    for row in _rows(t["servers"]):
        put(row["server_class"], row["server_id"], row["name"], _server(row))

    for row in _rows(t["storages"]):
        put("Storage", row["storage_id"], row["name"], {
            "power": _quantity(row["power"], "kilowatt", "power"),
            "lifespan": _quantity(row["lifespan"], "hour", "lifespan"),
            "fraction_of_usage_time": _quantity(1.0, "dimensionless", "fraction_of_usage_time"),
            **{name: _quantity(row[name], s.STORAGES.units[name], name) for name in (
                "carbon_footprint_manufacturing_per_storage_capacity", "storage_capacity",
                "data_replication_factor", "data_storage_duration", "base_storage_need")},
            "fixed_nb_of_instances": _instances(row["fixed_nb_of_instances"]),
        })

    for row in _rows(t["devices"]):
        put("Device", row["device_id"], row["name"], {
            name: _quantity(row[name], s.DEVICES.units[name], name)
            for name in ("carbon_footprint_manufacturing", "power", "lifespan", "fraction_of_usage_time")})

    for row in _rows(t["networks"]):
        put("Network", row["network_id"], row["name"], {
            "bandwidth_energy_intensity": _quantity(row["bandwidth_energy_intensity"], "kilowatt_hour / megabyte",
                                                    "bandwidth_energy_intensity")})

    for row in _rows(t["countries"]):
        put("Country", row["country_id"], row["name"], {
            "short_name": row["short_name"],
            "average_carbon_intensity": _quantity(row["average_carbon_intensity"], "kilogram / kilowatt_hour",
                                                  "average_carbon_intensity"),
            "timezone": {"zone": row["timezone"], "label": _LABELS["timezone"], "source": SOURCE},
        })
    return doc


# --- edge ----------------------------------------------------------------------------------------------------

# The JSON attribute of each component class's own inputs (the builders' components mirror their device's).
_COMPONENT_INPUTS = {
    "EdgeCPUComponent": ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "lifespan",
                         "idle_power_per_unit", "nb_of_units", "compute_per_unit", "base_compute_consumption"),
    "EdgeRAMComponent": ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "lifespan",
                         "idle_power_per_unit", "nb_of_units", "ram_per_unit", "base_ram_consumption"),
    "EdgeWorkloadComponent": ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "lifespan",
                              "idle_power_per_unit", "nb_of_units"),
    "EdgeStorage": ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "lifespan", "idle_power_per_unit",
                    "nb_of_units", "carbon_footprint_manufacturing_per_storage_capacity", "storage_capacity_per_unit",
                    "base_storage_need"),
    "EdgeComputerCPUComponent": ("carbon_footprint_manufacturing_per_unit", "nb_of_units"),
    "EdgeComputerRAMComponent": ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "idle_power_per_unit",
                                 "nb_of_units"),
    "EdgeApplianceComponent": ("carbon_footprint_manufacturing_per_unit", "nb_of_units"),
}
# Where a builder's component need's weekly profile goes: on its device need, under this attribute.
_PROFILE_ON_DEVICE_NEED = {"RecurrentEdgeProcessCPUNeed": "recurrent_compute_needed",
                           "RecurrentEdgeProcessRAMNeed": "recurrent_ram_needed",
                           "RecurrentEdgeProcessStorageNeed": "recurrent_storage_needed",
                           "RecurrentEdgeWorkloadNeed": "recurrent_workload"}


def _repeated(pairs: list[tuple[str, float | None]]) -> list[str]:
    """A list of ids, each as many times as its count (efootprint counts repeats in its lists)."""
    return [key for key, count in pairs for _ in range(int(round(count or 1)))]


def _week(values: list[float], unit: str, label: str) -> dict:
    return {"recurring_values": json.dumps([float(np.float32(v)) for v in values]), "unit": unit, "label": label,
            "source": SOURCE}


def _edge_objects(t: dict[str, pl.DataFrame], put) -> None:
    """The edge objects of one system's tables, as efootprint 27 writes them (lists repeat an id per count;
    weekly profiles as their 168 recurring values)."""
    starts = {key[0]: frame.sort("hour") for key, frame in
              t["edge_deployment_starts"].partition_by("usage_pattern_id", as_dict=True).items()}
    pattern_journeys = _grouped(t["pattern_edge_journeys"], "usage_pattern_id", "edge_journey_id")
    for row in _rows(t["edge_usage_patterns"]):
        pid = row["usage_pattern_id"]
        series = starts.get(pid)
        if series is None or series.height == 0:
            raise ModelError(f"EdgeUsagePattern {pid!r}", "hourly_deployment_starts", [], "a non-empty hourly series")
        hourly = _hourly(series["hour"].to_numpy(), series["starts"].to_numpy())
        hourly["label"] = "Hourly nb of deployment starts"
        put("EdgeUsagePattern", pid, row["name"], {
            "hourly_deployment_starts": hourly,
            "edge_usage_journeys": [journey for journey, _ in pattern_journeys.get(pid, [])],
            "usage_span": _quantity(row["usage_span"], "hour", "usage_span", "Usage span"),
            "network": row["network_id"], "country": row["country_id"]})
    functions = _counted(t["journey_edge_functions"], "edge_journey_id", "edge_function_id")
    for row in _rows(t["edge_usage_journeys"]):
        put("EdgeUsageJourney", row["edge_journey_id"], row["name"],
            {"edge_functions": _repeated(functions.get(row["edge_journey_id"], []))})
    device_needs = _counted(t["function_device_needs"], "edge_function_id", "device_need_id")
    server_needs = _counted(t["function_server_needs"], "edge_function_id", "server_need_id")
    for row in _rows(t["edge_functions"]):
        fid = row["edge_function_id"]
        put("EdgeFunction", fid, row["name"], {"recurrent_edge_device_needs": _repeated(device_needs.get(fid, [])),
                                               "recurrent_server_needs": _repeated(server_needs.get(fid, []))})
    profiles = {key[0]: frame.sort("hour_of_week")["need"].to_list() for key, frame in
                t["component_need_profiles"].partition_by("component_need_id", as_dict=True).items()}
    components = {row["component_id"]: row for row in _rows(t["edge_components"])}
    needs = {row["component_need_id"]: row for row in _rows(t["edge_component_needs"])}
    need_units = {cid: s.EDGE_NEED_UNITS[s.EDGE_COMPONENT_KINDS[row["component_class"]]]
                  for cid, row in components.items()}
    component_needs = _counted(t["device_need_component_needs"], "device_need_id", "component_need_id")
    for row in _rows(t["edge_device_needs"]):
        did = row["device_need_id"]
        attributes = {"edge_device": row["edge_device_id"],
                      "recurrent_edge_component_needs": _repeated(component_needs.get(did, []))}
        for need_id, _ in component_needs.get(did, []):
            need = needs[need_id]
            attribute = _PROFILE_ON_DEVICE_NEED.get(need["need_class"])
            if attribute is not None:
                attributes[attribute] = _week(profiles[need_id], need_units[need["component_id"]],
                                              attribute.replace("_", " ").capitalize())
        put(row["need_class"], did, row["name"], attributes)
    for need_id, need in needs.items():
        attributes = {"edge_component": need["component_id"]}
        if need["need_class"] not in _PROFILE_ON_DEVICE_NEED:
            attributes["recurrent_need"] = _week(profiles[need_id], need_units[need["component_id"]], "Recurrent need")
        put(need["need_class"], need_id, need["name"], attributes)
    by_device = _grouped(t["edge_components"], "edge_device_id", "component_id")
    for row in _rows(t["edge_devices"]):
        cls, did = row["device_class"], row["edge_device_id"]
        attributes = {"lifespan": _quantity(row["lifespan"], "hour", "lifespan"),
                      "components": [component for component, _ in by_device.get(did, [])]}
        if cls == "EdgeDevice":
            attributes["structure_carbon_footprint_manufacturing"] = _quantity(
                row["structure_carbon_footprint_manufacturing"], "kilogram", "carbon_footprint_manufacturing",
                "Structure manufacturing carbon footprint")
        else:
            attributes["carbon_footprint_manufacturing"] = _quantity(
                row["structure_carbon_footprint_manufacturing"], "kilogram", "carbon_footprint_manufacturing")
            for name in ("power", "idle_power"):
                attributes[name] = _quantity(row[name], "kilowatt", name)
        if cls == "EdgeComputer":
            attributes["storage"] = next(c for c, _ in by_device.get(did, [])
                                         if components[c]["component_class"] == "EdgeStorage")
            for name in ("ram", "compute", "base_ram_consumption", "base_compute_consumption"):
                attributes[name] = _quantity(row[name], s.EDGE_DEVICES.units[name], name)
        put(cls, did, row["name"], attributes)
    for cid, row in components.items():
        put(row["component_class"], cid, row["name"], {
            name: _quantity(row[name], s.EDGE_COMPONENTS.units[name], name,
                            name.replace("_", " ").capitalize()) for name in _COMPONENT_INPUTS[row["component_class"]]})
    volumes = {key[0]: frame.sort("hour_of_week")["volume"].to_list() for key, frame in
               t["server_need_profiles"].partition_by("server_need_id", as_dict=True).items()}
    jobs = _grouped(t["server_need_jobs"], "server_need_id", "job_id")
    for row in _rows(t["edge_server_needs"]):
        sid = row["server_need_id"]
        put("RecurrentServerNeed", sid, row["name"], {
            "edge_device": row["edge_device_id"],
            "recurrent_volume_per_edge_device": _week(volumes[sid], "occurrence", "Recurrent volume per edge device"),
            "jobs": {job: {"value": float(weight), "unit": "dimensionless", "label": "Times per occurrence",
                           "source": SOURCE} for job, weight in jobs.get(sid, [])}})
    sub_groups = _counted(t["group_subgroups"], "group_id", "sub_group_id")
    members = _counted(t["group_devices"], "group_id", "edge_device_id")
    for row in _rows(t["edge_device_groups"]):
        gid = row["group_id"]
        put("EdgeDeviceGroup", gid, row["name"], {
            key: {other: {"value": float(count), "unit": "dimensionless", "label": "Count in group",
                          "source": SOURCE} for other, count in pairs.get(gid, [])}
            for key, pairs in (("sub_group_counts", sub_groups), ("edge_device_counts", members))})


def _counted(edges: pl.DataFrame, owner: str, other: str) -> dict[str, list[tuple[str, float]]]:
    """{owner: [(other, count), ...]} in list order (by position when the table has one)."""
    if "position" in edges.columns:
        edges = edges.sort("position", maintain_order=True)
    out: dict[str, list[tuple[str, float]]] = {}
    for row in edges.iter_rows(named=True):
        out.setdefault(row[owner], []).append((row[other], row["count"]))
    return out


def _grouped(edges: pl.DataFrame, owner: str, other: str) -> dict[str, list[tuple[str, float | None]]]:
    """owner id -> [(other id, weight)] in position order."""
    out: dict[str, list[tuple[str, float | None]]] = {}
    has_weight = "weight" in edges.columns
    for row in edges.sort("position", maintain_order=True).iter_rows(named=True):
        out.setdefault(row[owner], []).append((row[other], row["weight"] if has_weight else None))
    return out


def _job(row: dict, server_names: dict[str, str]) -> dict:
    cls = row["job_class"]
    if cls in s.EXTERNAL_API_JOB_CLASSES.values():
        # efootprint's constants for an external API job (its constructor sets them; they are saved all the same)
        out = {"data_stored": _quantity(0.0, "megabyte_stored", "data_stored"),
               "ram_needed": _quantity(0.0, "gigabyte_ram", "ram_needed"),
               "compute_needed": _quantity(0.0, "cpu_core", "compute_needed", "CPU needed during job processing"),
               "external_api": row["external_api_id"]}
        if cls == "EcoLogitsGenAIExternalAPIJob":
            return {**out, "output_token_count": _quantity(row["output_token_count"], "dimensionless",
                                                           "output_token_count")}
        return {**out, "resolution": _text(row["resolution"], "resolution"),
                "duration": _quantity(row["duration"], "hour", "duration"),
                "with_audio": {"value": bool(row["with_audio"]), "label": "Generates audio", "source": SOURCE}}
    if cls == "VideoStreamingJob":
        return {
            "data_stored": _quantity(row["data_stored"], "megabyte_stored", "data_stored"),
            "service": row["service_id"],
            "video_duration": _quantity(row["video_duration"], "hour", "video_duration"),
            "resolution": _text(row["resolution"], "resolution"),
            "refresh_rate": _quantity(row["refresh_rate"], "1 / second", "refresh_rate"),
        }
    compute_unit = "gpu" if cls == "GPUJob" else "cpu_core"
    server_name = server_names.get(row["server_id"], row["server_id"])
    return {
        "data_transferred": _quantity(row["data_transferred"], "megabyte", "data_transferred"),
        "data_stored": _quantity(row["data_stored"], "megabyte_stored", "data_stored"),
        "request_duration": _quantity(row["request_duration"], "hour", "request_duration"),
        "ram_needed": _quantity(row["ram_needed"], "gigabyte_ram", "ram_needed"),
        "compute_needed": _quantity(row["compute_needed"], compute_unit, "compute_needed",
                                    f"{_COMPUTE_WORDS[compute_unit]}s needed on server {server_name} "
                                    f"during job processing"),
        "server": row["server_id"],
    }


def _service(row: dict) -> dict:
    base_compute = row["base_compute_consumption"]
    return {
        "server": row["server_id"],
        "base_ram_consumption": _quantity(row["base_ram_consumption"], "gigabyte_ram", "base_ram_consumption",
                                          "OS and streaming software base RAM consumption"),
        # efootprint leaves it empty when not given; the reader reads an empty value as 0.
        "base_compute_consumption": (_empty("base_compute_consumption", "no value") if not base_compute else
                                     _quantity(base_compute, "cpu_core", "base_compute_consumption",
                                               "OS and streaming software base cpu core consumption")),
        "bits_per_pixel": _quantity(row["bits_per_pixel"], "bit", "bits_per_pixel"),
        "static_delivery_cpu_cost": _quantity(row["static_delivery_cpu_cost"], "cpu_core * second / megabyte",
                                              "static_delivery_cpu_cost"),
        "ram_buffer_per_user": _quantity(row["ram_buffer_per_user"], "gigabyte_ram", "ram_buffer_per_user"),
    }


def _server(row: dict) -> dict:
    """A server's inputs by class: GPUServer writes its per-GPU inputs (efootprint derives power, idle power,
    RAM and manufacturing footprint), BoaviztaCloudServer its provider and instance type (efootprint gets the
    hardware from Boavizta's data)."""
    cls = row["server_class"]
    compute_unit = "gpu" if cls == "GPUServer" else "cpu_core"
    word = _COMPUTE_WORDS[compute_unit]
    q = lambda name: _quantity(row[name], s.SERVERS.units[name], name)  # noqa: E731
    owner = f"{cls} {row['server_id']!r}"

    def required(name: str):
        if row[name] is None:
            raise ModelError(owner, name, None, "a value")
        return row[name]

    out: dict = {}
    if cls == "Server":
        out["carbon_footprint_manufacturing"] = _quantity(required("carbon_footprint_manufacturing"), "kilogram",
                                                          "carbon_footprint_manufacturing")
        out["power"] = _quantity(required("power"), "kilowatt", "power")
    out["lifespan"] = q("lifespan")
    out["fraction_of_usage_time"] = _quantity(1.0, "dimensionless", "fraction_of_usage_time")
    out["server_type"] = _text(row["server_type"], "server_type")
    if cls in ("Server", "BoaviztaCloudServer"):
        out["idle_power"] = _quantity(required("idle_power"), "kilowatt", "idle_power")
    if cls == "Server":
        out["ram"] = _quantity(required("ram"), "gigabyte_ram", "ram")
    if cls in ("Server", "GPUServer"):
        out["compute"] = _quantity(required("compute"), compute_unit, "compute", f"Nb {word}s")
    out["power_usage_effectiveness"] = q("power_usage_effectiveness")
    out["average_carbon_intensity"] = _quantity(row["average_carbon_intensity"], "kilogram / kilowatt_hour",
                                                "average_carbon_intensity", "Average carbon intensity of electricity")
    out["utilization_rate"] = q("utilization_rate")
    out["base_ram_consumption"] = q("base_ram_consumption")
    out["base_compute_consumption"] = _quantity(row["base_compute_consumption"], compute_unit,
                                                "base_compute_consumption", f"Base {word} consumption")
    out["fixed_nb_of_instances"] = _instances(row["fixed_nb_of_instances"])
    out["storage"] = row["storage_id"]
    if cls == "GPUServer":
        for name in ("gpu_power", "gpu_idle_power", "ram_per_gpu", "carbon_footprint_manufacturing_without_gpu",
                     "carbon_footprint_manufacturing_per_gpu"):
            required(name)
            out[name] = q(name)
    if cls == "BoaviztaCloudServer":
        out["provider"] = _text(required("provider"), "provider")
        out["instance_type"] = _text(required("instance_type"), "instance_type")
        out["impact_url"] = "https://api.boavizta.org/v1/cloud/instance"
    return out


def write_model(model: Model, path: str | Path, system_id: str | None = None) -> Path:
    """Write one system of `model` as an efootprint 27 JSON file, atomically (a temporary file in the same
    folder, then renamed over `path`). Returns the path."""
    path = Path(path)
    document = model_document(model, system_id)
    text = json.dumps(document, indent=4, ensure_ascii=False, allow_nan=False)
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return path
