"""The Python API, with efootprint 27's class and attribute names: describe objects, link them, build a System,
compute it. Quantities are pint quantities or text ("100 g/kWh"); they are checked when an object is created
and converted to the tables' canonical units when the System builds its tables. Texts with a list of allowed
values (`list_values`, `conditional_list_values`) are checked when set. A computed System gives its objects
their calculated attributes (builders/calculated.py) and records later changes (builders/live.py)."""
from __future__ import annotations

import difflib
import html
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import polars as pl

from efp_tables.builders.archetypes import ARCHETYPES_DIR, cloud_instances, countries as country_table, ecologits_models
from efp_tables.builders import weekly
from efp_tables.builders.archetypes import web_application_needs
from efp_tables.builders.calculated import calculated_attribute_names, calculated_values, shown
from efp_tables.builders.live import Change, Simulation, TrackedList, described, unchanged
from efp_tables.builders.live import ModelingUpdate  # noqa: F401 (part of the API: batch changes)
from efp_tables.builders.time_series import HourlySeries
from efp_tables.errors import ModelError
from efp_tables.tables import schema as s
from efp_tables.tables.model import Model, bounds_text, bounds_violated
from efp_tables.units import Quantity, to_canonical


@lru_cache(maxsize=1)
def _defaults_document() -> dict:
    return json.loads((ARCHETYPES_DIR / "defaults.json").read_text())


class ModelObject:
    """An object of the model: a name, an id (the name with spaces as dashes, as efootprint's name-based ids),
    quantity inputs (`quantities`: attribute -> canonical unit), text inputs and links to other objects.

    Once a System that holds it is computed, the object also has efootprint's calculated attributes
    (`server.instances_energy`), read from that System's results; changing an input records the change in the
    System, which recomputes when a calculated value is next read."""
    table: ClassVar[s.Table]
    quantities: ClassVar[dict[str, str]] = {}
    optional: ClassVar[tuple[str, ...]] = ()  # inputs that may be None (efootprint's "no value")
    texts: ClassVar[tuple[str, ...]] = ()
    links: ClassVar[dict[str, tuple[type, ...]]] = {}
    weeks: ClassVar[tuple[str, ...]] = ()  # weekly profiles (168 hourly values from local Monday 00:00)

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        if not isinstance(name, str) or not name:
            raise ModelError(type(self).__name__, "name", name, "a non-empty text")
        self.name = name
        self.id = id or name.replace(" ", "-")
        self._systems: list[System] = []  # the computed Systems that hold this object, last computed last
        allowed = self.input_names()
        for attribute in set(inputs) - allowed:
            raise ModelError(self.label, attribute, inputs[attribute], f"one of the attributes {sorted(allowed)}")
        for attribute in sorted(allowed - set(inputs)):
            if attribute not in self.optional:
                raise ModelError(self.label, attribute, None, "a value (or use from_defaults)")
        for attribute in (*self.quantities, *self.texts, *self.links, *self.weeks):
            self._set_input(attribute, inputs.get(attribute), check_choices=False, record=False)
        self._check_choices({})

    @classmethod
    def input_names(cls) -> set[str]:
        return {*cls.quantities, *cls.texts, *cls.links, *cls.weeks}

    def __setattr__(self, attribute, value):
        if attribute in self.input_names():
            self._set_input(attribute, value)
        else:
            super().__setattr__(attribute, value)

    def __getattr__(self, attribute):
        # Only reached for attributes the object does not have: its calculated attributes.
        if attribute.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
        calculated = self.calculated_attribute_names()
        if attribute not in calculated:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r} (inputs: "
                                 f"{sorted(self.input_names())}; calculated: {list(calculated)})")
        return self.calculated_values()[attribute]

    def _check_input(self, attribute: str, value) -> None:
        if attribute in self.quantities and value is not None:
            number = to_canonical(value, self.quantities[attribute], obj=self.label, attribute=attribute)
            field = next((f for f in self.table.fields if f.name == attribute and f.unit == self.quantities[attribute]),
                         None)
            if field is not None and bounds_violated(field, number):  # named here, as the user wrote it
                raise ModelError(self.label, attribute, value, bounds_text(field))
        elif attribute in self.links and value is not None:
            self._check_link(attribute, value)
        elif attribute in self.weeks and value is not None:
            self.week(attribute, value)

    def week_kind(self, attribute: str) -> str:
        """The kind of a weekly input (compute, ram, storage, workload or occurrence), which sets its unit."""
        raise NotImplementedError

    def week(self, attribute: str, value=None):
        """The 168 values of the weekly input `attribute` (or of `value` given for it), in its canonical unit."""
        kind = self.week_kind(attribute)
        unit = s.EDGE_NEED_UNITS.get(kind, kind)
        value = self.__dict__.get(attribute) if value is None else value
        return weekly.checked_week(weekly.week_from_input(value, unit, self.label, attribute), kind, self.label,
                                   attribute)

    def _set_input(self, attribute: str, value, *, check_choices: bool = True, record: bool = True) -> None:
        self._check_input(attribute, value)
        if check_choices:
            self._check_choices({attribute: value})
        old = self.__dict__.get(attribute)
        if value is old and attribute in self.__dict__:
            return
        if isinstance(value, list):
            value = TrackedList(self, attribute, value)
        object.__setattr__(self, attribute, value)
        if record and not unchanged(old, value):
            self._record(attribute, list(old) if isinstance(old, list) else old,
                         list(value) if isinstance(value, list) else value)

    def _record(self, attribute: str, old, new) -> None:
        for system in self._systems:
            system._changed(Change(self, attribute, old, new))

    def _check_link(self, attribute: str, value) -> None:
        expected = self.links[attribute]
        items = value.keys() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, expected):
                raise ModelError(self.label, attribute, getattr(item, "label", item),
                                 f"a {' or '.join(c.__name__ for c in expected)}")

    @classmethod
    def list_values(cls) -> dict[str, list]:
        """Inputs that only take some values: attribute -> the allowed values (efootprint's list_values)."""
        return {}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        """Inputs whose allowed values depend on another input: attribute -> {"depends_on": other attribute,
        "conditional_list_values": {value of the other: allowed values}} (efootprint's conditional_list_values);
        for values of the other attribute not listed, any value is allowed."""
        return {}

    def _check_choices(self, proposed: dict) -> None:
        """Check the inputs with allowed values, `proposed` (attribute -> value) replacing current values. A
        condition may name an input of a linked object ("service.technology")."""
        def value_of(attribute):
            link, _, rest = attribute.partition(".")
            value = proposed[link] if link in proposed else self.__dict__.get(link)
            return getattr(value, rest, None) if rest else value
        rules = [(attribute, choices, "") for attribute, choices in self.list_values().items()]
        for attribute, rule in self.conditional_list_values().items():
            controller = value_of(rule["depends_on"])
            choices = rule["conditional_list_values"].get(controller)
            if choices is not None:
                rules.append((attribute, choices, f" when {rule['depends_on']} is {controller!r}"))
        for attribute, choices, condition in rules:
            value = value_of(attribute)
            if value not in choices:
                shown_choices = ["no value" if c is None else c for c in choices]
                if len(shown_choices) > 30:
                    shown_choices = shown_choices[:30] + [f"... ({len(choices)} in all)"]
                texts = [c for c in choices if isinstance(c, str)]
                close = difflib.get_close_matches(value, texts, n=3) if isinstance(value, str) else []
                hint = f" (close matches: {close})" if close else ""
                raise ModelError(self.label, attribute, value, f"one of {shown_choices}{condition}{hint}")

    @property
    def label(self) -> str:
        return f"{type(self).__name__} {self.__dict__.get('id') or self.__dict__.get('name', '?')!r}"

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return dict(_defaults_document()["defaults"].get(cls.__name__, {}))

    @classmethod
    def from_defaults(cls, name: str, **overrides):
        values = {k: v for k, v in cls.default_values().items() if k in {*cls.quantities, *cls.texts, *cls.weeks}}
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

    @classmethod
    def calculated_attribute_names(cls) -> tuple[str, ...]:
        return calculated_attribute_names(cls.__name__, cls.table.name)

    def calculated_values(self) -> dict:
        """efootprint's calculated attributes of this object (None: no value), from the results of the last
        computed System that holds it, recomputed first if an input changed since."""
        if not self._systems:
            return dict.fromkeys(self.calculated_attribute_names())
        return self._systems[-1]._values_of(self)

    def _values_from(self, rows: pl.DataFrame | None) -> dict:
        return calculated_values(self.label, self.calculated_attribute_names(), rows)

    def _display_rows(self) -> list[tuple[str, str, str]]:
        """(section, attribute, value as text) for the reprs."""
        rows = [("inputs", attribute, described(getattr(self, attribute, None)))
                for attribute in (*self.quantities, *self.texts, *self.links, *self.weeks)]
        for attribute, value in self.calculated_values().items():
            if isinstance(value, dict):  # per usage pattern, job, service or coordinate: a row per key
                rows += [("calculated_attributes", f"{attribute}[{key}]", shown(v)) for key, v in value.items()]
            else:
                rows.append(("calculated_attributes", attribute, shown(value)))
        return rows

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} {self.id!r} ({self.name})"]
        section = "inputs"
        for part, attribute, value in self._display_rows():
            if part != section:
                lines.append(f"  {part}:")
                section = part
            lines.append(f"  {'  ' if part != 'inputs' else ''}{attribute}: {value}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><td>{html.escape(part)}</td><td>{html.escape(attribute)}</td>"
                        f"<td>{html.escape(value)}</td></tr>" for part, attribute, value in self._display_rows())
        return (f"<table><caption>{html.escape(type(self).__name__)} {html.escape(self.name)}</caption>"
                f"<tr><th></th><th>attribute</th><th>value</th></tr>{cells}</table>")


