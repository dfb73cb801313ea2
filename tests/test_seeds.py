"""The seeds' scripts run on efp_tables.efootprint with one word changed in their imports (`from efootprint.` ->
`from efp_tables.efootprint.`), and their final System, written by system_to_json and computed by `efp compute`,
equals what efootprint 27 computes from the same System saved by efootprint 9.0.0 (parity.py, objects matched by
class and name). The old names map to efootprint 27's with a warning each, and unknown ones fail clearly."""
import os
import subprocess
import sys
import warnings

import polars as pl
import pytest

from conftest import PARITY, REFERENCE, SHARED
from efp_tables.cli import main

SEEDS = SHARED / "seeds"
SEED_001 = SEEDS / "quickstart_seed_001.py"
SEED_000 = SEEDS / "quickstart_seed_000_restored_on_v8_2_1.py"
REFERENCE_RESULTS = REFERENCE / "old_versions" / "seed_001_v9.results.parquet"
# Seed 001 uses default_laptop, Autoscaling and default_ssd without importing them: its notebook ran in a kernel
# that seed 000's 8.x imports had left them in (see the notes at the top of the script). Its namespace starts so.
KERNEL_LEFTOVERS_OF_SEED_000 = """
from efootprint.builders.hardware.storage_defaults import default_ssd
from efootprint.core.hardware.servers.autoscaling import Autoscaling
from efootprint.builders.hardware.devices_defaults import default_laptop
"""


def switched(text: str) -> str:
    """The one-word switch of the imports."""
    return text.replace("from efootprint.", "from efp_tables.efootprint.")


def run_seed(path, folder, kernel_state: str = "") -> dict:
    """Run a seed script as written but for its imports, in `folder` (its plots land there); its namespace."""
    from efp_tables.efootprint import _layer
    _layer._warned.clear()  # each script warns as in a fresh interpreter, whatever ran before it in this one
    namespace = {"__name__": "__main__"}
    before = os.getcwd()
    os.chdir(folder)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(switched(kernel_state), "kernel state", "exec"), namespace)
            exec(compile(switched(path.read_text()), str(path), "exec"), namespace)
    finally:
        os.chdir(before)
    namespace["__warnings__"] = [str(w.message) for w in caught]
    return namespace


