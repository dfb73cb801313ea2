"""The seeds' notebook walkthrough with the Python API (efootprint 27 names): objects from defaults and
archetypes, allowed values, reprs with calculated attributes, changes on a computed System (numeric and
structural, one by one or in a batch), their recap and emission diffs, dated simulations, and JSON export."""
import subprocess
import sys
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE, SHARED, parity
from efp_tables.builders.api import (BoaviztaCloudServer, Country, Device, GPUJob, GPUServer, Job, ModelingUpdate,
                                     Network, Server, Storage, UsageJourneyStep, VideoStreaming, VideoStreamingJob)
from efp_tables.builders.calculated import ResultSeries
from efp_tables.errors import ModelError
from efp_tables.quickstart import quickstart_system
from efp_tables.units import Quantity

SIMULATION_DATE = datetime(2026, 1, 1)
_DUMP = ("import sys; sys.path.insert(0, sys.argv[1]); import efootprint_dump; "
         "efootprint_dump.dump(sys.argv[2], sys.argv[3])")


def parts(system):
    """(journey, streaming step, upload step, server) of the quickstart System."""
    journey = system.usage_patterns[0].usage_journeys[0]
    streaming_step, upload_step = journey.uj_steps
    return journey, streaming_step, upload_step, streaming_step.jobs[0].server


def llm_chat_step():
    """The seeds' structural change, as in shared/reference/quickstart_llm.json: a chat step whose GPU job runs
    on an autoscaling GPU server."""
    llm_server = GPUServer.from_defaults("LLM server", server_type="autoscaling", compute="8 gpu",
                                         average_carbon_intensity="300 g/kWh",
                                         storage=Storage.ssd("LLM server storage"))
    job = GPUJob("LLM API call", server=llm_server, data_transferred="600 kB", data_stored="300 kB_stored",
                 request_duration="5 s", compute_needed="1 gpu", ram_needed="40000 MB_ram")
    return UsageJourneyStep("Chat with LLM to select video", user_time_spent="1 min", jobs=[job]), llm_server


def as_llm_reference(long: pl.DataFrame) -> pl.DataFrame:
    """Our long table with the reference's System id (the reference names its System "System with LLM")."""
    system_id = pl.when(pl.col("object_class") == "System").then(pl.lit("System-with-LLM")).otherwise("object_id")
    return long.drop("system_id").with_columns(object_id=system_id)


def total_kg(long: pl.DataFrame, keep=True) -> float:
    return long.filter((pl.col("attribute") == "total_footprint") & keep)["value"].sum()


@pytest.fixture(scope="module")
def computed():
    """The quickstart System, computed, never changed (tests that change a System build their own)."""
    system = quickstart_system()
    system.compute()
    return system


@pytest.fixture(scope="module")
def llm_reference():
    return pl.read_parquet(REFERENCE / "quickstart_llm.results.parquet")


# Objects by hand, from defaults and from archetypes

def test_every_class_builds_from_its_defaults():
    storage = Storage.from_defaults("2 TB SSD storage", storage_capacity="2 TB_stored")
    assert storage.row()["storage_capacity"] == 2.0 and storage.row()["data_storage_duration"] == pytest.approx(
        5 * 8766)  # 5 (julian) years in hours, efootprint's default
    server = Server.from_defaults("server", average_carbon_intensity="100 g/kWh", storage=storage)
    gpu_server = GPUServer.from_defaults("gpu server", storage=Storage.ssd())
    cloud = BoaviztaCloudServer.from_defaults("cloud", storage=Storage.hdd())
    service = VideoStreaming.from_defaults("video", server=server)
    objects = [storage, server, gpu_server, cloud, service, Device.from_defaults("device"),
               Network.from_defaults("network"), Job.from_defaults("job", server=server),
               GPUJob.from_defaults("gpu job", server=gpu_server),
               VideoStreamingJob.from_defaults("stream", service=service),
               UsageJourneyStep.from_defaults("step", jobs=[]), Country.from_defaults("Utopia", short_name="UTO")]
    for obj in objects:
        defaults = type(obj).default_values()
        assert defaults, type(obj).__name__
        overridden = ("storage_capacity", "average_carbon_intensity")
        for attribute, value in defaults.items():
            if attribute in type(obj).input_names() and attribute not in overridden:
                assert getattr(obj, attribute) == value, (type(obj).__name__, attribute)
    assert server.row()["average_carbon_intensity"] == pytest.approx(0.1)  # kg/kWh, the override
    assert gpu_server.row()["compute"] == 4.0 and gpu_server.server_type == "serverless"
    assert (cloud.provider, cloud.instance_type) == ("scaleway", "ent1-s")