def _units(table: s.Table, *names: str, **overrides: str) -> dict[str, str]:
    units = {f.name: f.unit for f in table.fields if f.name in names}
    return {**units, **overrides}


class Country(ModelObject):
    table = s.COUNTRIES
    quantities = _units(s.COUNTRIES, "average_carbon_intensity")
    texts = ("short_name", "timezone")

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        # efootprint 27's Country defaults (data/archetypes/defaults.json has none for Country)
        return {"average_carbon_intensity": "50.0 gram / kilowatt_hour", "timezone": "Europe/Paris"}

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

    @classmethod
    def box(cls, name: str | None = None, **overrides):
        return cls.archetype("box", name, **overrides)

    @classmethod
    def screen(cls, name: str | None = None, **overrides):
        return cls.archetype("screen", name, **overrides)


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

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"server_type": list(s.SERVER_TYPES)}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        # Only on-premise servers have a fixed number of instances.
        return {"fixed_nb_of_instances": {"depends_on": "server_type", "conditional_list_values": {
            "autoscaling": [None], "serverless": [None]}}}

    def row(self) -> dict:
        row = super().row()
        row.update(server_class=type(self).__name__, storage_id=self.storage.id if self.storage else None)
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

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {**super().list_values(), "provider": sorted(_instance_types())}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        return {**super().conditional_list_values(),
                "instance_type": {"depends_on": "provider", "conditional_list_values": _instance_types()}}


@lru_cache(maxsize=1)
def _instance_types() -> dict[str, list[str]]:
    """Boavizta's instance types by cloud provider, from the shipped archetypes."""
    by_provider = cloud_instances().group_by("provider", maintain_order=True).agg("instance_type")
    return {provider: types for provider, types in by_provider.iter_rows()}


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

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"resolution": ["480p (640 x 480)", "720p (1280 x 720)", "1080p (1920 x 1080)", "1440p (2560 x 1440)",
                               "2K (2048 x 1080)", "4K (3840 x 2160)", "8K (7680 x 4320)"]}


