"""The Python API, with efootprint 27's class and attribute names: describe objects, link them, build a System,
compute it. Quantities are pint quantities or text ("100 g/kWh"); they are checked when an object is created
and converted to the tables' canonical units when the System builds its tables."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import ClassVar

import polars as pl

from efp_tables.builders.archetypes import ARCHETYPES_DIR, countries as country_table
from efp_tables.builders.time_series import HourlySeries
from efp_tables.errors import ModelError
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model
from efp_tables.units import to_canonical


@lru_cache(maxsize=1)
def _defaults_document() -> dict:
    return json.loads((ARCHETYPES_DIR / "defaults.json").read_text())


class ModelObject:
    """An object of the model: a name, an id (the name with spaces as dashes, as efootprint's name-based ids),
    quantity inputs (`quantities`: attribute -> canonical unit), text inputs and links to other objects."""
    table: ClassVar[s.Table]
    quantities: ClassVar[dict[str, str]] = {}
    optional: ClassVar[tuple[str, ...]] = ()  # inputs that may be None (efootprint's "no value")
    texts: ClassVar[tuple[str, ...]] = ()
    links: ClassVar[dict[str, tuple[type, ...]]] = {}

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        if not isinstance(name, str) or not name:
            raise ModelError(type(self).__name__, "name", name, "a non-empty text")
        self.name = name
        self.id = id or name.replace(" ", "-")
        allowed = {*self.quantities, *self.texts, *self.links}
        for attribute in set(inputs) - allowed:
            raise ModelError(self.label, attribute, inputs[attribute], f"one of the attributes {sorted(allowed)}")
        for attribute in sorted(allowed - set(inputs)):
            if attribute not in self.optional:
                raise ModelError(self.label, attribute, None, "a value (or use from_defaults)")
        for attribute, value in inputs.items():
            setattr(self, attribute, value)

    def __setattr__(self, attribute, value):
        if attribute in self.quantities and value is not None:
            to_canonical(value, self.quantities[attribute], obj=self.label, attribute=attribute)
        elif attribute in self.links and value is not None:
            self._check_link(attribute, value)
        super().__setattr__(attribute, value)

    def _check_link(self, attribute: str, value) -> None:
        expected = self.links[attribute]
        items = value.keys() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, expected):
                raise ModelError(self.label, attribute, getattr(item, "label", item),
                                 f"a {' or '.join(c.__name__ for c in expected)}")

    @property
    def label(self) -> str:
        return f"{type(self).__name__} {getattr(self, 'id', None) or getattr(self, 'name', '?')!r}"

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return dict(_defaults_document()["defaults"].get(cls.__name__, {}))

    @classmethod
    def from_defaults(cls, name: str, **overrides):
        values = {k: v for k, v in cls.default_values().items() if k in {*cls.quantities, *cls.texts}}
        return cls(name, **{**values, **overrides})

    @classmethod
    def archetypes(cls) -> dict[str, dict]:
        return dict(_defaults_document()["archetypes"].get(cls.__name__, {}))

    @classmethod
    def archetype(cls, key: str, name: str | None = None, **overrides):
        known = cls.archetypes()
        if key not in known:
            raise ModelError(cls.__name__, "archetype", key, f"one of {sorted(known)}")
        values = dict(known[key])
        default_name = values.pop("name")
        return cls(name or default_name, **{**values, **overrides})

    def row(self) -> dict:
        """This object's row of its table, in canonical units (links as ids)."""
        row = {self.table.id: self.id, "name": self.name}
        for attribute, unit in self.quantities.items():
            value = getattr(self, attribute, None)
            row[attribute] = None if value is None else to_canonical(value, unit, obj=self.label, attribute=attribute)
        for attribute in self.texts:
            row[attribute] = getattr(self, attribute, None)
        return row

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} {self.id!r} ({self.name})"]
        for attribute in (*self.quantities, *self.texts, *self.links):
            value = getattr(self, attribute, None)
            if isinstance(value, ModelObject):
                value = value.id
            elif isinstance(value, dict):
                value = {getattr(k, "id", k): v for k, v in value.items()}
            elif isinstance(value, (list, tuple)):
                value = [getattr(v, "id", v) for v in value]
            elif isinstance(value, HourlySeries):
                value = f"{len(value)} hourly values from {value.start:%Y-%m-%d %H:%M}, total {value.sum():,.0f}"
            lines.append(f"  {attribute}: {'no value' if value is None else value}")
        return "\n".join(lines)


def _units(table: s.Table, *names: str, **overrides: str) -> dict[str, str]:
    units = {f.name: f.unit for f in table.fields if f.name in names}
    return {**units, **overrides}


