"""Read efootprint 27 JSON models into input tables. Object ids are kept as in the file."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np

from efp_tables.builders import time_series
from efp_tables.errors import ModelError
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model
from efp_tables.units import to_canonical

SUPPORTED = ("Sources", "System", "UsagePattern", "UsageJourney", "UsageJourneyStep", "Job", "GPUJob",
             "VideoStreamingJob", "Server", "GPUServer", "BoaviztaCloudServer", "Storage", "VideoStreaming",
             "Device", "Network", "Country")
_META = ("efootprint_version",)


def read_model(path: str | Path, system_id: str | None = None) -> Model:
    """Read one efootprint JSON file. `system_id` defaults to the id of its System object."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(str(path), "file", str(path), f"a readable efootprint JSON file ({exc.strerror})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(str(path), "JSON", f"line {exc.lineno} column {exc.colno}", f"valid JSON ({exc.msg})") from None
    return Model.from_rows(model_rows(document, system_id, where=path.name))


def model_rows(document: dict, system_id: str | None = None, where: str = "model") -> dict[str, list[dict]]:
    if not isinstance(document, dict):
        raise ModelError(where, "document", type(document).__name__, "a JSON object of classes")
    unknown = [k for k in document if k not in SUPPORTED and k not in _META]
    if unknown:
        raise ModelError(where, "class", unknown[0], f"one of the supported classes {list(SUPPORTED)}")
    objects = {}
    for cls, members in document.items():
        if cls in _META or cls == "Sources":
            continue
        if not isinstance(members, dict):
            raise ModelError(where, cls, type(members).__name__, "an object of objects keyed by id")
        for object_id, obj in members.items():
            if not isinstance(obj, dict):
                raise ModelError(f"{cls} {object_id!r}", "object", obj, "a JSON object of attributes")
            if object_id in objects:
                raise ModelError(f"{cls} {object_id!r}", "id", object_id, "an id used by a single object")
            objects[object_id] = (cls, obj)
    systems = [(oid, obj) for oid, (cls, obj) in objects.items() if cls == "System"]
    if len(systems) != 1:
        raise ModelError(where, "System", [oid for oid, _ in systems], "exactly one System object")
    reader = _Reader(objects, system_id or systems[0][0])
    return reader.rows(*systems[0])


