"""The edge_fleet reference (../shared/reference/edge_fleet.json) built with the Python API, in efootprint 27's
class and attribute names; weekly profiles in each form the API takes (efootprint's JSON forms, a pint
Quantity of 168 values, a constant)."""
from datetime import datetime

import numpy as np

from conftest import REFERENCE
from efp_tables.builders.api import (Country, EdgeAppliance, EdgeComputer, EdgeCPUComponent, EdgeDevice,
                                     EdgeDeviceGroup, EdgeFunction, EdgeRAMComponent, EdgeStorage,
                                     EdgeUsageJourney, EdgeUsagePattern, EdgeWorkloadComponent, Job, Network,
                                     RecurrentEdgeComponentNeed, RecurrentEdgeDeviceNeed, RecurrentEdgeProcess,
                                     RecurrentEdgeStorageNeed, RecurrentEdgeWorkload, RecurrentServerNeed, Server,
                                     Storage, System)
from efp_tables.builders.time_series import from_list
from efp_tables.io.efootprint_json import read_model
from efp_tables.units import Quantity


def day(name, days, baseline, *ranges):
    return {"name": name, "days": days, "baseline": baseline,
            "ranges": [{"start": a, "end": b, "value": v} for a, b, v in ranges]}


def profiles(unit, *days):
    return {"form_inputs": {"unit": unit, "profiles": list(days)}}


def deployment_starts():
    """The reference's deployment starts: 120 stores, then about 4 openings a month (local time)."""
    starts = read_model(REFERENCE / "edge_fleet.json").edge_deployment_starts["starts"].to_numpy()
    return from_list(starts, datetime(2025, 1, 1))


