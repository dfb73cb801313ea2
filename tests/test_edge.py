"""Edge computing (efootprint's EdgeUsagePattern side): weekly profiles in every JSON form, the quirks
reproduced, values against efootprint's own results on the edge_fleet reference, and bad input."""
import copy
import json
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE
from efp_tables.builders import weekly
from efp_tables.compute import compute
from efp_tables.errors import ModelError
from efp_tables.io.efootprint_json import model_rows
from efp_tables.tables.model import Model

EDGE = json.loads((REFERENCE / "edge_fleet.json").read_text())


def _model(document) -> Model:
    return Model.from_rows(model_rows(document))


@pytest.fixture(scope="module")
def results():
    return compute(_model(EDGE)).long()


@pytest.fixture(scope="module")
def reference():
    return pl.read_parquet(REFERENCE / "edge_fleet.results.parquet")


def test_weekly_profile_forms_give_the_same_week():
    day = {"name": "all", "days": list(range(7)), "baseline": 0.5, "ranges": [{"start": 8, "end": 10, "value": 2.0}]}
    from_profiles = weekly.week_from_json({"form_inputs": {"unit": "cpu_core", "profiles": [day]}}, "cpu_core", "x", "a")
    expected = np.tile(np.r_[[0.5] * 8, [2.0, 2.0], [0.5] * 14], 7)
    assert from_profiles.tolist() == expected.tolist()
    raw = weekly.week_from_json({"recurring_values": str(expected.tolist()), "unit": "cpu_core"}, "cpu_core", "x", "a")
    assert raw.tolist() == expected.tolist()
    constant = weekly.week_from_json({"form_inputs": {"constant_value": 6, "constant_unit": "GB_ram"}},
                                     "gigabyte_ram", "x", "a")
    assert constant.tolist() == [6.0] * 168
    in_mb = weekly.week_from_json({"form_inputs": {"constant_value": 1500, "constant_unit": "MB_ram"}},
                                  "gigabyte_ram", "x", "a")
    assert in_mb[0] == pytest.approx(1.5)


@pytest.mark.parametrize("value, message", [
    ({"recurring_values": "[]", "unit": "cpu_core"}, "empty weekly profile"),
    ({"form_inputs": {"unit": "cpu_core", "profiles": []}}, "empty weekly profile"),
    ({"recurring_values": str([1.0] * 167), "unit": "cpu_core"}, "exactly 168 values"),
    ({"form_inputs": {"unit": "cpu_core", "profiles": [
        {"name": "a", "days": [0, 1], "baseline": 0, "ranges": []}]}}, "days [2, 3, 4, 5, 6] are in none"),
    ({"recurring_values": str([1.0] * 168), "unit": "GB_ram"}, "convertible"),
])
def test_bad_weekly_profiles_are_named(value, message):
    with pytest.raises(ModelError, match=r"Need 'n': a") as error:
        weekly.week_from_json(value, "cpu_core", "Need 'n'", "a")
    assert message in str(error.value) or message == "convertible"


def test_edge_totals_equal_efootprint(results, reference):
    def total(frame, obj, attribute):
        return frame.filter((pl.col("object_id") == obj) & (pl.col("attribute") == attribute))["value"].sum()
    for obj, attribute in [("Retail-edge-fleet", "total_footprint"),
                           ("Self-checkout-kiosk", "instances_manufacturing_footprint"),
                           ("Shelf-camera-gateway", "use_footprint"),
                           ("Supermarkets-in-Spain", "nb_deployments_in_parallel"),
                           ("HQ-inventory-API", "instances_energy")]:
        ours, ref = total(results, obj, attribute), total(reference, obj, attribute)
        unit_factor = 1000.0 if attribute == "instances_energy" and obj != "HQ-inventory-API" else 1.0
        assert ours * unit_factor == pytest.approx(ref, rel=1e-5), (obj, attribute)
    units = results.filter(pl.col("attribute").is_in(["total_nb_of_units", "effective_nb_of_units_within_root"]))
    assert dict(zip(units["object_id"], units["value"])) == {
        "Self-checkout-kiosk": 6.0, "Digital-signage-screen": 4.0, "Shelf-camera-gateway": 3.0,
        "Back-office-mini-PC": 1.0, "Checkout-lane": 6.0, "Supermarket": 1.0}


