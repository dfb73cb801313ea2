"""The edge Python API (efootprint 27's names): edge_fleet built with it computes to efootprint's results, its
JSON computes in efootprint 27 to the same numbers, and bad input is named where it is given."""
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from conftest import REFERENCE, SHARED, parity
from edge_fleet_api import edge_fleet
from efp_tables.builders import api
from efp_tables.errors import ModelError
from efp_tables.units import Quantity

_DUMP = ("import sys; sys.path.insert(0, sys.argv[1]); import efootprint_dump; "
         "efootprint_dump.dump(sys.argv[2], sys.argv[3])")


@pytest.fixture(scope="module")
def system():
    return edge_fleet()


@pytest.fixture(scope="module")
def long(system):
    return system.compute().long()


def _parity_summary(ours, ref, capsys) -> str:
    ok = parity().compare(ours, ref)
    report = capsys.readouterr().out
    assert ok, report
    return report.strip().splitlines()[-1]


def test_edge_fleet_built_with_the_api_equals_efootprint(long, capsys):
    summary = _parity_summary(long, pl.read_parquet(REFERENCE / "edge_fleet.results.parquet"), capsys)
    assert summary.startswith("parity: OK matched 223/223"), summary
    assert "mismatched 0)" in summary


def test_calculated_attributes_on_the_objects(system, long):
    total = long.filter((pl.col("object_class") == "System") & (pl.col("attribute") == "total_footprint"))
    assert total["value"].sum() == pytest.approx(587_998.657, rel=1e-6)  # efootprint: 587,998.657 kg
    pattern = system.edge_usage_patterns[0]
    kiosk = pattern.edge_usage_journeys[0].edge_functions[0].recurrent_edge_device_needs[0].edge_device
    assert kiosk.appliance_component.id == "Self-checkout-kiosk-appliance"
    assert pattern.nb_deployments_in_parallel.max().magnitude == pytest.approx(220.0, rel=1e-6)  # 120 stores + 4 a month
    assert kiosk.instances_manufacturing_footprint.sum().to("kg").magnitude == pytest.approx(
        long.filter((pl.col("object_id") == "Self-checkout-kiosk")
                    & (pl.col("attribute") == "instances_manufacturing_footprint"))["value"].sum(), rel=1e-9)


def test_written_json_computes_in_efootprint_to_the_same_numbers(system, long, tmp_path, capsys):
    """The JSON writer's round trip: efootprint 27 itself computes the file our API wrote."""
    path = system.to_json(tmp_path / "edge_fleet_api.json")
    out = tmp_path / "efootprint.results.parquet"
    run = subprocess.run([sys.executable, "-c", _DUMP, str(SHARED / "tools"), str(path), str(out)],
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-4000:]
    summary = _parity_summary(long, pl.read_parquet(out), capsys)
    assert summary.startswith("parity: OK matched 223/223"), summary


def test_weekly_profile_forms_are_the_same_week():
    soc = api.EdgeCPUComponent.from_defaults("SoC")
    week = np.r_[[0.5] * 8, [2.0] * 2, [0.5] * 14]
    forms = [Quantity(np.tile(week, 7).astype(np.float32), "cpu_core"),
             {"recurring_values": str(np.tile(week, 7).tolist()), "unit": "cpu_core"},
             {"form_inputs": {"unit": "cpu_core", "profiles": [
                 {"name": "all", "days": list(range(7)), "baseline": 0.5, "ranges": [{"start": 8, "end": 10,
                                                                                     "value": 2.0}]}]}},
             ]
    weeks = [api.RecurrentEdgeComponentNeed("n", edge_component=soc, recurrent_need=f).profile() for f in forms]
    for other in weeks:
        assert other.tolist() == np.tile(week, 7).tolist()
    for constant in ("1.5 cpu_core", Quantity(1.5, "cpu_core"), {"value": 1.5, "unit": "cpu_core"},
                     {"form_inputs": {"constant_value": 1.5, "constant_unit": "cpu_core"}}):
        need = api.RecurrentEdgeComponentNeed("c", edge_component=soc, recurrent_need=constant)
        assert need.profile().tolist() == [1.5] * 168


def _need(recurrent_need, component=None):
    return api.RecurrentEdgeComponentNeed("Need", edge_component=component or api.EdgeCPUComponent.from_defaults("SoC"),
                                          recurrent_need=recurrent_need)


@pytest.mark.parametrize("value, message", [
    (Quantity(np.array([], dtype=np.float32), "cpu_core"), "empty weekly profile has no hours"),
    ({"recurring_values": "[]", "unit": "cpu_core"}, "empty weekly profile has no hours"),
    (Quantity(np.ones(167, dtype=np.float32), "cpu_core"), "exactly 168 values"),
    (Quantity(-np.ones(168, dtype=np.float32), "cpu_core"), "compute cannot be negative"),
    (Quantity(np.ones(168, dtype=np.float32), "GB_ram"), "convertible to cpu_core"),
    ("2 GB_ram", "cpu_core"),
    ([1.0] * 168, "a weekly profile in cpu_core"),
])
def test_bad_weekly_profiles_are_named(value, message):
    with pytest.raises(ModelError, match=r"RecurrentEdgeComponentNeed 'Need': recurrent_need") as error:
        _need(value)
    assert message in str(error.value)