def test_archetypes_of_storage_devices_and_networks():
    assert sorted(Storage.archetypes()) == ["hdd", "ssd"]
    assert sorted(Network.archetypes()) == ["mobile_network", "wifi_network"]
    assert sorted(Device.archetypes()) == ["box", "laptop", "screen", "smartphone"]
    assert Server.archetypes() == {} and GPUServer.archetypes() == {}  # as efootprint 27: no server archetypes
    hdd = Storage.hdd()
    assert hdd.name == "Default HDD storage" and hdd.row()["lifespan"] == pytest.approx(4 * 8766)
    assert hdd.row()["carbon_footprint_manufacturing_per_storage_capacity"] == pytest.approx(20.0)
    assert Network.mobile_network().bandwidth_energy_intensity == "0.12 kilowatt_hour / gigabyte"
    for key in Device.archetypes():  # each archetype also has its own constructor, as in efootprint
        device = getattr(Device, key)()
        assert device.name == Device.archetypes()[key]["name"]
        assert device.power == Device.archetypes()[key]["power"]
    assert Device.smartphone("phone").name == "phone"
    with pytest.raises(ModelError, match=r"Storage.*archetype.*'nvme'.*\['hdd', 'ssd'\]"):
        Storage.archetype("nvme")


# Allowed values

def test_list_values_and_conditional_list_values():
    assert Server.list_values() == {"server_type": ["autoscaling", "on-premise", "serverless"]}
    assert VideoStreamingJob.list_values()["resolution"][2] == "1080p (1920 x 1080)"
    assert len(VideoStreamingJob.list_values()["resolution"]) == 7
    cloud_lists = BoaviztaCloudServer.list_values()
    assert cloud_lists["server_type"] == ["autoscaling", "on-premise", "serverless"]
    assert {"aws", "azure", "scaleway"} <= set(cloud_lists["provider"])
    conditional = BoaviztaCloudServer.conditional_list_values()
    assert conditional["instance_type"]["depends_on"] == "provider"
    by_provider = conditional["instance_type"]["conditional_list_values"]
    assert set(by_provider) == set(cloud_lists["provider"])
    assert "ent1-s" in by_provider["scaleway"] and "ent1-s" not in by_provider["aws"]
    assert conditional["fixed_nb_of_instances"] == {"depends_on": "server_type", "conditional_list_values": {
        "autoscaling": [None], "serverless": [None]}}
    assert Storage.list_values() == {} and Storage.conditional_list_values() == {}


def test_values_outside_the_lists_are_rejected_when_created_and_assigned():
    with pytest.raises(ModelError, match=r"Server 'web': server_type = 'cloud': expected one of "
                                         r"\['autoscaling', 'on-premise', 'serverless'\]"):
        Server.from_defaults("web", server_type="cloud", storage=Storage.ssd())
    with pytest.raises(ModelError, match=r"BoaviztaCloudServer 'c': instance_type = 'a1.medium': expected one of "
                                         r"\[.*'ent1-s'.*\] when provider is 'scaleway'"):
        BoaviztaCloudServer.from_defaults("c", instance_type="a1.medium", storage=Storage.ssd())
    with pytest.raises(ModelError, match=r"fixed_nb_of_instances = '4'.*no value.*when server_type is 'autoscaling'"):
        Server.from_defaults("web", fixed_nb_of_instances="4", storage=Storage.ssd())
    on_premise = Server.from_defaults("web", server_type="on-premise", fixed_nb_of_instances="4", storage=Storage.ssd())
    assert on_premise.fixed_nb_of_instances == "4"

    job = VideoStreamingJob.from_defaults("stream", service=VideoStreaming.from_defaults("video", server=on_premise))
    with pytest.raises(ModelError, match=r"VideoStreamingJob 'stream': resolution = '1081p': expected one of "
                                         r"\['480p \(640 x 480\)'"):
        job.resolution = "1081p"
    assert job.resolution == "1080p (1920 x 1080)"  # unchanged
    job.resolution = "4K (3840 x 2160)"
    assert job.row()["resolution"] == "4K (3840 x 2160)"

    cloud = BoaviztaCloudServer.from_defaults("cloud", storage=Storage.ssd())
    with pytest.raises(ModelError, match=r"instance_type = 'ent1-s'.*when provider is 'aws'"):
        cloud.provider = "aws"  # ent1-s is a scaleway instance
    assert cloud.provider == "scaleway"
    ModelingUpdate([(cloud, "provider", "aws"), (cloud, "instance_type", "a1.medium")])  # together: allowed
    assert (cloud.provider, cloud.instance_type) == ("aws", "a1.medium")