def edge_fleet() -> System:
    hq_storage = Storage("HQ inventory database", carbon_footprint_manufacturing_per_storage_capacity="160 kg/TB_stored",
                         storage_capacity="1 TB_stored", data_replication_factor=3, data_storage_duration="8766 hour",
                         base_storage_need="2 TB_stored", lifespan="6 year", power="0 W")
    hq = Server("HQ inventory API", server_type="autoscaling", carbon_footprint_manufacturing="600 kg",
                power="300 W", idle_power="50 W", lifespan="6 year", ram="128 GB_ram", compute="24 cpu_core",
                power_usage_effectiveness=1.2, average_carbon_intensity="180 g/kWh", utilization_rate=0.9,
                base_ram_consumption="0 GB_ram", base_compute_consumption="0 cpu_core", storage=hq_storage)
    upload = Job("Upload daily sales", server=hq, data_transferred="40 MB", data_stored="40 MB_stored",
                 request_duration="45 s", ram_needed="800 MB_ram", compute_needed="1 cpu_core")
    fetch = Job("Fetch price updates", server=hq, data_transferred="3 MB", data_stored="0 MB_stored",
                request_duration="4 s", ram_needed="200 MB_ram", compute_needed="0.5 cpu_core")

    kiosk = EdgeAppliance("Self-checkout kiosk", carbon_footprint_manufacturing="320 kg", power="140 W",
                          idle_power="30 W", lifespan="7 year")
    screen = EdgeAppliance("Digital signage screen", carbon_footprint_manufacturing="210 kg", power="95 W",
                           idle_power="0.5 W", lifespan="6 year")
    ssd = EdgeStorage("Back-office SSD", carbon_footprint_manufacturing_per_storage_capacity="160 kg/TB_stored",
                      storage_capacity_per_unit="512 GB_stored", base_storage_need="60 GB_stored", lifespan="6 year",
                      nb_of_units=1)
    mini_pc = EdgeComputer("Back-office mini PC", carbon_footprint_manufacturing="180 kg", power="65 W",
                           idle_power="12 W", lifespan="6 year", ram="16 GB_ram", compute="8 cpu_core",
                           base_ram_consumption="3 GB_ram", base_compute_consumption="0.5 cpu_core", storage=ssd)
    soc = EdgeCPUComponent("Gateway SoC", carbon_footprint_manufacturing_per_unit="9 kg", power_per_unit="7 W",
                           idle_power_per_unit="1.5 W", lifespan="6 year", nb_of_units=1,
                           compute_per_unit="4 cpu_core", base_compute_consumption="0 cpu_core")
    ram = EdgeRAMComponent("Gateway RAM", carbon_footprint_manufacturing_per_unit="3 kg", power_per_unit="1.5 W",
                           idle_power_per_unit="0.4 W", lifespan="6 year", nb_of_units=1, ram_per_unit="4 GB_ram",
                           base_ram_consumption="0.5 GB_ram")
    emmc = EdgeStorage("Gateway eMMC", carbon_footprint_manufacturing_per_storage_capacity="100 kg/TB_stored",
                       storage_capacity_per_unit="64 GB_stored", base_storage_need="8 GB_stored", lifespan="6 year",
                       nb_of_units=1)
    cameras = EdgeWorkloadComponent("Shelf camera array", carbon_footprint_manufacturing_per_unit="2.5 kg",
                                    power_per_unit="3.5 W", idle_power_per_unit="1 W", lifespan="6 year",
                                    nb_of_units=6)
    gateway = EdgeDevice("Shelf camera gateway", structure_carbon_footprint_manufacturing="6 kg", lifespan="6 year",
                         components=[soc, ram, emmc, cameras])

    lane = EdgeDeviceGroup("Checkout lane", edge_device_counts={kiosk: 1})
    EdgeDeviceGroup("Supermarket", sub_group_counts={lane: 6},
                    edge_device_counts={mini_pc: 1, screen: 4, gateway: 3})

    checkout = RecurrentEdgeWorkload("Checkout sessions", edge_device=kiosk, recurrent_workload=profiles(
        "concurrent", day("Mon-Fri", [0, 1, 2, 3, 4], 0.02, (8, 12, 0.35), (12, 14, 0.7), (14, 18, 0.4),
                          (18, 21, 0.8)),
        day("Saturday", [5], 0.02, (9, 21, 0.9)), day("Sunday", [6], 0.02, (9, 14, 0.3))))
    playlist = RecurrentEdgeWorkload("Promotions playlist", edge_device=screen, recurrent_workload=profiles(
        "concurrent", day("Mon-Sat", [0, 1, 2, 3, 4, 5], 0, (7, 22, 1.0)), day("Sunday", [6], 0, (9, 14, 1.0))))
    storage_day = [0.0] * 8 + [1.5] * 13 + [0.0] * 3
    storage_week = np.array(storage_day * 6 + [0.0] * 24, dtype=np.float32)
    storage_week[6 * 24 + 3] = -116.41500091552734  # Sunday 03:00: the week's sales archived
    backend = RecurrentEdgeProcess(
        "Point-of-sale and inventory backend", edge_device=mini_pc,
        recurrent_compute_needed=profiles("cpu_core", day("Mon-Sat", [0, 1, 2, 3, 4, 5], 0.8, (8, 21, 3.0)),
                                          day("Sunday", [6], 0.8, (2, 4, 4.0))),
        recurrent_ram_needed={"form_inputs": {"constant_value": 6, "constant_unit": "GB_ram"}},
        recurrent_storage_needed=Quantity(storage_week, "GB_stored"))
    sync = RecurrentServerNeed("Sync with HQ", edge_device=mini_pc, jobs={upload: 1, fetch: 2},
                               recurrent_volume_per_edge_device=profiles(
                                   "occurrence", day("Every day", list(range(7)), 0, (2, 3, 1), (7, 8, 1))))
    buffer_day = [0.0] * 8 + [0.25] * 13 + [0.0, 0.0, -3.25]
    monitoring = RecurrentEdgeDeviceNeed("Shelf monitoring on gateway", edge_device=gateway,
                                         recurrent_edge_component_needs=[
        RecurrentEdgeComponentNeed("Shelf vision inference", edge_component=soc, recurrent_need=profiles(
            "cpu_core", day("Mon-Sat", [0, 1, 2, 3, 4, 5], 0.2, (8, 21, 2.5)), day("Sunday", [6], 0.2, (9, 14, 2.5)))),
        RecurrentEdgeComponentNeed("Vision model in memory", edge_component=ram, recurrent_need="2.5 GB_ram"),
        RecurrentEdgeStorageNeed("Snapshot buffer", edge_component=emmc,
                                 recurrent_need={"recurring_values": str(buffer_day * 7), "unit": "gigabyte_stored"}),
        RecurrentEdgeComponentNeed("Cameras streaming", edge_component=cameras, recurrent_need=profiles(
            "concurrent", day("Mon-Sat", [0, 1, 2, 3, 4, 5], 0.1, (8, 21, 1.0)), day("Sunday", [6], 0.1, (9, 14, 1.0)))),
    ])
    operations = EdgeUsageJourney("Supermarket operations", edge_functions=[
        EdgeFunction("Checkout", recurrent_edge_device_needs=[checkout]),
        EdgeFunction("In-store promotions", recurrent_edge_device_needs=[playlist]),
        EdgeFunction("Store back-office", recurrent_edge_device_needs=[backend], recurrent_server_needs=[sync]),
        EdgeFunction("Shelf availability monitoring", recurrent_edge_device_needs=[monitoring])])
    spain = Country("Spain", short_name="ESP", average_carbon_intensity="146 g/kWh", timezone="Europe/Madrid")
    pattern = EdgeUsagePattern("Supermarkets in Spain", edge_usage_journeys=[operations],
                               network=Network("Store fibre uplink", bandwidth_energy_intensity="0.03 kWh/GB"),
                               country=spain, hourly_deployment_starts=deployment_starts(), usage_span="2 year")
    return System("Retail edge fleet", edge_usage_patterns=[pattern])