def test_a_workload_outside_0_1_is_named():
    with pytest.raises(ModelError, match="workload between 0 and 1"):
        _need("1.5 concurrent", api.EdgeWorkloadComponent.from_defaults("Cameras"))
    appliance = api.EdgeAppliance.from_defaults("Kiosk")
    with pytest.raises(ModelError, match="RecurrentEdgeWorkload 'Load': recurrent_workload.*between 0 and 1"):
        api.RecurrentEdgeWorkload("Load", edge_device=appliance, recurrent_workload="2 concurrent")


def test_negative_server_calls_are_named():
    computer = api.EdgeComputer.from_defaults("PC", storage=api.EdgeStorage.ssd("SSD"))
    with pytest.raises(ModelError, match="recurrent_volume_per_edge_device.*calls cannot be negative"):
        api.RecurrentServerNeed("Sync", edge_device=computer, jobs=[], recurrent_volume_per_edge_device="-1 occurrence")


def test_a_storage_need_may_delete_data():
    storage = api.EdgeStorage.ssd("SSD")
    need = api.RecurrentEdgeStorageNeed("Purge", edge_component=storage, recurrent_need="-1 GB_stored")
    assert need.profile().tolist() == [-1.0] * 168


def test_wrong_links_and_units_are_named():
    with pytest.raises(ModelError, match="RecurrentEdgeStorageNeed 'N': edge_component = \"EdgeCPUComponent 'SoC'\": expected a EdgeStorage"):
        api.RecurrentEdgeStorageNeed("N", edge_component=api.EdgeCPUComponent.from_defaults("SoC"),
                                     recurrent_need="1 GB_stored")
    with pytest.raises(ModelError, match="RecurrentEdgeProcess 'P': edge_device = .*expected a EdgeComputer"):
        api.RecurrentEdgeProcess.from_defaults("P", edge_device=api.EdgeAppliance.from_defaults("Kiosk"))
    with pytest.raises(ModelError, match="EdgeCPUComponent 'SoC': power_per_unit = '3 kilogram': expected a quantity convertible to kilowatt"):
        api.EdgeCPUComponent.from_defaults("SoC", power_per_unit="3 kg")
    with pytest.raises(ModelError, match="EdgeComputer 'PC': storage = None"):
        api.EdgeComputer.from_defaults("PC")


def test_negative_counts_are_named():
    kiosk = api.EdgeAppliance.from_defaults("Kiosk")
    with pytest.raises(ModelError, match=r"EdgeDeviceGroup 'Lane': edge_device_counts\[Kiosk\] = -1.0: expected a "
                                         "count of at least 0"):
        api.EdgeDeviceGroup("Lane", edge_device_counts={kiosk: -1})
    with pytest.raises(ModelError, match="EdgeAppliance 'Kiosk': power = '-5 W': expected a finite number >= 0"):
        kiosk.power = "-5 W"
    with pytest.raises(ModelError, match="EdgeUsagePattern 'Shops': usage_span = '0 day': expected a finite number > 0"):
        _tiny_system(kiosk, usage_span="0 day")


def _tiny_system(kiosk, **pattern_inputs):
    from efp_tables.builders.time_series import from_list
    workload = api.RecurrentEdgeWorkload.from_defaults("Load", edge_device=kiosk)
    journey = api.EdgeUsageJourney("Journey", edge_functions=[api.EdgeFunction("F", recurrent_edge_device_needs=[workload])])
    pattern = api.EdgeUsagePattern.from_defaults(
        "Shops", edge_usage_journeys=[journey], network=api.Network.wifi_network(),
        country=api.Countries.FRANCE(), hourly_deployment_starts=from_list([1.0] + [0.0] * 100),
        **{"usage_span": "10 day", **pattern_inputs})
    return api.System("Fleet", edge_usage_patterns=[pattern])


def test_a_device_in_two_groups_and_nested_groups():
    kiosk = api.EdgeAppliance.from_defaults("Kiosk")
    lane = api.EdgeDeviceGroup("Lane", edge_device_counts={kiosk: 2})
    api.EdgeDeviceGroup("Shop", sub_group_counts={lane: 3}, edge_device_counts={kiosk: 1})
    system = _tiny_system(kiosk)
    system.compute()
    long = system.results_long()
    units = long.filter((pl.col("object_id") == "Kiosk") & (pl.col("attribute") == "total_nb_of_units"))
    assert units["value"].to_list() == [2.0 * 3 + 1.0]


def test_a_group_cycle_is_named():
    kiosk = api.EdgeAppliance.from_defaults("Kiosk")
    lane = api.EdgeDeviceGroup("Lane", edge_device_counts={kiosk: 1})
    shop = api.EdgeDeviceGroup("Shop", sub_group_counts={lane: 2})
    lane.sub_group_counts = {shop: 1}
    with pytest.raises(ModelError, match="cycle"):
        _tiny_system(kiosk).compute()