# Reprs and calculated attributes

def test_reprs_show_inputs_then_calculated_values(computed):
    fresh = Server.from_defaults("web", storage=Storage.ssd())
    text = repr(fresh)
    assert "power: 300.0 watt" in text and "storage: Default-SSD-storage" in text
    assert "instances_energy: no value" in text and "use_footprint: no value" in text

    _, _, _, server = parts(computed)
    energy_kwh = computed.results.collected["server_footprints"].filter(
        pl.col("server_id") == "server")["instances_energy"].sum()
    text = str(server)
    assert "average_carbon_intensity: 100 g/kWh" in text and "storage: SSD-storage" in text
    assert ("instances_energy: 26,298 hourly values from 2025-01-01 00:00 to 2028-01-01 17:00, "
            f"sum {energy_kwh:,.2f} kWh") in text
    assert "available_ram_per_instance: 112.90 GB_ram" in text  # 128 GB * 0.9 - 0.3 GB - 2 GB of the service
    assert "service_total_job_volumes[Video-streaming-service]: 26,298 hourly values" in text  # a row per key
    html = server._repr_html_()
    assert html.startswith("<table>") and "<td>instances_energy</td>" in html and f"{energy_kwh:,.2f} kWh" in html
    assert "<td>calculated_attributes</td>" in html and "<td>inputs</td>" in html


def test_calculated_attributes_are_the_results(computed):
    _, streaming_step, _, server = parts(computed)
    long = computed.results_long()
    energy = server.instances_energy
    assert isinstance(energy, ResultSeries) and len(energy) == 26_298
    expected = long.filter((pl.col("object_id") == "server") & (pl.col("attribute") == "instances_energy"))
    assert energy.to_frame()["value"].to_list() == expected.sort("hour")["value"].to_list()
    assert energy.sum().units == Quantity(1, "kWh").units
    assert energy.sum().magnitude == pytest.approx(expected["value"].sum(), rel=1e-12)
    assert energy.mean().magnitude == pytest.approx(expected["value"].mean(), rel=1e-12)
    running = energy.cumsum().to_frame()["value"]
    assert running[-1] == pytest.approx(expected["value"].sum(), rel=1e-12) and running.is_sorted()
    ram = server.available_ram_per_instance
    assert isinstance(ram, Quantity) and ram.to("GB_ram").magnitude == pytest.approx(128 * 0.9 - 0.3 - 2.0)
    per_pattern = streaming_step.jobs[0].hourly_occurrences_per_usage_pattern
    assert list(per_pattern) == ["Daily-video-streaming-consumption"]
    occurrences = per_pattern["Daily-video-streaming-consumption"]
    assert isinstance(occurrences, ResultSeries) and occurrences.sum().magnitude == pytest.approx(long.filter(
        (pl.col("object_id") == "streaming") & (pl.col("attribute") == "hourly_occurrences_per_usage_pattern"))[
        "value"].sum(), rel=1e-12)
    assert server.fixed_nb_of_instances_validation is None  # efootprint leaves it empty
    assert computed.total_footprint.sum().to("kg").magnitude == pytest.approx(11_374_527, rel=1e-6)  # efootprint 27
    with pytest.raises(AttributeError, match=r"no attribute 'energy_footprint' \(inputs: .*'average_carbon_intensity'.*"
                                             r"calculated: .*'use_footprint'"):
        _ = server.energy_footprint  # the seeds' name; efootprint 27 calls it use_footprint


# Changes on a computed System