def test_deployment_starts_roll_circularly_to_utc(results):
    """Spain is UTC+1 on 2025-01-01: the first local hour wraps to the end of the UTC series."""
    local = _model(EDGE).edge_deployment_starts["starts"].to_numpy()
    utc = results.filter(pl.col("attribute") == "utc_hourly_deployment_starts").sort("hour")["value"].to_numpy()
    assert utc.tolist() == np.roll(local, -1).tolist()


@pytest.mark.parametrize("hours", [0.5, 1.0, 1.5, 3.25, 8.0, 2190.0, 8760.0])
def test_events_in_progress_are_efootprints_fft_bit_for_bit(hours):
    """efootprint convolves by FFT in float32: its noise in hours whose exact value is 0 (which a server ceils into
    an instance) is ours, bit for bit, for series anywhere in a block (spans of their own, padded around)."""
    from efootprint.abstract_modeling_classes.explainable_hourly_quantities import ExplainableHourlyQuantities
    from efootprint.abstract_modeling_classes.explainable_quantity import ExplainableQuantity
    from efootprint.constants.units import u
    from efootprint.core.usage.compute_nb_occurrences_in_parallel import compute_nb_avg_hourly_occurrences

    from efp_tables.stages.hourly import in_progress
    rng = np.random.default_rng(7)
    lengths, at = np.array([24, 500, 1999, 3000]), np.array([0, 40, 7, 1000])
    starts = np.zeros((len(lengths), 4100))
    for row, (first, length) in enumerate(zip(at, lengths)):  # sparse whole starts: exact zeros in between
        values = np.where(rng.random(length) < 0.05, rng.integers(1, 5, length), 0.0) * rng.uniform(0.5, 3.0)
        starts[row, first:first + length] = values.astype(np.float32)
    ours, reach = in_progress(starts, np.full(len(lengths), hours), at, lengths)
    for row, (first, length) in enumerate(zip(at, lengths)):
        theirs = compute_nb_avg_hourly_occurrences(
            ExplainableHourlyQuantities(starts[row, first:first + length].astype(np.float32) * u.occurrence,
                                        start_date=datetime(2025, 1, 1), label="starts"),
            ExplainableQuantity(hours * u.hour, "duration")).value.magnitude
        assert len(theirs) == length + reach[row]  # the span grows by the kernel's reach
        assert ours[row, first:first + len(theirs)].astype(np.float32).tobytes() == theirs.tobytes()
        assert not ours[row, :first].any() and not ours[row, first + len(theirs):].any()
    if hours >= 2:  # the noise is there: values in hours whose exact count is 0 (a 1-hour kernel leaves none here)
        kernel = np.r_[np.ones(int(hours)), [hours % 1] if hours % 1 else []]
        exact = np.array([np.convolve(row, kernel) for row in starts])
        assert (ours[:, :exact.shape[1]][exact == 0] > 0).any()


def test_a_function_shared_by_two_journeys_doubles_its_needs():
    document = copy.deepcopy(EDGE)
    document["EdgeUsageJourney"]["Second-journey"] = {"name": "Second journey", "id": "Second-journey",
                                                      "edge_functions": ["Checkout"]}
    document["EdgeUsagePattern"]["Supermarkets-in-Spain"]["edge_usage_journeys"].append("Second-journey")
    once = compute(_model(EDGE)).long()
    twice = compute(_model(document)).long()

    def need(frame):
        return frame.filter((pl.col("object_id") == "Checkout-sessions-workload-need")
                            & (pl.col("attribute") == "unitary_hourly_need_per_usage_pattern"))["value"].to_numpy()
    assert need(twice) == pytest.approx(2 * need(once))


def test_a_device_in_two_groups_counts_in_both():
    document = copy.deepcopy(EDGE)
    document["EdgeDeviceGroup"]["Checkout-lane"]["edge_device_counts"]["Shelf-camera-gateway"] = {
        "value": 2.0, "unit": "dimensionless", "label": "unnamed source", "source": "hypothesis"}
    frame = compute(_model(document)).long()
    units = frame.filter((pl.col("object_id") == "Shelf-camera-gateway") & (pl.col("attribute") == "total_nb_of_units"))
    assert units["value"].to_list() == [3.0 + 2.0 * 6.0]