class Country(ModelObject):
    table = s.COUNTRIES
    quantities = _units(s.COUNTRIES, "average_carbon_intensity")
    texts = ("short_name", "timezone")

    @classmethod
    def from_archetype(cls, name: str) -> "Country":
        """One of the countries efootprint knows, e.g. Country.from_archetype("France")."""
        known = country_table()
        hit = known.filter(pl.col("name").str.to_lowercase() == name.lower())
        if not hit.height:
            import difflib
            close = difflib.get_close_matches(name, known["name"].to_list(), n=5)
            raise ModelError("Country", "name", name, f"a known country (close matches: {close})")
        row = hit.row(0, named=True)
        return cls(row["name"], short_name=row["short_name"], timezone=row["timezone"],
                   average_carbon_intensity=f"{row['average_carbon_intensity']} kg/kWh")


class _Countries:
    """`Countries.FRANCE()`: every country efootprint knows, as in efootprint."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return lambda: Country.from_archetype(attribute.replace("_", " ").title().replace(" And ", " and "))

    def __dir__(self):
        return [n.upper().replace(" ", "_") for n in country_table()["name"].to_list()]


Countries = _Countries()


class Device(ModelObject):
    table = s.DEVICES
    quantities = _units(s.DEVICES, "carbon_footprint_manufacturing", "power", "lifespan", "fraction_of_usage_time")

    @classmethod
    def laptop(cls, name: str | None = None, **overrides):
        return cls.archetype("laptop", name, **overrides)

    @classmethod
    def smartphone(cls, name: str | None = None, **overrides):
        return cls.archetype("smartphone", name, **overrides)


class Network(ModelObject):
    table = s.NETWORKS
    quantities = _units(s.NETWORKS, "bandwidth_energy_intensity")

    @classmethod
    def wifi_network(cls, name: str | None = None, **overrides):
        return cls.archetype("wifi_network", name, **overrides)

    @classmethod
    def mobile_network(cls, name: str | None = None, **overrides):
        return cls.archetype("mobile_network", name, **overrides)


class Storage(ModelObject):
    table = s.STORAGES
    quantities = _units(s.STORAGES, "carbon_footprint_manufacturing_per_storage_capacity", "storage_capacity",
                        "data_replication_factor", "data_storage_duration", "base_storage_need", "lifespan",
                        "fixed_nb_of_instances", "power")
    optional = ("fixed_nb_of_instances", "power")

    @classmethod
    def ssd(cls, name: str | None = None, **overrides):
        return cls.archetype("ssd", name, **overrides)

    @classmethod
    def hdd(cls, name: str | None = None, **overrides):
        return cls.archetype("hdd", name, **overrides)

    def row(self) -> dict:
        row = super().row()
        row["power"] = row["power"] or 0.0
        return row


class _ServerBase(ModelObject):
    table = s.SERVERS
    compute_unit: ClassVar[str] = "cpu_core"
    texts = ("server_type",)
    links = {"storage": (Storage,)}
    optional = ("fixed_nb_of_instances",)

    def row(self) -> dict:
        row = super().row()
        row.update(server_class=type(self).__name__, storage_id=self.storage.id if self.storage else None)
        if row["server_type"] not in s.SERVER_TYPES:
            raise ModelError(self.label, "server_type", row["server_type"], f"one of {list(s.SERVER_TYPES)}")
        return row


_COMMON_SERVER = ("lifespan", "power_usage_effectiveness", "average_carbon_intensity", "utilization_rate",
                  "base_ram_consumption", "fixed_nb_of_instances")


class Server(_ServerBase):
    quantities = _units(s.SERVERS, "carbon_footprint_manufacturing", "power", "idle_power", "ram", *_COMMON_SERVER,
                        compute="cpu_core", base_compute_consumption="cpu_core")


class GPUServer(_ServerBase):
    compute_unit = "gpu"
    quantities = _units(s.SERVERS, "gpu_power", "gpu_idle_power", "ram_per_gpu",
                        "carbon_footprint_manufacturing_per_gpu", "carbon_footprint_manufacturing_without_gpu",
                        *_COMMON_SERVER, compute="gpu", base_compute_consumption="gpu")


class BoaviztaCloudServer(_ServerBase):
    texts = ("server_type", "provider", "instance_type")
    quantities = _units(s.SERVERS, "idle_power", *_COMMON_SERVER, base_compute_consumption="cpu_core")


class VideoStreaming(ModelObject):
    table = s.SERVICES
    quantities = _units(s.SERVICES, "base_ram_consumption", "bits_per_pixel", "static_delivery_cpu_cost",
                        "ram_buffer_per_user")
    links = {"server": (Server, BoaviztaCloudServer)}

    def row(self) -> dict:
        return {**super().row(), "service_class": "VideoStreaming", "server_id": self.server.id,
                "base_compute_consumption": 0.0}


class _JobBase(ModelObject):
    table = s.JOBS

    def row(self) -> dict:
        row = super().row()
        row["job_class"] = type(self).__name__
        server, service = getattr(self, "server", None), getattr(self, "service", None)
        row["server_id"] = server.id if server is not None else None
        row["service_id"] = service.id if service is not None else None
        return row


_JOB_INPUTS = ("data_transferred", "data_stored", "request_duration", "ram_needed")


class Job(_JobBase):
    quantities = _units(s.JOBS, *_JOB_INPUTS, compute_needed="cpu_core")
    links = {"server": (Server, BoaviztaCloudServer)}


class GPUJob(_JobBase):
    quantities = _units(s.JOBS, *_JOB_INPUTS, compute_needed="gpu")
    links = {"server": (GPUServer,)}


class VideoStreamingJob(_JobBase):
    quantities = _units(s.JOBS, "data_stored", "video_duration", "refresh_rate")
    texts = ("resolution",)
    links = {"service": (VideoStreaming,)}


def _weights(owner: ModelObject, attribute: str, value) -> list[tuple[ModelObject, float]]:
    """A list of objects (weight 1 each, repeats summed) or a dict object -> weight, in order."""
    if isinstance(value, dict):
        return [(k, to_canonical(w, "dimensionless", obj=owner.label, attribute=f"{attribute}[{k.id}]"))
                for k, w in value.items()]
    pairs: dict[ModelObject, float] = {}
    for item in value:
        pairs[item] = pairs.get(item, 0.0) + 1.0
    return list(pairs.items())


class UsageJourneyStep(ModelObject):
    table = s.USAGE_JOURNEY_STEPS
    quantities = _units(s.USAGE_JOURNEY_STEPS, "user_time_spent")
    links = {"jobs": (Job, GPUJob, VideoStreamingJob)}


class UsageJourney(ModelObject):
    table = s.USAGE_JOURNEYS
    links = {"uj_steps": (UsageJourneyStep,)}


class UsagePattern(ModelObject):
    table = s.USAGE_PATTERNS
    links = {"usage_journeys": (UsageJourney,), "devices": (Device,), "network": (Network,),
             "country": (Country,), "hourly_occurrences": (HourlySeries,)}

    def row(self) -> dict:
        return {**super().row(), "network_id": self.network.id, "country_id": self.country.id}


class System(ModelObject):
    table = s.SYSTEMS
    links = {"usage_patterns": (UsagePattern,)}

    def model(self) -> Model:
        """The System's input tables (validated)."""
        rows: dict[str, list[dict]] = {t.name: [] for t in s.TABLES}
        seen: dict[str, ModelObject] = {}

        def add(obj: ModelObject) -> bool:
            other = seen.get(obj.id)
            if other is obj:
                return False
            if other is not None:
                raise ModelError(obj.label, "id", obj.id, "an id (name) used by a single object; pass id=...")
            seen[obj.id] = obj
            rows[obj.table.name].append({"system_id": self.id, **obj.row()})
            return True

        frames = {"hourly_occurrences": []}
        rows["systems"].append({"system_id": self.id, "name": self.name})
        for position, pattern in enumerate(self.usage_patterns):
            rows["system_usage_patterns"].append({"system_id": self.id, "usage_pattern_id": pattern.id,
                                                  "position": position})
            if not add(pattern):
                continue
            frames["hourly_occurrences"].append(pattern.hourly_occurrences.to_frame().select(
                pl.lit(self.id).alias("system_id"), pl.lit(pattern.id).alias("usage_pattern_id"),
                "hour", pl.col("value").alias("occurrences")))
            for obj in (pattern.network, pattern.country, *pattern.devices):
                add(obj)
            for i, device in enumerate(pattern.devices):
                rows["pattern_devices"].append({"system_id": self.id, "usage_pattern_id": pattern.id,
                                                "device_id": device.id, "position": i})
            for i, (journey, weight) in enumerate(_weights(pattern, "usage_journeys", pattern.usage_journeys)):
                rows["pattern_journeys"].append({"system_id": self.id, "usage_pattern_id": pattern.id,
                                                 "journey_id": journey.id, "weight": weight, "position": i})
                if not add(journey):
                    continue
                for j, (step, n) in enumerate(_weights(journey, "uj_steps", journey.uj_steps)):
                    rows["journey_steps"].append({"system_id": self.id, "journey_id": journey.id,
                                                  "step_id": step.id, "weight": n, "position": j})
                    if not add(step):
                        continue
                    for k, (job, m) in enumerate(_weights(step, "jobs", step.jobs)):
                        rows["step_jobs"].append({"system_id": self.id, "step_id": step.id, "job_id": job.id,
                                                  "weight": m, "position": k})
                        if add(job):
                            self._add_job_infrastructure(job, add)
        hourly = pl.concat(frames["hourly_occurrences"]) if frames["hourly_occurrences"] else None
        return Model.from_rows(rows, frames={"hourly_occurrences": hourly} if hourly is not None else None)

    @staticmethod
    def _add_job_infrastructure(job: _JobBase, add) -> None:
        service = getattr(job, "service", None)
        server = service.server if service is not None else job.server
        if service is not None:
            add(service)
        if add(server) and server.storage is not None:
            add(server.storage)
        # Services installed on the server count even when none of their jobs is used (their base RAM).

    def compute(self):
        from efp_tables.compute import compute
        return compute(self.model())