def test_carbon_intensity_change_scales_the_server_use_footprint_exactly():
    system = quickstart_system()
    system.compute()
    _, _, _, server = parts(system)
    before_use, before_energy = server.use_footprint.values, server.instances_energy.values
    before_network = system.usage_patterns[0].network.use_footprint.values
    server.average_carbon_intensity = "300 g/kWh"
    assert np.allclose(server.use_footprint.values, 3 * before_use, rtol=1e-12, atol=0)
    assert np.allclose(server.instances_energy.values, before_energy, rtol=1e-12, atol=0)
    assert np.allclose(system.usage_patterns[0].network.use_footprint.values, before_network, rtol=1e-12, atol=0)

    server.average_carbon_intensity = "300 g/kWh"  # the same again: no change
    assert system.changes().rows() == [(0, "Server 'server'", "average_carbon_intensity", "100 g/kWh", "300 g/kWh")]
    summary = system.emission_diff_summary()
    assert summary["object_id"][0] == "server" and summary["attribute"][0] == "use_footprint"
    assert summary["delta_kg"][0] == pytest.approx(2 * before_use.sum(), rel=1e-12)
    assert summary["delta_kg"][1:].abs().max() < 1e-6
    with pytest.raises(ModelError, match=r"Server 'server': average_carbon_intensity = '3 kilogram': "
                                         r"expected a quantity convertible to kilogram / kilowatt_hour"):
        server.average_carbon_intensity = "3 kg"
    assert len(system.changes()) == 1  # a refused change is not made


def test_llm_structural_change_gives_efootprint_reference_numbers(llm_reference):
    system = quickstart_system()
    system.compute()
    start_total = total_kg(system.results_long())
    journey, _, _, _ = parts(system)
    step, llm_server = llm_chat_step()
    assert llm_server.instances_energy is None  # not in the System yet
    journey.uj_steps.insert(0, step)  # an in-place change is a change too
    journey.uj_steps += []  # and one that changes nothing is none
    assert llm_server.use_footprint.sum().magnitude > 0  # recomputed on reading
    assert parity().compare(as_llm_reference(system.results_long()), llm_reference, show=10)
    recap = system.changes()
    assert recap.rows() == [(0, "UsageJourney 'Mean-video-consumption-user-journey'", "uj_steps",
                             "[20-min-streaming, 1-min-video-capture-then-upload]",
                             "[Chat-with-LLM-to-select-video, 20-min-streaming, 1-min-video-capture-then-upload]")]

    llm_server.average_carbon_intensity = "50 g/kWh"  # the seeds' low-carbon inference
    last = system.emission_diff_summary()
    assert last["object_id"][0] == "LLM-server" and last["delta_kg"][0] < 0
    reference_use = llm_reference.filter((pl.col("object_id") == "LLM-server")
                                         & (pl.col("attribute") == "use_footprint"))
    assert llm_server.use_footprint.sum().magnitude == pytest.approx(reference_use["value"].sum() / 6, rel=1e-5)
    from_start = system.emission_diff_summary(from_start=True)
    assert from_start.filter(pl.col("object_id") == "LLM-server")["before_kg"].sum() == 0
    assert from_start["delta_kg"].sum() == pytest.approx(
        total_kg(system.results_long()) - start_total, rel=1e-9)
    assert [row[2] for row in system.changes().rows()] == ["uj_steps", "average_carbon_intensity"]


def test_batch_changes_are_checked_together_then_made_in_order():
    system = quickstart_system()
    system.compute()
    start_total = total_kg(system.results_long())
    journey, streaming_step, upload_step, server = parts(system)
    step, llm_server = llm_chat_step()
    with pytest.raises(ModelError, match=r"GPUJob 'LLM-API-call': server = .*Server 'server'.*expected a GPUServer"):
        ModelingUpdate([(journey, "uj_steps", [step, streaming_step, upload_step]),
                        (step.jobs[0], "server", server)])
    assert list(journey.uj_steps) == [streaming_step, upload_step] and system.changes().is_empty()
    with pytest.raises(ModelError, match=r"UsageJourney 'Mean-video-consumption-user-journey': uj_steps = "
                                         r"\"Server 'server'\": expected a UsageJourneyStep"):
        journey.uj_steps.append(server)
    assert list(journey.uj_steps) == [streaming_step, upload_step] and system.changes().is_empty()

    ModelingUpdate([(journey, "uj_steps", [step, streaming_step, upload_step]),
                    (server, "average_carbon_intensity", "300 g/kWh")])
    assert [row[2] for row in system.changes().rows()] == ["uj_steps", "average_carbon_intensity"]
    assert total_kg(system.results_long()) > start_total
    ModelingUpdate([(journey, "uj_steps", [streaming_step, upload_step]),
                    (server, "average_carbon_intensity", "100 g/kWh")])  # back to the start
    assert total_kg(system.results_long()) == pytest.approx(start_total, rel=1e-12)
    assert system.emission_diffs(from_start=True)["delta_kg"].abs().max() < 1e-9
    assert len(system.changes()) == 4 and llm_server.use_footprint is None  # not in the System any more