class WebApplication(ModelObject):
    """The seeds' web application service (efootprint 9 to 15): a back end whose `technology` Boavizta's
    ecobenchmark measured, installed on a server. It reserves no RAM or compute of its own; its
    WebApplicationJobs' needs come from the benchmark."""
    table = s.SERVICES
    texts = ("technology",)
    links = {"server": (Server, BoaviztaCloudServer)}

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return {"technology": "php-symfony"}  # efootprint 15's default

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"technology": sorted(_ecobenchmark_pairs())}

    def row(self) -> dict:
        return {**super().row(), "service_class": "WebApplication", "server_id": self.server.id,
                "base_ram_consumption": 0.0, "base_compute_consumption": 0.0}


@lru_cache(maxsize=1)
def _ecobenchmark_pairs() -> dict[str, list[str]]:
    """The implementation details Boavizta's ecobenchmark measured, by technology."""
    pairs = web_application_needs().group_by("technology", maintain_order=True).agg("implementation_details")
    return {technology: details for technology, details in pairs.iter_rows()}


class WebApplicationJob(_JobBase):
    """A request to a WebApplication (the seeds' service, efootprint 9 to 15). Its needs per request are
    Boavizta's ecobenchmark measurements for the service's technology and the job's `implementation_details`
    (data/archetypes/web_application_ecobenchmark.csv): `request_duration` (1 s, the benchmark's hypothesis),
    `compute_needed` and `ram_needed`, readable as soon as the job is built. efootprint 27, which no longer
    has the class, computes it as a plain Job with these needs on the service's server; so do we, and its
    efootprint 27 JSON is that Job."""
    quantities = _units(s.JOBS, "data_transferred", "data_stored")
    texts = ("implementation_details",)
    links = {"service": (WebApplication,)}

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        # efootprint 15's defaults, in efootprint 27's units
        return {"data_transferred": "2.2 megabyte", "data_stored": "100 kilobyte_stored",
                "implementation_details": "default"}

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"implementation_details": sorted({d for details in _ecobenchmark_pairs().values() for d in details})}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        # The benchmark has no run of every implementation for every technology (no mysql for rust-actix-sqlx).
        return {"implementation_details": {"depends_on": "service.technology",
                                           "conditional_list_values": _ecobenchmark_pairs()}}

    def needs(self) -> dict[str, Quantity]:
        """request_duration, compute_needed and ram_needed, from the ecobenchmark row of (service technology,
        implementation_details)."""
        technology = self.service.technology
        self._check_choices({})  # the service's technology may have changed since the job was built
        row = web_application_needs().filter(
            (pl.col("technology") == technology) & (pl.col("implementation_details") == self.implementation_details)
        ).row(0, named=True)
        return {"request_duration": Quantity(row["request_duration"], "second"),
                "compute_needed": Quantity(row["compute_needed"], "cpu_core"),
                "ram_needed": Quantity(row["ram_needed"], "megabyte_ram")}

    @property
    def request_duration(self) -> Quantity:
        return self.needs()["request_duration"]

    @property
    def compute_needed(self) -> Quantity:
        return self.needs()["compute_needed"]

    @property
    def ram_needed(self) -> Quantity:
        return self.needs()["ram_needed"]

    def calculated_values(self) -> dict:
        return {**super().calculated_values(), **self.needs()}

    def row(self) -> dict:
        row = super().row()
        row["server_id"] = self.service.server.id
        for attribute, value in self.needs().items():
            row[attribute] = to_canonical(value, s.JOBS.units.get(attribute, "cpu_core"), obj=self.label,
                                          attribute=attribute)
        return row


class _ExternalAPIServer(ModelObject):
    """The server efootprint gives an external API (its footprints' owner); made by the API, named after it."""
    table = s.EXTERNAL_API_SERVERS

    def __init__(self, name: str, api: "_ExternalAPI", *, id: str | None = None):
        super().__init__(name, id=id)
        object.__setattr__(self, "external_api", api)

    def row(self) -> dict:
        return {**super().row(), "server_class": type(self).__name__, "external_api_id": self.external_api.id}


class EcoLogitsGenAIExternalAPIServer(_ExternalAPIServer):
    pass


class EcoLogitsVideoGenExternalAPIServer(_ExternalAPIServer):
    pass


class _ExternalAPI(ModelObject):
    """A provider's generative model through EcoLogits: `provider` and `model_name` among EcoLogits' models
    (`list_values`, `conditional_list_values`). Its `server` (made with it, "<name> server") holds the
    footprints, which the API shows as its own."""
    table = s.EXTERNAL_APIS
    texts = ("provider", "model_name")
    server_class: ClassVar[type]

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        super().__init__(name, id=id, **inputs)
        object.__setattr__(self, "server", self.server_class(f"{name} server", self))

    @classmethod
    def _models(cls) -> dict[str, list[str]]:
        return _ecologits_models_by_provider(cls.__name__)

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"provider": sorted(cls._models())}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        return {"model_name": {"depends_on": "provider", "conditional_list_values": cls._models()}}

    def row(self) -> dict:
        return {**super().row(), "api_class": type(self).__name__}

    # efootprint's ExternalAPI shows its server's footprints as its own
    _SERVER_FOOTPRINTS: ClassVar[tuple[str, ...]] = ("instances_energy", "instances_manufacturing_footprint",
                                                     "use_footprint")

    @classmethod
    def calculated_attribute_names(cls) -> tuple[str, ...]:
        return (*super().calculated_attribute_names(), *cls._SERVER_FOOTPRINTS)

    def calculated_values(self) -> dict:
        own = super().calculated_values()
        server = self.server.calculated_values()
        return {**own, **{name: server.get(name) for name in self._SERVER_FOOTPRINTS}}


@lru_cache(maxsize=2)
def _ecologits_models_by_provider(api_class: str) -> dict[str, list[str]]:
    """EcoLogits' model names by provider, for one external API class (the archetype table)."""
    models = ecologits_models().filter(pl.col("api_class") == api_class)
    return {provider: names for provider, names in
            models.group_by("provider", maintain_order=True).agg("model_name").sort("provider").iter_rows()}


class EcoLogitsGenAIExternalAPI(_ExternalAPI):
    server_class = EcoLogitsGenAIExternalAPIServer

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return {"provider": "anthropic", "model_name": "claude-opus-4-5"}  # efootprint 27's defaults