def test_a_device_need_without_component_needs_is_named():
    gateway = api.EdgeDevice.from_defaults("Gateway", components=[api.EdgeCPUComponent.from_defaults("SoC")])
    need = api.RecurrentEdgeDeviceNeed("Monitoring", edge_device=gateway, recurrent_edge_component_needs=[])
    with pytest.raises(ModelError, match="RecurrentEdgeDeviceNeed 'Monitoring'.*at least one component need"):
        need.checked_needs()


def test_a_need_on_another_devices_component_is_named():
    soc = api.EdgeCPUComponent.from_defaults("SoC")
    api.EdgeDevice.from_defaults("Other", components=[soc])
    gateway = api.EdgeDevice.from_defaults("Gateway", components=[api.EdgeCPUComponent.from_defaults("CPU")])
    need = api.RecurrentEdgeDeviceNeed("Monitoring", edge_device=gateway,
                                       recurrent_edge_component_needs=[_need("1 cpu_core", soc)])
    with pytest.raises(ModelError, match="components of its edge device 'Gateway'"):
        need.checked_needs()


def test_a_component_in_two_devices_is_named():
    soc = api.EdgeCPUComponent.from_defaults("SoC")
    first = api.EdgeDevice.from_defaults("First", components=[soc])
    second = api.EdgeDevice.from_defaults("Second", components=[soc])
    lane = api.EdgeDeviceGroup("Lane", edge_device_counts={first: 1, second: 1})
    kiosk = api.EdgeAppliance.from_defaults("Kiosk")
    lane.edge_device_counts = {first: 1, second: 1, kiosk: 1}
    with pytest.raises(ModelError, match="EdgeCPUComponent 'SoC': edge_device = 'Second'.*single edge device"):
        _tiny_system(kiosk).model()


def test_a_system_needs_usage_patterns():
    with pytest.raises(ModelError, match="System 'S': usage_patterns = \\[\\]"):
        api.System("S")


def test_defaults_are_efootprint_27s():
    cpu = api.EdgeCPUComponent.from_defaults("SoC")
    assert (cpu.compute_per_unit, cpu.power_per_unit, cpu.lifespan) == ("4.0 cpu_core", "15.0 watt", "6.0 year")
    computer = api.EdgeComputer.from_defaults("PC", storage=api.EdgeStorage.ssd("SSD"))
    assert [c.id for c in computer.edge_components()] == ["PC-CPU", "PC-RAM", "SSD"]
    process = api.RecurrentEdgeProcess.from_defaults("Backend", edge_device=computer)
    assert [n.id for n in process.component_needs()] == ["Backend-RAM-need", "Backend-CPU-need",
                                                         "Backend-storage-need"]
    assert process.compute_need.profile().tolist() == [1.0] * 168
    assert api.EdgeUsagePattern.default_values()["usage_span"] == "6.0 year"


def test_device_units_of_a_tree_equal_the_general_sums(monkeypatch):
    """edge_device_units reads a tree's units off its walk (each sum one term); the general path sums them in
    Polars. Both on the same trees (the edge_fleet reference; a three-level API tree with a device at two levels
    and one in no group) give the same table."""
    from polars.testing import assert_frame_equal

    from efp_tables.io.efootprint_json import read_model
    from efp_tables.stages import edge
    from efp_tables.stages.timeline import lazy_table, table_of
    kiosk, screen, spare = (api.EdgeAppliance.from_defaults(name) for name in ("Kiosk", "Screen", "Spare"))
    lane = api.EdgeDeviceGroup("Lane", edge_device_counts={kiosk: 2})
    shop = api.EdgeDeviceGroup("Shop", sub_group_counts={lane: 3}, edge_device_counts={screen: 5})
    api.EdgeDeviceGroup("Region", sub_group_counts={shop: 4})
    system = _tiny_system(kiosk)
    system.edge_usage_patterns[0].edge_usage_journeys[0].edge_functions[0].recurrent_edge_device_needs += [
        api.RecurrentEdgeWorkload.from_defaults(f"Load {device.name}", edge_device=device) for device in (screen, spare)]
    for model in (read_model(REFERENCE / "edge_fleet.json"), system.model()):
        tables = [lazy_table(model.table(name)) for name in ("edge_devices", "group_subgroups", "group_devices")]
        tree = table_of(edge.edge_device_units(*tables))
        with monkeypatch.context() as patched:
            patched.setattr(edge, "dimensions", lambda *frames: ["variant_forced"])  # the general path
            summed = table_of(edge.edge_device_units(*tables))
        assert_frame_equal(tree, summed)
        assert tree.height >= 4
    units = dict(zip(tree["object_id"].to_list(), tree["units"].to_list()))
    assert (units["Kiosk"], units["Screen"], units["Spare"], units["Lane"]) == (2.0 * 3 * 4, 5.0 * 4, 1.0, 12.0)