@pytest.fixture(scope="module")
def seed_001(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed_001")
    return run_seed(SEED_001, folder, KERNEL_LEFTOVERS_OF_SEED_000), folder


@pytest.fixture(scope="module")
def seed_000(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed_000")
    return run_seed(SEED_000, folder), folder


def by_reference_ids(ours: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    """Our results with each object's id replaced by the reference's id of the object of the same class and name
    (in object_id and in key_id paths such as "pattern/journey/J/step/S")."""
    objects = ["object_class", "object_name"]
    pairs = (ours.select(*objects, "object_id").unique()
             .join(reference.select(*objects, pl.col("object_id").alias("reference_id")).unique(), on=objects))
    assert pairs["object_id"].n_unique() == pairs.height == reference.select(*objects).unique().height
    ids = dict(zip(pairs["object_id"], pairs["reference_id"]))
    return ours.with_columns(
        pl.col("object_id").replace_strict(ids),
        pl.col("key_id").map_elements(lambda key: "/".join(ids.get(part, part) for part in key.split("/")),
                                      return_dtype=pl.String))


def assert_parity_with_efootprint_9_seed(system, folder):
    from efp_tables.efootprint.api_utils.system_to_json import system_to_json
    document = system_to_json(system, save_calculated_attributes=False, output_filepath=folder / "seed.json")
    assert document["efootprint_version"].startswith("27.")
    assert main(["compute", str(folder / "seed.json"), "--out", str(folder / "out")]) == 0
    reference = pl.read_parquet(REFERENCE_RESULTS)
    by_name = by_reference_ids(pl.read_parquet(folder / "out" / "results.parquet"), reference)
    by_name.write_parquet(folder / "by_reference_ids.parquet")
    result = subprocess.run([sys.executable, str(PARITY), str(folder / "by_reference_ids.parquet"),
                             str(REFERENCE_RESULTS)], capture_output=True, text=True)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0 and summary.startswith("parity: OK"), result.stdout[-3000:]
    assert "required missing 0/" in summary and "mismatched 0)" in summary
    total = by_name.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint"))
    return total["value"].sum()


def test_seed_001_runs_and_its_final_system_equals_efootprint_27_on_the_9_0_0_file(seed_001):
    namespace, folder = seed_001
    total_kg = assert_parity_with_efootprint_9_seed(namespace["system"], folder)
    assert round(total_kg) == 14_287_612
    for written in ("System footprints.html", "System footprints after reset.html", "bandwith reduction.png",
                    "LLM chat addition.png", "lower LLM inference carbon intensity.png", "All system diffs.png",
                    "object_relationships_graph.html", "device_population_fab_footprint_calculus_graph.html"):
        assert (folder / written).stat().st_size > 1000, written
    assert len(list(folder.glob("*.html"))) >= 12  # and every .plot() as an HTML chart in the working folder


def test_seed_000_restored_reaches_the_same_system(seed_000):
    namespace, folder = seed_000
    total_kg = assert_parity_with_efootprint_9_seed(namespace["system"], folder)
    assert round(total_kg) == 14_287_612
    assert round(namespace["system"].total_footprint.sum().value.to("kg").magnitude) == 14_287_612


def test_seed_001_shows_efootprint_27_values_of_its_old_inputs(seed_001):
    namespace, _ = seed_001
    storage, server, system = namespace["storage"], namespace["server"], namespace["system"]
    job = namespace["streaming_step"].jobs[0]
    # data_transferred (the upload) and data_download add up, as efootprint 9 merged them (reset to 800 MB)
    assert job.row()["data_transferred"] == pytest.approx(800.05)
    assert str(storage.storage_capacity.units) == "terabyte_stored" and storage.storage_capacity.magnitude == 1
    assert storage.row()["carbon_footprint_manufacturing_per_storage_capacity"] == 160
    assert server.utilization_rate.magnitude == 0.9 and server.server_utilization_rate is server.utilization_rate
    assert server.base_ram_consumption.to("MB_ram").magnitude == 300
    pattern = namespace["usage_pattern"]
    assert pattern.country.average_carbon_intensity.to("g/kWh").magnitude == 85  # efootprint 9.0.0's France
    assert pattern.devices[0].row()["carbon_footprint_manufacturing"] == 156  # 9.0.0's default laptop
    assert server.energy_footprint.sum().value == server.use_footprint.sum().value
    llm_server = namespace["llm_server"]
    assert llm_server.row()["server_class"] == "Server" and llm_server.server_type == "autoscaling"
    assert llm_server.compute.to("cpu_core").magnitude == 16
    assert [s.name for s in namespace["user_journey"].uj_steps] == ["20 min streaming", "1 min video capture then upload"]
    # the streaming job's own needs, computed before any System holds it (update_*), as efootprint 27's
    streaming_job = namespace["streaming_job"]
    assert streaming_job.data_transferred.to("MB").magnitude == pytest.approx(1920 * 1080 * 0.1 * 30 * 3600 / 8e6)
    warned = " ".join(namespace["__warnings__"])
    for old, new in [("UserJourney", "UsageJourney"), ("Job.cpu_needed", "Job.compute_needed"),
                     ("Server.server_utilization_rate", "Server.utilization_rate"), ("u.core", "u.cpu_core"),
                     ("UsagePattern.hourly_user_journey_starts", "UsagePattern.hourly_occurrences"),
                     ("Job.data_download", "part of Job.data_transferred"), ("Autoscaling", "Server")]:
        assert f"{old} is {new} in efootprint 27" in warned
    assert system.total_footprint.sum().value.to("kg").magnitude > 1e7


def test_each_old_name_warns_once_and_an_unknown_or_replaced_name_says_what_to_use():
    from efp_tables.efootprint import OldNameWarning, _layer
    from efp_tables.efootprint.abstract_modeling_classes.source_objects import SourceValue
    from efp_tables.efootprint.constants.units import u
    from efp_tables.efootprint.core.hardware.server import Server
    from efp_tables.efootprint.core.usage.usage_pattern import UsagePattern
    from efp_tables.errors import ModelError
    _layer._warned.discard("Server.server_utilization_rate")
    with pytest.warns(OldNameWarning, match="Server.server_utilization_rate is Server.utilization_rate") as caught:
        Server.from_defaults("a", server_utilization_rate=SourceValue(0.5 * u.dimensionless))
        Server.from_defaults("b", server_utilization_rate=SourceValue(0.5 * u.dimensionless))
    assert sum("server_utilization_rate" in str(w.message) for w in caught) == 1
    with pytest.raises(ModelError, match="cpu_speed.*one of the inputs"):
        Server.from_defaults("c", cpu_speed=SourceValue(3 * u.GHz))
    with pytest.raises(ModelError, match="user_journey_freq_per_user was replaced by hourly_occurrences"):
        UsagePattern("p", user_journey_freq_per_user=SourceValue(3 * u.dimensionless))
    with pytest.raises(ModelError, match="Server 'd': ram = '5 meter': expected a quantity convertible to gigabyte_ram"):
        Server.from_defaults("d", ram=SourceValue(5 * u.m))