class EcoLogitsVideoGenExternalAPI(_ExternalAPI):
    server_class = EcoLogitsVideoGenExternalAPIServer

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return {"provider": "openai", "model_name": "sora-2-pro"}  # efootprint 27's defaults


class _ExternalAPIJob(_JobBase):
    def row(self) -> dict:
        return {**super().row(), "external_api_id": self.external_api.id, "data_stored": 0.0}


class EcoLogitsGenAIExternalAPIJob(_ExternalAPIJob):
    """One call to an LLM through EcoLogits, sized by its output tokens."""
    quantities = {"output_token_count": "dimensionless"}
    links = {"external_api": (EcoLogitsGenAIExternalAPI,)}

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return {"output_token_count": "1000 dimensionless"}


class EcoLogitsVideoGenExternalAPIJob(_ExternalAPIJob):
    """One video generation call through EcoLogits: resolution (among the model's), duration, with audio or
    not."""
    quantities = {"duration": "hour"}
    texts = ("resolution", "with_audio")
    links = {"external_api": (EcoLogitsVideoGenExternalAPI,)}

    @classmethod
    def default_values(cls) -> dict[str, str | None]:
        return {"resolution": "720p (1280 x 720)", "duration": "8 s", "with_audio": True}

    @classmethod
    def list_values(cls) -> dict[str, list]:
        return {"with_audio": [True, False]}

    @classmethod
    def conditional_list_values(cls) -> dict[str, dict]:
        resolutions = ecologits_models().filter(pl.col("api_class") == "EcoLogitsVideoGenExternalAPI")
        return {"resolution": {"depends_on": "external_api.model_name", "conditional_list_values": dict(
            zip(resolutions["model_name"], resolutions["resolutions"].to_list()))}}


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
    links = {"jobs": (Job, GPUJob, VideoStreamingJob, WebApplicationJob, EcoLogitsGenAIExternalAPIJob,
                      EcoLogitsVideoGenExternalAPIJob)}


class UsageJourney(ModelObject):
    table = s.USAGE_JOURNEYS
    links = {"uj_steps": (UsageJourneyStep,)}


class UsagePattern(ModelObject):
    table = s.USAGE_PATTERNS
    links = {"usage_journeys": (UsageJourney,), "devices": (Device,), "network": (Network,),
             "country": (Country,), "hourly_occurrences": (HourlySeries,)}

    def row(self) -> dict:
        return {**super().row(), "network_id": self.network.id, "country_id": self.country.id}


# --- Edge computing: devices in shops, factories and farms that run their own workloads ----------------------
def _edge_unit_columns() -> dict:
    """Every quantity column of the component table, empty: a component class fills those it has."""
    return dict.fromkeys(s.EDGE_COMPONENTS.units)


class _EdgeComponent(ModelObject):
    """A component of one edge device. Its device sets `edge_device_id` and `position` when the System builds
    its tables (a component belongs to a single device)."""
    table = s.EDGE_COMPONENTS

    @property
    def kind(self) -> str:
        return s.EDGE_COMPONENT_KINDS[type(self).__name__]

    def row(self) -> dict:
        row = {**_edge_unit_columns(), **super().row(), "component_class": type(self).__name__}
        row.update(s.EDGE_FIXED_INPUTS.get(type(self).__name__, {}))
        return row


_COMPONENT_INPUTS = ("carbon_footprint_manufacturing_per_unit", "power_per_unit", "lifespan", "idle_power_per_unit",
                     "nb_of_units")


class EdgeCPUComponent(_EdgeComponent):
    quantities = _units(s.EDGE_COMPONENTS, *_COMPONENT_INPUTS, "compute_per_unit", "base_compute_consumption")


class EdgeRAMComponent(_EdgeComponent):
    quantities = _units(s.EDGE_COMPONENTS, *_COMPONENT_INPUTS, "ram_per_unit", "base_ram_consumption")


class EdgeWorkloadComponent(_EdgeComponent):
    quantities = _units(s.EDGE_COMPONENTS, *_COMPONENT_INPUTS)


class EdgeStorage(_EdgeComponent):
    """Flash or disk storage of an edge device; it draws no power and its manufacturing footprint is per
    capacity (efootprint 27)."""
    quantities = _units(s.EDGE_COMPONENTS, "storage_capacity_per_unit",
                        "carbon_footprint_manufacturing_per_storage_capacity", "base_storage_need", "lifespan",
                        "nb_of_units")

    @classmethod
    def ssd(cls, name: str | None = None, **overrides):
        return cls.archetype("ssd", name, **overrides)

    @classmethod
    def hdd(cls, name: str | None = None, **overrides):
        return cls.archetype("hdd", name, **overrides)


class _BuiltComponent(_EdgeComponent):
    """A component an EdgeComputer or EdgeAppliance creates: it mirrors its device's inputs (efootprint's
    builder components), no manufacturing footprint of its own, one unit."""

    def __init__(self, name: str, device: "EdgeDevice"):
        super().__init__(name)
        object.__setattr__(self, "device", device)

    def row(self) -> dict:
        row = super().row()
        device = self.device.row()
        row.update(carbon_footprint_manufacturing_per_unit=0.0, nb_of_units=1.0)
        row.update({name: device[column] for name, column in s.EDGE_MIRRORED_INPUTS[type(self).__name__].items()})
        row.update(s.EDGE_FIXED_INPUTS.get(type(self).__name__, {}))
        return row


class EdgeComputerCPUComponent(_BuiltComponent):
    pass


class EdgeComputerRAMComponent(_BuiltComponent):
    pass


class EdgeApplianceComponent(_BuiltComponent):
    pass


_COMPONENTS = (EdgeCPUComponent, EdgeRAMComponent, EdgeWorkloadComponent, EdgeStorage, EdgeComputerCPUComponent,
               EdgeComputerRAMComponent, EdgeApplianceComponent)


