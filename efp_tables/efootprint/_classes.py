"""The seeds' classes and functions, each a SeedObject over its efp_tables.builders.api class."""
from __future__ import annotations

from datetime import datetime

from efp_tables.builders import api, live
from efp_tables.builders import time_series
from efp_tables.efootprint._layer import (CLASSES, EmptyExplainableObject, ExplainableHourlyQuantities, SeedObject,
                                          SourceObject, _seed_value, deliver_chart, old_name_used, seed_era,
                                          to_input)
from efp_tables.efootprint import renames
from efp_tables.errors import ModelError


class ServerTypes:
    @classmethod
    def autoscaling(cls):
        return SourceObject("autoscaling")

    @classmethod
    def on_premise(cls):
        return SourceObject("on-premise")

    @classmethod
    def serverless(cls):
        return SourceObject("serverless")

    @classmethod
    def all(cls):
        return [cls.autoscaling(), cls.on_premise(), cls.serverless()]


class Storage(SeedObject, api.Storage):
    """Its archetypes (ssd, hdd) are efootprint 9.0.0's, as class methods."""
    _api, seed_name = api.Storage, "Storage"


class Server(SeedObject, api.Server):
    _api, seed_name = api.Server, "Server"


class Autoscaling(Server):
    """8.x's autoscaling server: a Server of server_type autoscaling."""
    fixed = {"server_type": "autoscaling"}


class OnPremise(Server):
    fixed = {"server_type": "on-premise"}


class Serverless(Server):
    fixed = {"server_type": "serverless"}


class BoaviztaCloudServer(SeedObject, api.BoaviztaCloudServer):
    """Offline: the instance data come from efp_tables' archetype table (data/archetypes), not BoaviztAPI."""
    _api, seed_name = api.BoaviztaCloudServer, "BoaviztaCloudServer"

    @classmethod
    def list_values(cls) -> dict:
        return {k: [SourceObject(v) for v in vs] for k, vs in api.BoaviztaCloudServer.list_values().items()}

    @classmethod
    def conditional_list_values(cls) -> dict:
        rules = api.BoaviztaCloudServer.conditional_list_values()
        return {attribute: {"depends_on": rule["depends_on"], "conditional_list_values": {
            condition: [EmptyExplainableObject() if v is None else SourceObject(v) for v in values]
            for condition, values in rule["conditional_list_values"].items()}} for attribute, rule in rules.items()}


class Device(SeedObject, api.Device):
    _api, seed_name = api.Device, "Hardware"


class Hardware(Device):
    """efootprint 9's name of Device."""


class Network(SeedObject, api.Network):
    _api, seed_name = api.Network, "Network"


class Country(SeedObject, api.Country):
    _api, seed_name = api.Country, "Country"


class Countries:
    """The countries of efootprint 9.0.0, with its carbon intensities (France 85 g/kWh)."""


def _country_factory(row: dict):
    def country() -> Country:
        return Country(row["name"], short_name=row["short_name"], timezone=row["timezone"],
                       average_carbon_intensity=_seed_value(row["average_carbon_intensity"]))
    country.__name__ = row["attribute"]
    return staticmethod(country)


for _row in seed_era()["countries"]:
    setattr(Countries, _row["attribute"], _country_factory(_row))


class _ServiceMixin:
    @classmethod
    def compatible_jobs(cls) -> list[type]:
        return [CLASSES[name] for name in seed_era()["compatible_jobs"].get(cls.seed_name, []) if name in CLASSES]


class VideoStreaming(_ServiceMixin, SeedObject, api.VideoStreaming):
    _api, seed_name = api.VideoStreaming, "VideoStreaming"


class _JobMixin:
    def _computed_alone(self) -> None:
        """A job's own calculated attributes (a service job's needs, for one) do not depend on the usage: it is
        computed in a System of its own, one occurrence in one hour, until a System that holds it is computed."""
        step = api.UsageJourneyStep(f"{self.name} alone", user_time_spent="1 s", jobs=[self])
        journey = api.UsageJourney(f"{self.name} alone journey", uj_steps=[step])
        pattern = api.UsagePattern(
            f"{self.name} alone pattern", hourly_occurrences=time_series.from_list([1.0], datetime(2025, 1, 1)),
            usage_journeys=[journey], devices=[api.Device.laptop(f"{self.name} alone device")],
            network=api.Network.wifi_network(f"{self.name} alone network"),
            country=api.Country(f"{self.name} alone country", average_carbon_intensity="0 g/kWh",
                                short_name="-", timezone="UTC"))
        api.System(f"{self.name} alone system", usage_patterns=[pattern]).compute()


