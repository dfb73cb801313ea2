"""Regenerate data/efootprint_9_0_0.json: what efootprint 9.0.0 (the seeds' era) gives as defaults, archetypes,
countries, sources, allowed values and constructor parameters, in its own names and units, for
efp_tables.efootprint (the seeds' import path), which maps them to efootprint 27's names.

It must run with efootprint 9.0.0 itself, in a virtualenv of its own (its pins do not fit this project's):

    python3.12 -m venv /tmp/efp9 && /tmp/efp9/bin/pip install efootprint==9.0.0
    /tmp/efp9/bin/python scripts/make_efootprint_9_data.py

The machine is offline: the Boavizta cloud lists that efootprint 9.0.0 fetches when its BoaviztaCloudServer module
is imported get an empty answer (efp_tables.efootprint takes them from data/archetypes instead).
"""
import inspect
import json
import logging
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "efootprint_9_0_0.json"


class _EmptyAnswer:
    content = b"[]"


def _import_offline():
    import requests
    real_get, requests.get = requests.get, lambda *args, **kwargs: _EmptyAnswer()
    try:
        import efootprint.builders.hardware.boavizta_cloud_server  # noqa: F401 (reads Boavizta's lists on import)
    finally:
        requests.get = real_get


def as_text(value):
    """A value as text ("160.0 kilogram / terabyte"), None for efootprint's empty value, a nested object as a dict."""
    if type(value).__name__ == "EmptyExplainableObject" or value is None:
        return None
    if any(c.__name__ == "ModelingObject" for c in type(value).__mro__):
        return described(value)  # a modeling object (a server's default storage)
    inner = getattr(value, "value", value)
    if hasattr(inner, "magnitude"):
        return f"{float(inner.magnitude)!r} {inner.units}"
    if hasattr(inner, "zone"):
        return inner.zone
    return str(inner)


def described(obj) -> dict:
    names = [n for n in inspect.signature(type(obj).__init__).parameters if n not in ("self", "name")]
    return {"class": type(obj).__name__, "name": obj.name,
            "inputs": {n: as_text(getattr(obj, n)) for n in names if hasattr(obj, n)}}


def main():
    logging.disable(logging.WARNING)
    _import_offline()
    from efootprint.abstract_modeling_classes.source_objects import Sources
    from efootprint.builders.hardware.boavizta_cloud_server import BoaviztaCloudServer
    from efootprint.builders.services.video_streaming import VideoStreaming, VideoStreamingJob
    from efootprint.builders.services.web_application import WebApplication, WebApplicationJob
    from efootprint.constants.countries import Countries
    from efootprint.core.hardware.gpu_server import GPUServer
    from efootprint.core.hardware.hardware import Hardware
    from efootprint.core.hardware.network import Network
    from efootprint.core.hardware.server import Server
    from efootprint.core.hardware.storage import Storage
    from efootprint.core.usage.job import Job
    from efootprint.core.usage.usage_journey import UsageJourney
    from efootprint.core.usage.usage_journey_step import UsageJourneyStep
    from efootprint.core.usage.usage_pattern import UsagePattern
    from efootprint.core.country import Country
    from efootprint.core.system import System
    import efootprint

    classes = [Server, GPUServer, BoaviztaCloudServer, Storage, Hardware, Network, Job, VideoStreaming,
               VideoStreamingJob, WebApplication, WebApplicationJob, UsageJourneyStep, UsageJourney, UsagePattern,
               Country, System]
    document = {"efootprint_version": efootprint.__version__, "constructors": {}, "defaults": {}, "archetypes": {},
                "list_values": {}, "compatible_jobs": {}}
    for cls in classes:
        document["constructors"][cls.__name__] = [
            n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "name")]
        if hasattr(cls, "default_values"):
            document["defaults"][cls.__name__] = {k: as_text(v) for k, v in cls.default_values().items()}
        if cls is not BoaviztaCloudServer and hasattr(cls, "list_values"):
            values = {k: [as_text(v) for v in vs] for k, vs in cls.list_values().items()}
            if values:
                document["list_values"][cls.__name__] = values
        if hasattr(cls, "compatible_jobs"):
            document["compatible_jobs"][cls.__name__] = [job.__name__ for job in cls.compatible_jobs()]
    for cls in (Storage, Hardware, Network):
        document["archetypes"][cls.__name__] = {factory.__name__: described(factory()) for factory in cls.archetypes()}
    countries = []
    for attribute, factory in vars(Countries).items():
        if attribute.isupper() and callable(factory):
            country = factory()
            countries.append({"attribute": attribute, "name": country.name, "short_name": as_text(country.short_name),
                              "average_carbon_intensity": as_text(country.average_carbon_intensity),
                              "timezone": as_text(country.timezone)})
    document["countries"] = countries
    document["sources"] = {attribute: {"name": source.name, "link": source.link}
                           for attribute, source in vars(Sources).items() if attribute.isupper()}
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