class EdgeDevice(ModelObject):
    """A device made of components (EdgeCPUComponent, EdgeRAMComponent, EdgeStorage, EdgeWorkloadComponent)
    and a structure (its chassis)."""
    table = s.EDGE_DEVICES
    quantities = _units(s.EDGE_DEVICES, "structure_carbon_footprint_manufacturing", "lifespan")
    links = {"components": (EdgeCPUComponent, EdgeRAMComponent, EdgeWorkloadComponent, EdgeStorage)}

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        object.__setattr__(self, "_groups", [])  # the EdgeDeviceGroups that list this device
        super().__init__(name, id=id, **inputs)

    def edge_components(self) -> list[_EdgeComponent]:
        return list(self.components)

    def row(self) -> dict:
        row = {**dict.fromkeys(s.EDGE_DEVICES.units), **super().row(), "device_class": type(self).__name__}
        row.pop("carbon_footprint_manufacturing", None)
        return row


_DEVICE_INPUTS = ("carbon_footprint_manufacturing", "power", "lifespan", "idle_power")


class EdgeAppliance(EdgeDevice):
    """An appliance (a kiosk, a screen) whose use is a workload share of its time; efootprint's builder: it
    creates its one component, `appliance_component`."""
    quantities = _units(s.EDGE_DEVICES, *_DEVICE_INPUTS, carbon_footprint_manufacturing="kilogram")
    links = {}

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        super().__init__(name, id=id, **inputs)
        object.__setattr__(self, "appliance_component", EdgeApplianceComponent(f"{name} appliance", self))

    def edge_components(self) -> list[_EdgeComponent]:
        return [self.appliance_component]

    def row(self) -> dict:
        return {**super().row(), "structure_carbon_footprint_manufacturing": to_canonical(
            self.carbon_footprint_manufacturing, "kilogram", obj=self.label, attribute="carbon_footprint_manufacturing")}


class EdgeComputer(EdgeAppliance):
    """A computer with CPU, RAM and an EdgeStorage; efootprint's builder: it creates `cpu_component` and
    `ram_component`, which mirror its inputs, and lists its `storage` after them."""
    quantities = _units(s.EDGE_DEVICES, *_DEVICE_INPUTS, "ram", "compute", "base_ram_consumption",
                        "base_compute_consumption", carbon_footprint_manufacturing="kilogram")
    links = {"storage": (EdgeStorage,)}

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        EdgeDevice.__init__(self, name, id=id, **inputs)
        object.__setattr__(self, "cpu_component", EdgeComputerCPUComponent(f"{name} CPU", self))
        object.__setattr__(self, "ram_component", EdgeComputerRAMComponent(f"{name} RAM", self))

    def edge_components(self) -> list[_EdgeComponent]:
        return [self.cpu_component, self.ram_component, self.storage]


_DEVICES = (EdgeDevice, EdgeComputer, EdgeAppliance)


class EdgeDeviceGroup(ModelObject):
    """Devices counted together (a checkout lane: one kiosk), nested in other groups (a supermarket: six lanes
    and a back-office computer). A device can sit in several groups; a group never contains itself."""
    table = s.EDGE_DEVICE_GROUPS
    links = {"sub_group_counts": (), "edge_device_counts": _DEVICES}  # sub-groups: set below, the class is defined
    optional = ("sub_group_counts", "edge_device_counts")

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        object.__setattr__(self, "_groups", [])  # the groups that list this one
        super().__init__(name, id=id, **{"sub_group_counts": {}, "edge_device_counts": {}, **inputs})

    def _set_input(self, attribute: str, value, **kwargs) -> None:
        value = {} if value is None else value
        old = self.__dict__.get(attribute) or {}
        super()._set_input(attribute, value, **kwargs)
        for child in old:  # group membership is what a System follows from its devices up to the groups
            if self in child._groups:
                child._groups.remove(self)
        for child, _ in _weights(self, attribute, value):
            child._groups.append(self)

    def _check_input(self, attribute: str, value) -> None:
        super()._check_input(attribute, value)
        for child, count in _weights(self, attribute, value):
            if count < 0:
                raise ModelError(self.label, f"{attribute}[{child.id}]", count, "a count of at least 0")


EdgeDeviceGroup.links = {"sub_group_counts": (EdgeDeviceGroup,), "edge_device_counts": _DEVICES}


class RecurrentEdgeComponentNeed(ModelObject):
    """What one deployment asks of a component, hour by hour over a typical week (`recurrent_need`, in the
    unit of the component's kind: cpu_core, GB_ram, GB_stored written per hour, or a workload share)."""
    table = s.EDGE_COMPONENT_NEEDS
    links = {"edge_component": _COMPONENTS}
    weeks = ("recurrent_need",)

    def week_kind(self, attribute: str) -> str:
        return self.edge_component.kind

    def profile(self) -> np.ndarray:
        return self.week("recurrent_need")

    def row(self) -> dict:
        return {**super().row(), "need_class": type(self).__name__, "component_id": self.edge_component.id}


class RecurrentEdgeStorageNeed(RecurrentEdgeComponentNeed):
    """Data written (or, negative, deleted) on an EdgeStorage per hour of a typical week."""
    links = {"edge_component": (EdgeStorage,)}


class _BuiltNeed(RecurrentEdgeComponentNeed):
    """A component need a RecurrentEdgeProcess or RecurrentEdgeWorkload creates: its profile is an input of
    its device need, on a component of that need's device."""
    weeks = ()
    links = {}
    component: ClassVar[str]
    source: ClassVar[str]

    def __init__(self, name: str, device_need: "RecurrentEdgeDeviceNeed"):
        object.__setattr__(self, "device_need", device_need)
        super().__init__(name)

    @property
    def edge_component(self) -> _EdgeComponent:
        device = self.device_need.edge_device
        return device.storage if self.component == "storage" else getattr(device, self.component)

    def profile(self) -> np.ndarray:
        return self.device_need.week(self.source)


class RecurrentEdgeProcessCPUNeed(_BuiltNeed):
    component, source = "cpu_component", "recurrent_compute_needed"


class RecurrentEdgeProcessRAMNeed(_BuiltNeed):
    component, source = "ram_component", "recurrent_ram_needed"