class Job(_JobMixin, SeedObject, api.Job):
    """A plain job. The seeds' data_download (8.x, seed 001) is an input of its own here, added to data_transferred
    as efootprint 9 merged them; data_upload (8.x) is data_transferred."""
    _api, seed_name = api.Job, "Job"
    quantities = {**api.Job.quantities, "data_download": api.Job.quantities["data_transferred"]}
    optional = (*api.Job.optional, "data_download")

    def _set_input(self, attribute: str, value, **kwargs) -> None:
        if attribute == "data_download" and value is not None and self.__dict__.get("name"):
            old_name_used("Job.data_download", "part of Job.data_transferred",
                          renames.MERGED[("Job", "data_download")][2])
        super()._set_input(attribute, value, **kwargs)

    def row(self) -> dict:
        row = super().row()
        download = row.pop("data_download")
        row["data_transferred"] += download or 0.0
        return row


class VideoStreamingJob(_JobMixin, SeedObject, api.VideoStreamingJob):
    _api, seed_name = api.VideoStreamingJob, "VideoStreamingJob"


class WebApplication(_ServiceMixin, SeedObject, api.WebApplication):
    _api, seed_name = api.WebApplication, "WebApplication"


class WebApplicationJob(_JobMixin, SeedObject, api.WebApplicationJob):
    """Its needs come from Boavizta's ecobenchmark, as in efootprint 9 to 15; in a System, efootprint 27 computes
    it as a plain Job (see efp_tables.builders.api.WebApplicationJob)."""
    _api, seed_name = api.WebApplicationJob, "WebApplicationJob"


class UsageJourneyStep(SeedObject, api.UsageJourneyStep):
    _api, seed_name = api.UsageJourneyStep, "UsageJourneyStep"


class UserJourneyStep(UsageJourneyStep):
    """efootprint 8's name of UsageJourneyStep."""


class UsageJourney(SeedObject, api.UsageJourney):
    _api, seed_name = api.UsageJourney, "UsageJourney"


class UserJourney(UsageJourney):
    """efootprint 8's name of UsageJourney."""


class UsagePattern(SeedObject, api.UsagePattern):
    _api, seed_name = api.UsagePattern, "UsagePattern"

    def object_relationship_graph_to_file(self, filename: str | None = None, width=None, height=None,
                                          classes_to_ignore=(), notebook=False) -> None:
        """The graph of the System's objects (efp_tables.outputs.graphs), without the classes to ignore."""
        from efp_tables.efootprint._layer import _deliver_html
        from efp_tables.outputs.graphs import object_graph_html
        if not self._systems:
            raise ModelError(self.label, "object relationship graph", None, "a System that holds this usage pattern")
        ignored = {renames.CLASSES.get(c, (c,))[0] for c in classes_to_ignore}
        _deliver_html(object_graph_html(self._systems[-1].model(), ignored_classes=ignored), filename,
                      f"{self.name} object relationship graph")


class System(SeedObject, api.System):
    """Computed when created, as in efootprint."""
    _api, seed_name = api.System, "System"

    def __init__(self, name: str, *args, **kwargs):
        super().__init__(name, *args, **kwargs)
        self.compute()

    def plot_footprints_by_category_and_object(self, filename: str | None = None, height=None, width=None,
                                               return_only_html=False) -> None:
        """The footprint by category and object (efp_tables.outputs.charts) to `filename` (.html or .png)."""
        from efp_tables.outputs.charts import footprint_from_long
        deliver_chart(footprint_from_long(self.results_long()), filename, f"{self.name} footprints")

    def plot_emission_diffs(self, filepath: str | None = None, figsize=None, from_start: bool = False,
                            plt_show: bool = False) -> None:
        """The emission changes made by the last changes (or all since the System was created, `from_start`)."""
        from efp_tables.outputs.charts import emission_diffs
        deliver_chart(emission_diffs(self.emission_diffs(from_start)), filepath, f"{self.name} emission diffs")


