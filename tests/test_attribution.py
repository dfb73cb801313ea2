"""Attribution atoms (stages.attribution): they split every source's footprint exactly once, and they equal
efootprint 27's atoms by shared/tools/attribution_parity.py on every web reference scenario."""
import importlib.util
from functools import cache

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE, SHARED
from efp_tables.compute import compute
from efp_tables.io.efootprint_json import read_model
from efp_tables.stages.hourly import aligned

WEB_SCENARIOS = ["quickstart", "quickstart_llm", "ecommerce", "ml_workflow", "quickstart_b", "ecommerce_b"]


@cache
def attribution_parity():
    spec = importlib.util.spec_from_file_location("attribution_parity", SHARED / "tools" / "attribution_parity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def results(scenario):
    return compute(read_model(REFERENCE / f"{scenario}.json"))


@pytest.mark.parametrize("scenario", WEB_SCENARIOS)
def test_atoms_of_a_source_and_phase_add_up_to_its_footprint(scenario):
    r = results(scenario)
    atoms = r.hourly("attribution").only("value").summed(["system_id", "source_id", "phase"])
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


@pytest.mark.parametrize("scenario", WEB_SCENARIOS)
def test_all_atoms_add_up_to_the_system_total_hour_by_hour(scenario):
    r = results(scenario)
    atoms, total = aligned(r.hourly("attribution").only("value").summed(["system_id"]), r.hourly("total_footprint"))
    assert atoms.keys["system_id"].to_list() == total.keys["system_id"].to_list()
    difference = np.abs(atoms["value"] - total["value"]).max()
    assert difference <= 1e-6 * np.abs(total["value"]).max(), difference
    assert total["value"].sum() > 0


@pytest.mark.parametrize("scenario", WEB_SCENARIOS)
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