class _Reader:
    def __init__(self, objects: dict[str, tuple[str, dict]], system_id: str):
        self.objects = objects
        self.system_id = system_id
        self.out: dict[str, list[dict]] = {t.name: [] for t in s.TABLES}

    # --- helpers -------------------------------------------------------------------------------------
    def ref(self, owner: str, attribute: str, value, classes: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in self.objects:
            raise ModelError(owner, attribute, value, f"the id of a {' or '.join(classes)} of the file")
        cls = self.objects[value][0]
        if cls not in classes:
            raise ModelError(owner, attribute, value, f"a {' or '.join(classes)}, not a {cls}")
        return value

    def quantity(self, owner: str, obj: dict, attribute: str, unit: str, optional: bool = False):
        if attribute not in obj:
            if optional:
                return None
            raise ModelError(owner, attribute, None, f"a quantity in {unit} (attribute missing)")
        value = obj[attribute]
        if optional and (value is None or (isinstance(value, dict) and value.get("value") is None)):
            return None
        return to_canonical(value, unit, obj=owner, attribute=attribute)

    def text(self, owner: str, obj: dict, attribute: str) -> str:
        value = obj.get(attribute)
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, str):
            raise ModelError(owner, attribute, value, "a text value")
        return value

    def fields(self, table: s.Table, owner: str, obj: dict, skip: tuple[str, ...] = ()) -> dict:
        row = {}
        for f in table.fields:
            if f.unit is not None and f.name not in skip:
                row[f.name] = self.quantity(owner, obj, f.name, f.unit, optional=f.nullable)
        return row

    def weighted(self, owner: str, obj: dict, attribute: str, classes: tuple[str, ...]) -> list[tuple[str, float]]:
        value = obj.get(attribute)
        if isinstance(value, list):  # a list of ids: weight 1 each, repeats summed
            pairs: dict[str, float] = {}
            for item in value:
                pairs[self.ref(owner, attribute, item, classes)] = pairs.get(item, 0.0) + 1.0
            return list(pairs.items())
        if not isinstance(value, dict):
            raise ModelError(owner, attribute, value, f"a dict of {'/'.join(classes)} ids to weights, or a list of ids")
        return [(self.ref(owner, attribute, key, classes),
                 to_canonical(weight, "dimensionless", obj=owner, attribute=f"{attribute}[{key}]"))
                for key, weight in value.items()]

    def add(self, table: str, row: dict) -> None:
        self.out[table].append({"system_id": self.system_id, **row})

    def named(self, object_id: str, cls: str) -> tuple[str, dict]:
        obj = self.objects[object_id][1]
        return f"{cls} {object_id!r}", obj

    # --- objects -------------------------------------------------------------------------------------
    def rows(self, system_id: str, system: dict) -> dict[str, list[dict]]:
        self.add("systems", {"name": system.get("name", system_id)})
        owner = f"System {system_id!r}"
        if system.get("edge_usage_patterns"):
            raise ModelError(owner, "edge_usage_patterns", system["edge_usage_patterns"],
                             "no edge usage patterns (edge models are not supported yet)")
        patterns = system.get("usage_patterns")
        if not isinstance(patterns, list) or not patterns:
            raise ModelError(owner, "usage_patterns", patterns, "a non-empty list of UsagePattern ids")
        seen: set[str] = set()
        for position, pattern_id in enumerate(patterns):
            self.ref(owner, "usage_patterns", pattern_id, ("UsagePattern",))
            if pattern_id in seen:
                continue
            seen.add(pattern_id)
            self.add("system_usage_patterns", {"usage_pattern_id": pattern_id, "position": position})
            self.usage_pattern(pattern_id)
        return self.out

    def once(self, object_id: str) -> bool:
        done = getattr(self, "_done", set())
        self._done = done
        if object_id in done:
            return False
        done.add(object_id)
        return True

    def usage_pattern(self, pattern_id: str) -> None:
        owner, obj = self.named(pattern_id, "UsagePattern")
        network = self.ref(owner, "network", obj.get("network"), ("Network",))
        country = self.ref(owner, "country", obj.get("country"), ("Country",))
        self.add("usage_patterns", {"usage_pattern_id": pattern_id, "name": obj.get("name", pattern_id),
                                    "network_id": network, "country_id": country})
        series = self.hourly_series(owner, obj.get("hourly_occurrences"))
        for hour, value in zip(series.hours.tolist(), series.values.tolist()):
            self.add("hourly_occurrences", {"usage_pattern_id": pattern_id, "hour": hour, "occurrences": value})
        for position, (journey_id, weight) in enumerate(self.weighted(owner, obj, "usage_journeys", ("UsageJourney",))):
            self.add("pattern_journeys", {"usage_pattern_id": pattern_id, "journey_id": journey_id,
                                          "weight": weight, "position": position})
            self.usage_journey(journey_id)
        devices = obj.get("devices", [])
        if not isinstance(devices, list):
            raise ModelError(owner, "devices", devices, "a list of Device ids")
        for position, device_id in enumerate(dict.fromkeys(devices)):
            self.add("pattern_devices", {"usage_pattern_id": pattern_id,
                                         "device_id": self.ref(owner, "devices", device_id, ("Device",)),
                                         "position": position})
            self.device(device_id)
        self.network(network)
        self.country(country)

    def hourly_series(self, owner: str, value) -> time_series.HourlySeries:
        if not isinstance(value, dict):
            raise ModelError(owner, "hourly_occurrences", value, "an hourly series object")
        if "form_inputs" in value:
            return time_series.from_form_inputs(value["form_inputs"], owner)
        unit = value.get("unit", "occurrence")
        to_canonical({"value": 1.0, "unit": unit}, "occurrence", obj=owner, attribute="hourly_occurrences.unit")
        try:
            start = datetime.fromisoformat(str(value.get("start_date")))
        except ValueError:
            raise ModelError(owner, "hourly_occurrences.start_date", value.get("start_date"),
                             "a datetime like '2025-01-01 00:00:00'") from None
        if value.get("timezone") not in (None, "UTC") or start.tzinfo not in (None,) and start.utcoffset():
            raise ModelError(owner, "hourly_occurrences.timezone", value.get("timezone"),
                             "a naive local start date (null timezone) or UTC")
        if "compressed_values" in value:
            values = time_series.decode_compressed(value["compressed_values"], owner)
        elif "values" in value and isinstance(value["values"], list):
            try:
                values = np.asarray(value["values"], dtype=np.float64)
            except (TypeError, ValueError):
                raise ModelError(owner, "hourly_occurrences.values", value["values"][:5], "a list of numbers") from None
        else:
            raise ModelError(owner, "hourly_occurrences", sorted(value),
                             "compressed_values, values or form_inputs")
        try:
            return time_series.HourlySeries(start.replace(tzinfo=None), values)
        except ModelError as exc:
            raise ModelError(owner, f"hourly_occurrences.{exc.attribute}", exc.value, exc.expected) from None

    def usage_journey(self, journey_id: str) -> None:
        if not self.once(journey_id):
            return
        owner, obj = self.named(journey_id, "UsageJourney")
        self.add("usage_journeys", {"journey_id": journey_id, "name": obj.get("name", journey_id)})
        for position, (step_id, weight) in enumerate(self.weighted(owner, obj, "uj_steps", ("UsageJourneyStep",))):
            self.add("journey_steps", {"journey_id": journey_id, "step_id": step_id, "weight": weight,
                                       "position": position})
            self.step(step_id)

    def step(self, step_id: str) -> None:
        if not self.once(step_id):
            return
        owner, obj = self.named(step_id, "UsageJourneyStep")
        self.add("usage_journey_steps", {"step_id": step_id, "name": obj.get("name", step_id),
                                         **self.fields(s.USAGE_JOURNEY_STEPS, owner, obj)})
        for position, (job_id, weight) in enumerate(
                self.weighted(owner, obj, "jobs", ("Job", "GPUJob", "VideoStreamingJob"))):
            self.add("step_jobs", {"step_id": step_id, "job_id": job_id, "weight": weight, "position": position})
            self.job(job_id)

    def job(self, job_id: str) -> None:
        if not self.once(job_id):
            return
        cls = self.objects[job_id][0]
        owner, obj = self.named(job_id, cls)
        row = {"job_id": job_id, "name": obj.get("name", job_id), "job_class": cls, "server_id": None,
               "service_id": None, "resolution": None}
        if cls == "VideoStreamingJob":
            row["service_id"] = self.ref(owner, "service", obj.get("service"), ("VideoStreaming",))
            row["resolution"] = self.text(owner, obj, "resolution")
            row["data_stored"] = self.quantity(owner, obj, "data_stored", "megabyte_stored")
            row["video_duration"] = self.quantity(owner, obj, "video_duration", "hour")
            row["refresh_rate"] = self.quantity(owner, obj, "refresh_rate", "1 / second")
            self.service(row["service_id"])
        else:
            server_classes = ("GPUServer",) if cls == "GPUJob" else ("Server", "BoaviztaCloudServer")
            row["server_id"] = self.ref(owner, "server", obj.get("server"), server_classes)
            compute_unit = "gpu" if cls == "GPUJob" else "cpu_core"
            row.update(self.fields(s.JOBS, owner, obj, skip=("video_duration", "refresh_rate")))
            row["compute_needed"] = self.quantity(owner, obj, "compute_needed", compute_unit)
            self.server(row["server_id"])
        self.add("jobs", row)

    def service(self, service_id: str) -> None:
        if not self.once(service_id):
            return
        owner, obj = self.named(service_id, "VideoStreaming")
        server_id = self.ref(owner, "server", obj.get("server"), ("Server", "BoaviztaCloudServer"))
        row = {"service_id": service_id, "name": obj.get("name", service_id), "service_class": "VideoStreaming",
               "server_id": server_id, **self.fields(s.SERVICES, owner, obj, skip=("base_compute_consumption",))}
        row["base_compute_consumption"] = self.quantity(owner, obj, "base_compute_consumption", "cpu_core",
                                                        optional=True) or 0.0
        self.add("services", row)
        self.server(server_id)

    def server(self, server_id: str) -> None:
        if not self.once(server_id):
            return
        cls = self.objects[server_id][0]
        owner, obj = self.named(server_id, cls)
        compute_unit = "gpu" if cls == "GPUServer" else "cpu_core"
        server_type = self.text(owner, obj, "server_type")
        if server_type not in s.SERVER_TYPES:
            raise ModelError(owner, "server_type", server_type, f"one of {list(s.SERVER_TYPES)}")
        row = {"server_id": server_id, "name": obj.get("name", server_id), "server_class": cls,
               "server_type": server_type, "provider": None, "instance_type": None}
        for f in s.SERVERS.fields:
            if f.unit is not None:
                row[f.name] = self.quantity(owner, obj, f.name, f.unit, optional=True)
        row["compute"] = self.quantity(owner, obj, "compute", compute_unit, optional=cls == "BoaviztaCloudServer")
        row["base_compute_consumption"] = self.quantity(owner, obj, "base_compute_consumption", compute_unit)
        for required in ("lifespan", "power_usage_effectiveness", "average_carbon_intensity", "utilization_rate",
                         "base_ram_consumption"):
            if row[required] is None:
                raise ModelError(owner, required, None, f"a quantity in {s.SERVERS.units[required]}")
        if cls == "BoaviztaCloudServer":
            row["provider"] = self.text(owner, obj, "provider")
            row["instance_type"] = self.text(owner, obj, "instance_type")
        storage_id = obj.get("storage")
        row["storage_id"] = None if storage_id is None else self.ref(owner, "storage", storage_id, ("Storage",))
        self.add("servers", row)
        if storage_id is not None:
            self.storage(storage_id)

    def storage(self, storage_id: str) -> None:
        if not self.once(storage_id):
            return
        owner, obj = self.named(storage_id, "Storage")
        row = {"storage_id": storage_id, "name": obj.get("name", storage_id), **self.fields(s.STORAGES, owner, obj)}
        self.add("storages", row)

    def device(self, device_id: str) -> None:
        if not self.once(device_id):
            return
        owner, obj = self.named(device_id, "Device")
        self.add("devices", {"device_id": device_id, "name": obj.get("name", device_id),
                             **self.fields(s.DEVICES, owner, obj)})

    def network(self, network_id: str) -> None:
        if not self.once(network_id):
            return
        owner, obj = self.named(network_id, "Network")
        self.add("networks", {"network_id": network_id, "name": obj.get("name", network_id),
                              **self.fields(s.NETWORKS, owner, obj)})

    def country(self, country_id: str) -> None:
        if not self.once(country_id):
            return
        owner, obj = self.named(country_id, "Country")
        timezone = obj.get("timezone")
        zone = timezone.get("zone") if isinstance(timezone, dict) else timezone
        _check_timezone(owner, zone)
        self.add("countries", {"country_id": country_id, "name": obj.get("name", country_id),
                               "short_name": str(obj.get("short_name", "")), "timezone": zone,
                               **self.fields(s.COUNTRIES, owner, obj)})


def _check_timezone(owner: str, zone) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        raise ModelError(owner, "timezone", zone, "an IANA time zone name such as 'Europe/Paris'") from None