class ModelingUpdate:
    """The seeds' batch of changes: [[object.attribute, new value], ...], the attributes read from their objects
    (`server.average_carbon_intensity`, `journey.uj_steps`). With `simulation_date`, a simulation of the changes
    from that date on (efp_tables.builders.live.ModelingUpdate), whose values the System's plots show beside the
    baseline's until `set_updated_values()`."""

    def __init__(self, changes_list, simulation_date: datetime | None = None):
        changes = [self._change(change) for change in changes_list]
        self.update = live.ModelingUpdate(changes, simulation_date)
        self.simulation = self.update.simulation
        if self.simulation is not None:
            object.__setattr__(self.simulation.system, "_seed_simulation", self.simulation)

    @staticmethod
    def _change(change):
        if not (isinstance(change, (list, tuple)) and len(change) == 2):
            raise ModelError("ModelingUpdate", "change", change, "a [current value, new value] pair")
        current, new = change
        if isinstance(current, live.TrackedList):
            owner, attribute = current.owner, current.attribute
        elif hasattr(current, "modeling_obj_container"):
            owner, attribute = current.modeling_obj_container, current.attr_name_in_mod_obj_container
        else:
            raise ModelError("ModelingUpdate", "change", current, "an input read from its object "
                             "(server.average_carbon_intensity, journey.uj_steps)")
        if attribute in owner.quantities:
            new = to_input(new, owner.quantities[attribute], owner.label, attribute)
        return owner, attribute, new

    def set_updated_values(self) -> None:
        self.update.set_updated_values()

    def reset_values(self) -> None:
        self.update.reset_values()


def _timespan(timespan):
    return to_input(timespan, "hour", "time builder", "timespan")


def linear_growth_hourly_values(timespan, start_value: float, end_value: float, start_date: datetime | None = None):
    return ExplainableHourlyQuantities(time_series.linear_growth_hourly_values(
        _timespan(timespan), start_value, end_value, start_date))


def sinusoidal_fluct_hourly_values(timespan, sin_fluct_amplitude: float, sin_fluct_period_in_hours: float,
                                   start_date: datetime | None = None):
    return ExplainableHourlyQuantities(time_series.sinusoidal_fluct_hourly_values(
        _timespan(timespan), sin_fluct_amplitude, sin_fluct_period_in_hours, start_date))


def daily_fluct_hourly_values(timespan, fluct_scale: float, hour_of_day_for_min_value: int = 4,
                              start_date: datetime | None = None):
    return ExplainableHourlyQuantities(time_series.daily_fluct_hourly_values(
        _timespan(timespan), fluct_scale, hour_of_day_for_min_value, start_date))


def create_hourly_usage_df_from_list(input_list, start_date: datetime | None = None, pint_unit=None):
    return ExplainableHourlyQuantities(time_series.from_list(input_list, start_date))


def _old_factory(name: str, build):
    def factory(*args, **kwargs):
        old_name_used(f"{name}()", f"{build.__self__.__name__}.{build.__name__}()",
                      "efootprint 9.0.0 moved the archetypes to the classes")
        return build(*args, **kwargs)
    factory.__name__ = name
    return factory


default_ssd = _old_factory("default_ssd", Storage.ssd)
default_hdd = _old_factory("default_hdd", Storage.hdd)
default_laptop = _old_factory("default_laptop", Device.laptop)
default_smartphone = _old_factory("default_smartphone", Device.smartphone)
default_box = _old_factory("default_box", Device.box)
default_screen = _old_factory("default_screen", Device.screen)

CLASSES.update({cls.seed_name: cls for cls in (Storage, Server, BoaviztaCloudServer, Device, Network, Country,
                                               VideoStreaming, Job, VideoStreamingJob, WebApplication,
                                               WebApplicationJob, UsageJourneyStep,
                                               UsageJourney, UsagePattern, System)})
CLASSES["Hardware"] = Hardware