def test_simulation_from_a_date_then_back_to_the_baseline(llm_reference):
    system = quickstart_system()
    system.compute()
    journey, streaming_step, upload_step, _ = parts(system)
    baseline = system.results_long()
    step, llm_server = llm_chat_step()
    update = ModelingUpdate([(journey, "uj_steps", [step, streaming_step, upload_step])],
                            simulation_date=SIMULATION_DATE)
    simulation = update.simulation
    assert list(journey.uj_steps) == [streaming_step, upload_step] and system.changes().is_empty()
    assert simulation.baseline is baseline
    with pytest.raises(ModelError, match=r"objects of one computed System for a simulation \(found 0\)"):
        ModelingUpdate([(llm_server, "average_carbon_intensity", "50 g/kWh")], simulation_date=SIMULATION_DATE)

    before = pl.col("hour") < SIMULATION_DATE
    assert total_kg(simulation.long, before) == pytest.approx(total_kg(baseline, before), rel=1e-12)
    assert total_kg(simulation.long, ~before) > total_kg(baseline, ~before) * 1.01
    assert simulation.emission_diffs().filter(before)["delta_kg"].abs().max() < 1e-9
    assert repr(simulation) == (
        "Simulation from 2026-01-01 00:00 of UsageJourney 'Mean-video-consumption-user-journey'.uj_steps = "
        "[Chat-with-LLM-to-select-video, 20-min-streaming, 1-min-video-capture-then-upload]: total footprint "
        f"{total_kg(simulation.long):,.0f} kg (baseline {total_kg(baseline):,.0f} kg)")
    # From the date on, the simulated LLM server is efootprint's LLM server.
    from_date = (pl.col("object_id").is_in(["LLM-server", "LLM-API-call"])
                 & (pl.col("hour").is_null() | (pl.col("hour") >= SIMULATION_DATE)))
    assert parity().compare(as_llm_reference(simulation.long).filter(from_date), llm_reference.filter(from_date))

    assert llm_server.instances_energy is None  # the System shows its baseline
    update.set_updated_values()
    assert list(journey.uj_steps) == [step, streaming_step, upload_step]
    energy = llm_server.instances_energy.to_frame()
    assert energy["hour"].min() == SIMULATION_DATE and energy["value"].sum() > 0
    assert system.total_footprint.sum().magnitude == pytest.approx(total_kg(simulation.long), rel=1e-12)
    update.reset_values()
    assert list(journey.uj_steps) == [streaming_step, upload_step]
    assert llm_server.instances_energy is None
    assert system.total_footprint.sum().magnitude == pytest.approx(total_kg(baseline), rel=1e-12)
    simulated_energy = simulation.long.filter((pl.col("object_id") == "LLM-server")
                                              & (pl.col("attribute") == "instances_energy"))["value"].sum()
    assert simulation.values_of(llm_server)["instances_energy"].sum().magnitude == pytest.approx(simulated_energy)
    assert system.changes().is_empty()

    same = system.simulate([(journey, "uj_steps", [step, streaming_step, upload_step])], SIMULATION_DATE)
    assert total_kg(same.long) == pytest.approx(total_kg(simulation.long), rel=1e-12)
    with pytest.raises(ModelError, match="from_date.*2026-01-01.*datetime"):
        system.simulate([(journey, "uj_steps", [step])], "2026-01-01")


# Export

def test_json_export_computes_in_efootprint_to_the_reference(tmp_path, llm_reference):
    system = quickstart_system()
    system.compute()
    journey, streaming_step, upload_step, _ = parts(system)
    step, _ = llm_chat_step()
    journey.uj_steps = [step, streaming_step, upload_step]
    path = system.to_json(tmp_path / "with_llm.json")
    assert [p.name for p in tmp_path.iterdir()] == ["with_llm.json"]  # written atomically
    out = tmp_path / "with_llm.results.parquet"
    subprocess.run([sys.executable, "-c", _DUMP, str(SHARED / "tools"), str(path), str(out)],
                   check=True, capture_output=True, timeout=600)
    efootprint_results = pl.read_parquet(out)
    efootprint_results = efootprint_results.with_columns(object_id=pl.when(pl.col("object_class") == "System")
                                                         .then(pl.lit("System-with-LLM")).otherwise("object_id"))
    assert parity().compare(efootprint_results, llm_reference, show=10)
