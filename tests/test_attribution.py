"""Attribution atoms (stages.attribution): they split every source's footprint exactly once, and they equal
efootprint 27's atoms by shared/tools/attribution_parity.py on every reference scenario efp_tables computes (web
and edge), and on edge models that efootprint attributes live."""
import importlib.util
import json
from functools import cache

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE, SHARED
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model
from efp_tables.stages.hourly import Hourly, aligned

WEB_SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "quickstart_b", "ecommerce_b"]
SCENARIOS = [*WEB_SCENARIOS, "edge_fleet", "genai_assistant"]


@cache
def attribution_parity():
    spec = importlib.util.spec_from_file_location("attribution_parity", SHARED / "tools" / "attribution_parity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def results(scenario):
    return compute(read_model(REFERENCE / f"{scenario}.json"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_atoms_of_a_source_and_phase_add_up_to_its_footprint(scenario):
    r = results(scenario)
    atoms = r.hourly("attribution").only("value").summed(["system_id", "source_id", "phase"])
    # an external API's footprint is its server's (efootprint keys the category by the API, atoms by the server)
    api_of = dict(zip(*r.model.table("external_api_servers").select("external_api_server_id", "external_api_id")))
    atoms = Hourly(atoms.keys.with_columns(pl.col("source_id").replace(api_of)), atoms.blocks, atoms.start)
    footprints = r.hourly("footprint_by_object")
    atoms, footprints = aligned(atoms, footprints)
    sums = atoms.keys.with_columns(pl.Series("_at", np.arange(atoms.height)))
    objects = footprints.keys.with_columns(pl.Series("_fp", np.arange(footprints.height)))
    pairs = sums.join(objects, left_on=["system_id", "source_id", "phase"],
                      right_on=["system_id", "object_id", "phase"], how="full")
    # Every footprint with a value has atoms, and every atom a footprint.
    fp_values = footprints["value"]
    unmatched = pairs.filter(pl.col("_at").is_null())["_fp"].to_numpy()
    assert not np.abs(fp_values[unmatched]).any(), pairs.filter(pl.col("_at").is_null())
    assert pairs["_fp"].null_count() == 0
    pairs = pairs.drop_nulls("_at")
    ours, theirs = atoms["value"][pairs["_at"].to_numpy()], fp_values[pairs["_fp"].to_numpy()]
    peak = np.abs(theirs).max(axis=1, keepdims=True)
    storage = (pairs["category"] == "Storage").to_numpy()[:, None]
    # Storage retention atoms weigh float32 cumulative sums (as efootprint's): they add up within 1e-5 of the
    # peak (efootprint's own within ~1e-4); every other source's atoms add up exactly, up to float64 rounding.
    tolerance = np.where(storage, 1e-5, 1e-9) * peak + 1e-12
    assert (np.abs(ours - theirs) <= tolerance).all(), np.abs(ours - theirs).max(axis=1) / peak[:, 0]
    assert pairs.height > 3


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_all_atoms_add_up_to_the_system_total_hour_by_hour(scenario):
    r = results(scenario)
    atoms, total = aligned(r.hourly("attribution").only("value").summed(["system_id"]), r.hourly("total_footprint"))
    assert atoms.keys["system_id"].to_list() == total.keys["system_id"].to_list()
    difference = np.abs(atoms["value"] - total["value"]).max()
    assert difference <= 1e-6 * np.abs(total["value"]).max(), difference
    assert total["value"].sum() > 0


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_atoms_equal_efootprint_atoms(scenario, capsys):
    from efp_tables.io.attribution_table import atoms_table
    ours = pl.from_arrow(atoms_table(results(scenario)))
    reference = pl.read_parquet(REFERENCE / f"{scenario}.attribution.parquet")
    ok = attribution_parity().compare(ours, reference)
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert ok, summary
    assert f"matched {reference.select(attribution_parity().KEY).unique().height}/" in summary


def test_a_system_without_any_cell_has_no_atoms():
    from datetime import datetime

    from efp_tables.builders.api import Countries, Network, System, UsageJourney, UsageJourneyStep, UsagePattern
    from efp_tables.builders.time_series import linear_growth_hourly_values
    step = UsageJourneyStep("Read", user_time_spent="1 min", jobs=[])
    pattern = UsagePattern("Readers", hourly_occurrences=linear_growth_hourly_values("1 day", 10, 20,
                                                                                      datetime(2025, 1, 1)),
                           usage_journeys=[UsageJourney("Reading", uj_steps=[step])], devices=[],
                           network=Network("WIFI network", bandwidth_energy_intensity="0.05 kWh/GB"),
                           country=Countries.FRANCE())
    results = System("Idle", usage_patterns=[pattern]).compute()
    atoms = results.hourly("attribution")
    assert atoms.height == 0 and sum(results.total_footprint_kg().values()) == 0.0
    from efp_tables.io.attribution_table import atoms_table
    assert atoms_table(results).num_rows == 0


def _edge_variant(change: str) -> dict:
    """edge_fleet with one structural change that its own atoms do not exercise."""
    model = json.loads((REFERENCE / "edge_fleet.json").read_text())
    gateway_needs = model["RecurrentEdgeDeviceNeed"]["Shelf-monitoring-on-gateway"]
    if change in ("unused component", "unused component and server need"):
        # the gateway's eMMC gets no need: its manufacturing joins the chassis pool of the gateway's carriers
        gateway_needs["recurrent_edge_component_needs"].remove("Snapshot-buffer")
        del model["RecurrentEdgeStorageNeed"]
    if change == "unused component and server need":
        # the server need is the gateway's, and two functions call it: the pool has a server-need carrier, and
        # the jobs' edge cells split over two paths
        model["RecurrentServerNeed"]["Sync-with-HQ"]["edge_device"] = "Shelf-camera-gateway"
        model["EdgeFunction"]["Shelf-availability-monitoring"]["recurrent_server_needs"] = ["Sync-with-HQ"]
    if change == "device reached only through a server need":
        model["RecurrentServerNeed"]["Sync-with-HQ"]["edge_device"] = "Shelf-camera-gateway"
        journey = model["EdgeUsageJourney"]["Supermarket-operations"]
        journey["edge_functions"].remove("Shelf-availability-monitoring")
    return model


@pytest.mark.parametrize("change", ["unused component", "unused component and server need",
                                    "device reached only through a server need"])
def test_edge_atoms_equal_efootprint_live_atoms(change, tmp_path, capsys):
    from efootprint_live import LiveModel

    from efp_tables.io.attribution_table import atoms_table
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(_edge_variant(change)))
    reference = LiveModel(path).atoms()
    results = compute(read_model(path))
    ours = pl.from_arrow(atoms_table(results))
    ok = attribution_parity().compare(ours, reference)
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert ok, summary
    gateway = ours.filter(pl.col("source_id") == "Shelf-camera-gateway")
    if change == "device reached only through a server need":
        # computed, but neither in the system's total nor attributed (efootprint's System.edge_devices)
        assert gateway.is_empty()
        assert "Shelf-camera-gateway" in results.hourly("edge_device_footprints").keys["edge_device_id"].to_list()
    elif change == "unused component and server need":
        carried = gateway.filter(pl.col("rsn_id") == "Sync-with-HQ")
        assert carried["ef_id"].unique().sort().to_list() == ["Shelf-availability-monitoring", "Store-back-office"]
        assert carried["value_kg"].sum() > 0
    else:
        assert gateway["recn_id"].unique().sort().to_list() == ["Cameras-streaming", "Shelf-vision-inference",
                                                               "Vision-model-in-memory"]
    atoms = results.hourly("attribution").only("value").summed(["system_id"])
    atoms, total = aligned(atoms, results.hourly("total_footprint"))
    assert np.abs(atoms["value"] - total["value"]).max() <= 1e-6 * np.abs(total["value"]).max()