class RecurrentEdgeProcessStorageNeed(_BuiltNeed):
    component, source = "storage", "recurrent_storage_needed"


class RecurrentEdgeWorkloadNeed(_BuiltNeed):
    component, source = "appliance_component", "recurrent_workload"


class RecurrentEdgeDeviceNeed(ModelObject):
    """The component needs of one function on one device; each need is on a component of `edge_device`."""
    table = s.EDGE_DEVICE_NEEDS
    links = {"edge_device": _DEVICES,
             "recurrent_edge_component_needs": (RecurrentEdgeComponentNeed, RecurrentEdgeStorageNeed)}

    def component_needs(self) -> list[RecurrentEdgeComponentNeed]:
        return list(self.recurrent_edge_component_needs)

    def checked_needs(self) -> list[tuple[RecurrentEdgeComponentNeed, float]]:
        """Each component need with how many times it is listed, checked against the device's components."""
        needs = _weights(self, "recurrent_edge_component_needs", self.component_needs())
        if not needs:
            raise ModelError(self.label, "recurrent_edge_component_needs", [],
                             "at least one component need (a device need with none loads no component)")
        components = self.edge_device.edge_components()
        for need, _ in needs:
            if not any(need.edge_component is c for c in components):
                raise ModelError(self.label, "recurrent_edge_component_needs", need.id,
                                 f"needs on components of its edge device {self.edge_device.id!r} (component "
                                 f"{need.edge_component.id!r} is not one of {[c.id for c in components]})")
        return needs

    def row(self) -> dict:
        return {**super().row(), "need_class": type(self).__name__, "edge_device_id": self.edge_device.id}


class RecurrentEdgeProcess(RecurrentEdgeDeviceNeed):
    """A process on an EdgeComputer: weekly compute, RAM and storage needs; efootprint's builder: it creates
    its RAM, CPU and storage needs on the computer's components."""
    links = {"edge_device": (EdgeComputer,)}
    weeks = ("recurrent_compute_needed", "recurrent_ram_needed", "recurrent_storage_needed")

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        super().__init__(name, id=id, **inputs)
        object.__setattr__(self, "ram_need", RecurrentEdgeProcessRAMNeed(f"{name} RAM need", self))
        object.__setattr__(self, "compute_need", RecurrentEdgeProcessCPUNeed(f"{name} CPU need", self))
        object.__setattr__(self, "storage_need", RecurrentEdgeProcessStorageNeed(f"{name} storage need", self))

    def week_kind(self, attribute: str) -> str:
        return {"recurrent_compute_needed": "compute", "recurrent_ram_needed": "ram",
                "recurrent_storage_needed": "storage"}[attribute]

    def component_needs(self) -> list[RecurrentEdgeComponentNeed]:
        return [self.ram_need, self.compute_need, self.storage_need]


class RecurrentEdgeWorkload(RecurrentEdgeDeviceNeed):
    """A workload on an EdgeAppliance: the share of its time it works, hour by hour over a typical week;
    efootprint's builder: it creates its workload need on the appliance's component."""
    links = {"edge_device": (EdgeAppliance,)}
    weeks = ("recurrent_workload",)

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        super().__init__(name, id=id, **inputs)
        object.__setattr__(self, "workload_need", RecurrentEdgeWorkloadNeed(f"{name} workload need", self))

    def week_kind(self, attribute: str) -> str:
        return "workload"

    def component_needs(self) -> list[RecurrentEdgeComponentNeed]:
        return [self.workload_need]


class RecurrentServerNeed(ModelObject):
    """Calls from each deployed `edge_device` to server jobs: `recurrent_volume_per_edge_device` calls per hour
    of a typical week, each running `jobs` (a list, or a dict job -> times per call)."""
    table = s.EDGE_SERVER_NEEDS
    links = {"edge_device": _DEVICES, "jobs": (Job, GPUJob, VideoStreamingJob, WebApplicationJob)}
    weeks = ("recurrent_volume_per_edge_device",)

    def week_kind(self, attribute: str) -> str:
        return "occurrence"

    def row(self) -> dict:
        return {**super().row(), "edge_device_id": self.edge_device.id}


class EdgeFunction(ModelObject):
    table = s.EDGE_FUNCTIONS
    links = {"recurrent_edge_device_needs": (RecurrentEdgeDeviceNeed,), "recurrent_server_needs": (RecurrentServerNeed,)}
    optional = ("recurrent_server_needs",)

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        super().__init__(name, id=id, **{"recurrent_server_needs": [], **inputs})


class EdgeUsageJourney(ModelObject):
    table = s.EDGE_USAGE_JOURNEYS
    links = {"edge_functions": (EdgeFunction,)}


class EdgeUsagePattern(ModelObject):
    """Deployments of edge usage journeys: `hourly_deployment_starts` (local time of `country`), each running
    for `usage_span` (6 years by default)."""
    table = s.EDGE_USAGE_PATTERNS
    quantities = _units(s.EDGE_USAGE_PATTERNS, "usage_span")
    optional = ("usage_span",)
    links = {"edge_usage_journeys": (EdgeUsageJourney,), "network": (Network,), "country": (Country,),
             "hourly_deployment_starts": (HourlySeries,)}

    def _check_input(self, attribute: str, value) -> None:
        super()._check_input(attribute, value)
        if attribute == "edge_usage_journeys" and value is not None:
            if not value:
                raise ModelError(self.label, attribute, [], "a non-empty list of EdgeUsageJourneys")
            if len({id(journey) for journey in value}) != len(value):
                raise ModelError(self.label, attribute, [j.id for j in value], "each EdgeUsageJourney once")

    def row(self) -> dict:
        row = {**super().row(), "network_id": self.network.id, "country_id": self.country.id}
        if row["usage_span"] is None:
            row["usage_span"] = to_canonical(self.default_values()["usage_span"], "hour", obj=self.label,
                                             attribute="usage_span")
        return row


def _footprint_rows(long: pl.DataFrame) -> pl.DataFrame:
    """The rows of a long results table that emission diffs compare (kept instead of whole tables)."""
    return long.filter(pl.col("attribute").is_in(["instances_manufacturing_footprint", "use_footprint"]))


