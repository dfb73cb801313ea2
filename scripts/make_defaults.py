"""Regenerate data/archetypes/defaults.json: efootprint's default input values (`from_defaults`) and its
archetypes (ssd/hdd storage, laptop/smartphone/box/screen devices, wifi/mobile networks, ssd/hdd edge storage), as
text quantities (a constant weekly profile as its one value).

Rerun when efootprint updates: .venv/bin/python scripts/make_defaults.py  (needs efootprint, a test dependency)
"""
import json
import logging
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "archetypes" / "defaults.json"


def as_text(value):
    inner = getattr(value, "value", value)
    if inner is None or type(value).__name__ == "EmptyExplainableObject":
        return None
    if hasattr(inner, "magnitude") and getattr(inner.magnitude, "ndim", 0) == 1:  # a weekly profile
        values = set(inner.magnitude.tolist())
        if len(values) != 1:
            raise ValueError(f"a weekly default that is not constant: {value}")
        return f"{float(values.pop())!r} {inner.units}"
    if hasattr(inner, "magnitude"):
        return f"{float(inner.magnitude)!r} {inner.units}"
    return str(inner)


def inputs_of(obj, names):
    return {name: as_text(getattr(obj, name)) for name in names if hasattr(obj, name)}


def main():
    logging.disable(logging.WARNING)
    from efootprint.builders.hardware.boavizta_cloud_server import BoaviztaCloudServer
    from efootprint.builders.services.video_streaming import VideoStreaming, VideoStreamingJob
    from efootprint.core.hardware.device import Device
    from efootprint.core.hardware.gpu_server import GPUServer
    from efootprint.core.hardware.network import Network
    from efootprint.core.hardware.server import Server
    from efootprint.core.hardware.storage import Storage
    from efootprint.core.usage.job import GPUJob, Job
    from efootprint.core.usage.usage_journey_step import UsageJourneyStep

    from efootprint.builders.hardware.edge.edge_appliance import EdgeAppliance
    from efootprint.builders.hardware.edge.edge_computer import EdgeComputer
    from efootprint.builders.usage.edge.recurrent_edge_process import RecurrentEdgeProcess
    from efootprint.builders.usage.edge.recurrent_edge_workload import RecurrentEdgeWorkload
    from efootprint.core.hardware.edge.edge_cpu_component import EdgeCPUComponent
    from efootprint.core.hardware.edge.edge_device import EdgeDevice
    from efootprint.core.hardware.edge.edge_ram_component import EdgeRAMComponent
    from efootprint.core.hardware.edge.edge_storage import EdgeStorage
    from efootprint.core.hardware.edge.edge_workload_component import EdgeWorkloadComponent
    from efootprint.core.usage.edge.edge_usage_pattern import EdgeUsagePattern
    from efootprint.core.usage.edge.recurrent_server_need import RecurrentServerNeed

    classes = [Server, GPUServer, BoaviztaCloudServer, Storage, Device, Network, Job, GPUJob, VideoStreaming,
               VideoStreamingJob, UsageJourneyStep,
               EdgeCPUComponent, EdgeRAMComponent, EdgeStorage, EdgeWorkloadComponent, EdgeDevice, EdgeComputer,
               EdgeAppliance, EdgeUsagePattern, RecurrentEdgeProcess, RecurrentEdgeWorkload, RecurrentServerNeed]
    document = {"defaults": {c.__name__: {k: as_text(v) for k, v in c.default_values.items()} for c in classes},
                "archetypes": {}}
    for cls in (Storage, Device, Network, EdgeStorage):
        fields = list(cls.default_values)
        document["archetypes"][cls.__name__] = {
            factory.__name__: {"name": factory().name, **inputs_of(factory(), fields)} for factory in cls.archetypes()}
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