def test_a_group_cycle_is_named():
    document = copy.deepcopy(EDGE)
    document["EdgeDeviceGroup"]["Checkout-lane"]["sub_group_counts"]["Supermarket"] = {
        "value": 1.0, "unit": "dimensionless", "label": "unnamed source", "source": "hypothesis"}
    with pytest.raises(ModelError, match="cycle"):
        compute(_model(document)).long()


def test_a_storage_need_on_a_cpu_is_named():
    document = copy.deepcopy(EDGE)
    document["RecurrentEdgeStorageNeed"]["Snapshot-buffer"]["edge_component"] = "Gateway-SoC"
    with pytest.raises(ModelError, match="Snapshot-buffer.*an EdgeStorage"):
        _model(document)


def test_a_device_need_without_component_needs_is_named():
    document = copy.deepcopy(EDGE)
    document["RecurrentEdgeDeviceNeed"]["Shelf-monitoring-on-gateway"]["recurrent_edge_component_needs"] = []
    with pytest.raises(ModelError, match="Shelf-monitoring-on-gateway.*at least one component need"):
        _model(document)


def test_a_need_on_another_devices_component_is_named():
    document = copy.deepcopy(EDGE)
    document["RecurrentEdgeComponentNeed"]["Shelf-vision-inference"]["edge_component"] = "Back-office-mini-PC-CPU"
    with pytest.raises(ModelError, match="components of its edge device 'Shelf-camera-gateway'"):
        _model(document)


def test_a_peak_need_beyond_the_component_is_an_insufficient_capacity():
    document = copy.deepcopy(EDGE)
    document["EdgeCPUComponent"]["Gateway-SoC"]["compute_per_unit"]["value"] = 2.0
    with pytest.raises(ModelError, match="EdgeCPUComponent 'Gateway-SoC': compute = '2.5 cpu_core needed'"):
        compute(_model(document))


def test_storage_held_beyond_its_capacity_or_below_0_is_named():
    document = copy.deepcopy(EDGE)
    document["EdgeStorage"]["Gateway-eMMC"]["storage_capacity_per_unit"]["value"] = 10.0
    with pytest.raises(ModelError, match=r"EdgeStorage 'Gateway-eMMC': storage capacity = '0\.\d+ TB_stored needed'"):
        compute(_model(document))
    document = copy.deepcopy(EDGE)
    document["RecurrentEdgeStorageNeed"]["Snapshot-buffer"]["recurrent_need"]["recurring_values"] = str([-1.0] * 168)
    with pytest.raises(ModelError, match=r"EdgeStorage 'Gateway-eMMC': base_storage_need = '-\d.* held at the lowest"):
        compute(_model(document))


def test_a_device_shorter_lived_than_its_deployments_is_named():
    document = copy.deepcopy(EDGE)
    document["EdgeUsagePattern"]["Supermarkets-in-Spain"]["usage_span"]["value"] = 8.0
    with pytest.raises(ModelError, match="lifespan.*usage span of edge usage pattern 'Supermarkets-in-Spain'"):
        compute(_model(document))


def test_a_usage_span_sweep_gives_each_variant_its_own_compute(tmp_path):
    from efp_tables.sweeps import sweep
    totals = sweep(_model(EDGE), {"Supermarkets-in-Spain.usage_span": ["1 year", "2 year"]})[
        "total_footprint_kg"].to_list()
    one_year = copy.deepcopy(EDGE)
    one_year["EdgeUsagePattern"]["Supermarkets-in-Spain"]["usage_span"]["value"] = 1.0
    expected = [sum(compute(_model(doc)).total_footprint_kg().values()) for doc in (one_year, EDGE)]
    assert totals == pytest.approx(expected, rel=1e-9)
    assert expected[1] > expected[0] > 0