class System(ModelObject):
    """The usage patterns to compute together. `compute()` computes the System and gives its objects their
    calculated attributes; from then on, input changes on its objects are recorded (`changes()`), the System
    recomputes when a calculated value is next read, and `emission_diffs()` compares the footprints before and
    after the last changes (or since the first compute)."""
    table = s.SYSTEMS
    links = {"usage_patterns": (UsagePattern,), "edge_usage_patterns": (EdgeUsagePattern,)}
    optional = ("usage_patterns", "edge_usage_patterns")

    def __init__(self, name: str, *, id: str | None = None, **inputs):
        inputs = {"usage_patterns": [], "edge_usage_patterns": [], **inputs}
        if not (inputs["usage_patterns"] or inputs["edge_usage_patterns"]):
            raise ModelError(f"System {name!r}", "usage_patterns", inputs["usage_patterns"],
                             "a non-empty list of UsagePatterns (or edge_usage_patterns)")
        super().__init__(name, id=id, **inputs)
        self._change_log: list[Change] = []
        self._stale = False
        self._long: pl.DataFrame | None = None  # the results shown on the objects
        self._first_footprints: pl.DataFrame | None = None  # footprint rows of the first and the previous compute
        self._previous_footprints: pl.DataFrame | None = None
        self._object_rows: dict[str, tuple[int, int]] | None = None  # object_id -> (offset, length) in _long
        self._values: dict[str, dict] = {}

    def model(self) -> Model:
        """The System's input tables (validated)."""
        return self._model_and_objects()[0]

    def _model_and_objects(self) -> tuple[Model, dict[str, ModelObject]]:
        rows: dict[str, list[dict]] = {t.name: [] for t in s.TABLES}
        seen: dict[str, ModelObject] = {}

        def add(obj: ModelObject, **extra) -> bool:
            other = seen.get(obj.id)
            if other is obj:
                return False
            if other is not None:
                raise ModelError(obj.label, "id", obj.id, "an id (name) used by a single object; pass id=...")
            seen[obj.id] = obj
            rows[obj.table.name].append({"system_id": self.id, **obj.row(), **extra})
            return True

        frames = {"hourly_occurrences": [], "edge_deployment_starts": []}
        for position, pattern in enumerate(dict.fromkeys(self.edge_usage_patterns)):
            rows["system_edge_usage_patterns"].append({"system_id": self.id, "usage_pattern_id": pattern.id,
                                                       "position": position})
            self._add_edge_pattern(pattern, add, rows, frames["edge_deployment_starts"])
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
        model = Model.from_rows(rows, frames={name: pl.concat(parts) for name, parts in frames.items() if parts})
        return model, {**seen, self.id: self}

    def _add_edge_pattern(self, pattern: EdgeUsagePattern, add, rows: dict, starts: list) -> None:
        """The rows of an edge usage pattern and of everything it deploys (devices, their components and
        groups, the jobs its server needs call)."""
        if not add(pattern):
            return
        system_id = self.id

        def link(table: str, **row) -> None:
            rows[table].append({"system_id": system_id, **row})

        def device(edge_device: EdgeDevice) -> None:
            if not add(edge_device):
                return
            for position, component in enumerate(edge_device.edge_components()):
                owner = seen_devices.setdefault(component.id, edge_device)
                if owner is not edge_device or not add(component, edge_device_id=edge_device.id, position=position):
                    raise ModelError(component.label, "edge_device", edge_device.id,
                                     "a component of a single edge device (it is listed by two devices or twice)")
            for group in edge_device._groups:
                device_group(group)

        def device_group(group: EdgeDeviceGroup) -> None:
            if not add(group):
                return
            for sub_group, count in _weights(group, "sub_group_counts", group.sub_group_counts):
                link("group_subgroups", group_id=group.id, sub_group_id=sub_group.id, count=count)
                device_group(sub_group)
            for member, count in _weights(group, "edge_device_counts", group.edge_device_counts):
                link("group_devices", group_id=group.id, edge_device_id=member.id, count=count)
                device(member)
            for parent in group._groups:
                device_group(parent)

        def profile(table: str, column: str, owner_id: str, value: str, week: np.ndarray) -> None:
            rows[table].extend({"system_id": system_id, column: owner_id, "hour_of_week": hour, value: number}
                               for hour, number in enumerate(week.tolist()))

        seen_devices: dict[str, EdgeDevice] = {}
        add(pattern.network)
        add(pattern.country)
        starts.append(pattern.hourly_deployment_starts.to_frame().select(
            pl.lit(system_id).alias("system_id"), pl.lit(pattern.id).alias("usage_pattern_id"), "hour",
            pl.col("value").alias("starts")))
        for position, journey in enumerate(pattern.edge_usage_journeys):
            link("pattern_edge_journeys", usage_pattern_id=pattern.id, edge_journey_id=journey.id, position=position)
            if not add(journey):
                continue
            for j, (function, count) in enumerate(_weights(journey, "edge_functions", journey.edge_functions)):
                link("journey_edge_functions", edge_journey_id=journey.id, edge_function_id=function.id,
                     count=count, position=j)
                if not add(function):
                    continue
                for k, (need, n) in enumerate(_weights(function, "recurrent_edge_device_needs",
                                                       function.recurrent_edge_device_needs)):
                    link("function_device_needs", edge_function_id=function.id, device_need_id=need.id, count=n,
                         position=k)
                    if not add(need):
                        continue
                    device(need.edge_device)
                    for m, (component_need, c) in enumerate(need.checked_needs()):
                        link("device_need_component_needs", device_need_id=need.id,
                             component_need_id=component_need.id, count=c, position=m)
                        if add(component_need):
                            profile("component_need_profiles", "component_need_id", component_need.id, "need",
                                    component_need.profile())
                for k, (server_need, n) in enumerate(_weights(function, "recurrent_server_needs",
                                                              function.recurrent_server_needs)):
                    link("function_server_needs", edge_function_id=function.id, server_need_id=server_need.id,
                         count=n, position=k)
                    if not add(server_need):
                        continue
                    device(server_need.edge_device)
                    profile("server_need_profiles", "server_need_id", server_need.id, "volume",
                            server_need.week("recurrent_volume_per_edge_device"))
                    for m, (job, weight) in enumerate(_weights(server_need, "jobs", server_need.jobs)):
                        link("server_need_jobs", server_need_id=server_need.id, job_id=job.id, weight=weight,
                             position=m)
                        if add(job):
                            self._add_job_infrastructure(job, add)

    @staticmethod
    def _add_job_infrastructure(job: _JobBase, add) -> None:
        api = getattr(job, "external_api", None)
        if api is not None:
            if add(api):
                add(api.server)
            return
        service = getattr(job, "service", None)
        server = service.server if service is not None else job.server
        if service is not None:
            add(service)
        if add(server) and server.storage is not None:
            add(server.storage)
        # Services installed on the server count even when none of their jobs is used (their base RAM).

    def _computed(self):
        """(Results, objects by id) of the System's current inputs, the System left as it is."""
        from efp_tables.compute import compute
        model, objects = self._model_and_objects()
        return compute(model), objects

    def compute(self):
        """Compute the System; its objects then show the results as their calculated attributes."""
        results, objects = self._computed()
        long = results.long()
        self._results = results
        footprints = _footprint_rows(long)
        self._previous_footprints = _footprint_rows(self._long) if self._long is not None else footprints
        self._first_footprints = self._first_footprints if self._first_footprints is not None else footprints
        self._stale = False
        self._show(long, objects.values())
        return results

    def _show(self, long: pl.DataFrame, objects) -> None:
        """Show `long` (a long results table) as the calculated attributes of the System's objects."""
        for obj in objects:
            if self in obj._systems:
                obj._systems.remove(self)
            obj._systems.append(self)
        self._long, self._object_rows, self._values = long, None, {}

    def _changed(self, change: Change) -> None:
        self._change_log.append(change)
        self._stale = True
        self._adopt(change.new)

    def _adopt(self, value) -> None:
        """Objects newly linked by a change (a new step, its jobs, their server...) read their calculated
        attributes from this System, which recomputes first."""
        items = value.keys() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for obj in items:
            if isinstance(obj, ModelObject) and self not in obj._systems:
                obj._systems.append(self)
                for attribute in obj.links:
                    self._adopt(obj.__dict__.get(attribute))

    def _fresh_long(self) -> pl.DataFrame:
        if self._long is None or self._stale:
            self.compute()
        return self._long

    def _values_of(self, obj: ModelObject) -> dict:
        long = self._fresh_long()
        if self._object_rows is None:  # sorted once by object, each object's rows are a slice, not a copy
            long = self._long = long.sort("object_id", maintain_order=True)
            counts = long.group_by("object_id", maintain_order=True).len()
            offsets = counts["len"].cum_sum() - counts["len"]
            self._object_rows = dict(zip(counts["object_id"], zip(offsets, counts["len"])))
        if obj.id not in self._values:
            where = self._object_rows.get(obj.id)
            self._values[obj.id] = obj._values_from(long.slice(*where) if where else None)
        return self._values[obj.id]

    @property
    def results(self):
        """The Results (stage frames) of the current inputs, recomputed first if an input changed."""
        self._fresh_long()
        return self._results

    def results_long(self) -> pl.DataFrame:
        """The long results table (efootprint's) of the current inputs, recomputed first if an input changed."""
        return self._fresh_long()

    def changes(self) -> pl.DataFrame:
        """Every input change on the System's objects since its first compute, in order."""
        return pl.DataFrame(
            [{"position": i, "object": change.obj.label, "attribute": change.attribute,
              "old_value": described(change.old), "new_value": described(change.new)}
             for i, change in enumerate(self._change_log)],
            schema={"position": pl.Int64, "object": pl.String, "attribute": pl.String, "old_value": pl.String,
                    "new_value": pl.String})

    def emission_diffs(self, from_start: bool = False) -> pl.DataFrame:
        """Per object and hour, the change of each footprint (kg) made by the last changes (recomputed once
        since), or by all changes since the first compute (`from_start`); see simulations.emission_diffs."""
        from efp_tables.simulations import emission_diffs
        after = self._fresh_long()
        return emission_diffs(self._first_footprints if from_start else self._previous_footprints, after)

    def emission_diff_summary(self, from_start: bool = False) -> pl.DataFrame:
        """`emission_diffs` summed over the hours, by object and phase, biggest changes first."""
        from efp_tables.simulations import diff_summary
        return diff_summary(self.emission_diffs(from_start))

    def simulate(self, changes, from_date: datetime) -> Simulation:
        """The changes [(object, attribute, value), ...] made from `from_date` on, the System unchanged: a
        Simulation with the simulated and the baseline long results, and `set_updated_values()` /
        `reset_values()` to show either on the objects."""
        return Simulation(self, changes, from_date)

    def compare_to(self, other: "System"):
        """`other` (B) compared against this System (A), as efootprint's System.compare_to: an
        outputs.comparison.Comparison, with `summary` (totals, delta, decomposition by category and phase, input
        diff), `time_series` (aligned hourly and cumulative kg), `chart()` and `write(folder)`."""
        from efp_tables.outputs.comparison import compare, side_of_model
        return compare(side_of_model(self.model(), self.name), side_of_model(other.model(), other.name))

    def sankey(self, phases: list[str] | None = None, exclude: list[str] | None = None,
               levels: list[str] | None = None):
        """Who causes what: the attribution atoms as a Sankey diagram (an altair chart), of `phases`
        ("manufacturing", "use"; default both), without the source classes `exclude` ("Device", "ServerBase",
        ...), over `levels` (among country, usage_pattern, journey, step, job, source; default all)."""
        from efp_tables.outputs.sankey import results_sankey
        return results_sankey(self.results, phases, exclude, levels, self.id)

    def to_json(self, path: str | Path) -> Path:
        """Write the System as an efootprint 27 JSON file (atomically); returns the path."""
        from efp_tables.io.efootprint_json_writer import write_model
        return write_model(self.model(), path)