@pytest.mark.parametrize("changes", [
    {"Country/Spain/average_carbon_intensity": 300.0},
    {"EdgeComputer/Back-office-mini-PC/lifespan": 8.0, "EdgeCPUComponent/Gateway-SoC/lifespan": 7.0},
    {"EdgeAppliance/Self-checkout-kiosk/power": 200.0, "EdgeUsagePattern/Supermarkets-in-Spain/usage_span": 1.0},
])
def test_a_sweep_variant_equals_the_model_with_its_values(changes):
    """Each input a sweep varies (and only it) reaches every edge stage: device, component, country, span."""
    from efp_tables.sweeps import sweep
    units = {"average_carbon_intensity": "g/kWh", "lifespan": "year", "power": "W", "usage_span": "year"}
    document = copy.deepcopy(EDGE)
    grid = {}
    for path, value in changes.items():
        cls, obj, attribute = path.split("/")
        document[cls][obj][attribute]["value"] = value
        unit = units[attribute]
        if attribute == "average_carbon_intensity":
            value, unit = value / 1000, "kg/kWh"
        original = EDGE[cls][obj][attribute]["value"] / (1000 if attribute == "average_carbon_intensity" else 1)
        grid[f"{obj}.{attribute}"] = [f"{original} {unit}", f"{value} {unit}"]
    totals = sweep(_model(EDGE), grid)["total_footprint_kg"].to_list()
    expected_base = sum(compute(_model(EDGE)).total_footprint_kg().values())
    expected_changed = sum(compute(_model(document)).total_footprint_kg().values())
    assert totals[0] == pytest.approx(expected_base, rel=1e-9)
    assert totals[-1] == pytest.approx(expected_changed, rel=1e-9)
    assert expected_changed != pytest.approx(expected_base, rel=1e-6)


def test_json_writer_round_trip_through_efp_and_efootprint(tmp_path):
    """An edge model written to JSON reads back to the same tables, and efootprint 27 computes the written file
    to the same total."""
    from efootprint.api_utils.json_to_system import json_to_system
    from efp_tables.io.efootprint_json import read_model
    from efp_tables.io.efootprint_json_writer import write_model
    model = _model(EDGE)
    path = write_model(model, tmp_path / "edge.json")
    again = read_model(path)
    for name, frame in model.items():
        assert again.table(name).equals(frame), name
    ours = sum(compute(model).total_footprint_kg().values())
    classes, _, _ = json_to_system(json.loads(path.read_text()))
    system = next(iter(classes["System"].values()))
    assert float(system.total_footprint.sum().to("kg").magnitude) == pytest.approx(ours, rel=1e-6)


def test_a_portfolio_of_edge_systems_gives_each_its_own_weekly_profiles():
    """Two copies of edge_fleet, the second with its profiles x1.5 (same need ids): in one portfolio, each
    system's results equal its own compute (profiles are looked up by system and need, not by need alone)."""
    scaled = copy.deepcopy(EDGE)
    for objects in scaled.values():
        for obj in objects.values() if isinstance(objects, dict) else ():
            for value in obj.values():
                if isinstance(value, dict) and "recurring_values" in value:
                    value["recurring_values"] = str([1.5 * v for v in json.loads(value["recurring_values"])])
    alone = {name: Model.from_rows(model_rows(document, name)) for name, document in
             (("base", EDGE), ("scaled", scaled))}
    portfolio = compute(alone["base"].concat(alone["scaled"])).long()
    for name, model in alone.items():
        own = compute(model).long()
        keys = [c for c in own.columns if c != "value"]
        both = own.join(portfolio.filter(pl.col("system_id") == name), on=keys, how="full", nulls_equal=True)
        assert both.height == own.height  # the same rows
        assert both["value"].equals(both["value_right"])  # and the same bits
    needs = (portfolio.filter(pl.col("attribute") == "unitary_hourly_need_per_usage_pattern")
             .group_by("system_id", "object_id").agg(pl.col("value").abs().sum()).pivot("system_id", index="object_id"))
    scaled_ids = {obj_id for objects in EDGE.values() if isinstance(objects, dict)
                  for obj_id, obj in objects.items() if "recurring_values" in str(obj)}
    moved = needs.filter(pl.col("object_id").is_in(scaled_ids))
    assert moved.height >= 1 and np.allclose(moved["scaled"], 1.5 * moved["base"], rtol=1e-9)  # reached system 2
