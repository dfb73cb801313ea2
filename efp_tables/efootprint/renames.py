"""The old e-footprint names the seeds' scripts use (efootprint 8.x to 9.0.0) and what they are in efootprint 27.

One table, read by the whole efp_tables.efootprint layer. The rules are the JSON upgrade chain's (shared/spec/
json_versions.md: 9->10 Hardware -> Device, 10->11 server_utilization_rate, 16->17 storage power dropped, 17->18 and
19->20 `_stored` / `_ram` units, 23->24 usage_journey(s) and hourly_occurrences, 24->25 fabrication ->
manufacturing and energy_footprint -> use_footprint), plus the 8.x -> 9.0.0 renames that no JSON file carries
(cpu names, data_upload / data_download, UserJourney, Autoscaling) as efootprint 9.0.0 made them.
TODO(issue 17): the JSON upgrade chain keeps its own copy of the 9->27 rules; the two should share one table.
"""
from __future__ import annotations

# Old class name -> (efootprint 27 class, inputs the old class fixed, the step that replaced it)
CLASSES: dict[str, tuple[str, dict, str]] = {
    "UserJourney": ("UsageJourney", {}, "efootprint 9.0.0 renamed it"),
    "UserJourneyStep": ("UsageJourneyStep", {}, "efootprint 9.0.0 renamed it"),
    "Hardware": ("Device", {}, "efootprint 10 renamed it (JSON step 9->10)"),
    "Autoscaling": ("Server", {"server_type": "autoscaling"}, "efootprint 9.0.0: a Server of server_type autoscaling"),
    "OnPremise": ("Server", {"server_type": "on-premise"}, "efootprint 9.0.0: a Server of server_type on-premise"),
    "Serverless": ("Server", {"server_type": "serverless"}, "efootprint 9.0.0: a Server of server_type serverless"),
}

SERVERS = ("Server", "GPUServer", "BoaviztaCloudServer")
JOBS = ("Job", "VideoStreamingJob", "WebApplicationJob")

# (efootprint 27 class or "*", old attribute) -> (efootprint 27 attribute, the step that renamed it).
# Inputs and calculated attributes alike; "*" applies to every class that has the new name.
ATTRIBUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "carbon_footprint_fabrication"): ("carbon_footprint_manufacturing", "24->25"),
    ("Storage", "carbon_footprint_fabrication_per_storage_capacity"):
        ("carbon_footprint_manufacturing_per_storage_capacity", "24->25"),
    ("GPUServer", "carbon_footprint_fabrication_per_gpu"): ("carbon_footprint_manufacturing_per_gpu", "24->25"),
    ("GPUServer", "carbon_footprint_fabrication_without_gpu"):
        ("carbon_footprint_manufacturing_without_gpu", "24->25"),
    ("*", "instances_fabrication_footprint"): ("instances_manufacturing_footprint", "24->25"),
    ("*", "energy_footprint"): ("use_footprint", "24->25"),
    ("*", "server_utilization_rate"): ("utilization_rate", "10->11"),
    ("*", "cpu_cores"): ("compute", "9.0.0"),
    ("*", "base_cpu_consumption"): ("base_compute_consumption", "9.0.0"),
    ("*", "cpu_needed"): ("compute_needed", "9.0.0"),
    ("Job", "data_upload"): ("data_transferred", "9.0.0 (data_upload and data_download add up)"),
    ("VideoStreamingJob", "data_download"): ("data_transferred", "9.0.0"),
    ("UsagePattern", "user_journey"): ("usage_journeys", "23->24 (one journey, weight 1)"),
    ("UsagePattern", "usage_journey"): ("usage_journeys", "23->24 (one journey, weight 1)"),
    ("UsagePattern", "hourly_user_journey_starts"): ("hourly_occurrences", "23->24"),
    ("UsagePattern", "hourly_usage_journey_starts"): ("hourly_occurrences", "23->24"),
    ("UsagePattern", "utc_hourly_user_journey_starts"): ("utc_hourly_occurrences", "23->24"),
    ("UsagePattern", "utc_hourly_usage_journey_starts"): ("utc_hourly_occurrences", "23->24"),
}

# Old inputs that efootprint 27 holds in another input: (class, old) -> (27 input, how, step).
# "add": the value is added to the 27 input (efootprint 9 merged a job's upload and download);
# "per_storage_capacity": 8.x's fabrication footprint of one storage unit, divided by its storage_capacity.
MERGED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Job", "data_download"): ("data_transferred", "add", "9.0.0 (data_transferred = upload + download)"),
    ("Storage", "carbon_footprint_fabrication"): (
        "carbon_footprint_manufacturing_per_storage_capacity", "per_storage_capacity",
        "9.0.0 (per unit of storage_capacity), then 24->25"),
}

# Old inputs that efootprint 27 no longer uses: accepted, left out, named in the warning.
DROPPED: dict[tuple[str, str], str] = {
    ("Storage", "power_per_storage_capacity"): "16->17: efootprint 27 counts no storage energy",
    ("Storage", "idle_power"): "16->17: efootprint 27 counts no storage energy",
    ("Storage", "power"): "16->17: efootprint 27 counts no storage energy",
    ("*", "fraction_of_usage_time"): "9->10: only devices have a fraction of usage time",
    ("*", "job_type"): "9->10: dropped",
    ("*", "description"): "9->10: dropped",
}

# Old calculated attributes made of efootprint 27 ones on linked objects: (class, old) -> (link, 27 attribute,
# key), the values of 27 attribute of every linked object at key (the object's own id) added up.
DERIVED: dict[tuple[str, str], tuple[str, str]] = {
    ("UsagePattern", "devices_fabrication_footprint"): ("devices", "instances_manufacturing_footprint_per_usage_pattern"),
    ("UsagePattern", "devices_energy_footprint"): ("devices", "use_footprint_per_usage_pattern"),
}

# Names with no efootprint 27 equivalent: what replaced them (the error says it).
REPLACED: dict[tuple[str, str], str] = {
    ("UsagePattern", "user_journey_freq_per_user"): "hourly_occurrences (journeys started each hour)",
    ("UsagePattern", "time_intervals"): "hourly_occurrences (journeys started each hour)",
    ("UsagePattern", "user_count"): "hourly_occurrences (journeys started each hour)",
    ("UsagePattern", "nb_usage_journeys_in_parallel"): "UsageJourney.nb_usage_journeys_in_parallel_per_usage_pattern",
    ("UsagePattern", "devices_energy"): "Device.use_footprint_per_usage_pattern (the energy is not kept apart)",
    ("UsagePattern", "energy_footprint"): "Device.use_footprint_per_usage_pattern and Network.use_footprint",
    ("UsagePattern", "instances_fabrication_footprint"): "Device.instances_manufacturing_footprint_per_usage_pattern",
    ("Storage", "storage_need_from_previous_year"): "base_storage_need",
    ("Storage", "nb_of_active_instances"): "nb_of_instances (efootprint 27 has no active storage instances)",
    ("Job", "service"): "a VideoStreamingJob's service (plain Jobs run on a server)",
}

# Inputs the seeds' era let a script leave out, with the value it took (in efootprint 27 names).
OPTIONAL: dict[tuple[str, str], object] = {
    ("VideoStreamingJob", "data_stored"): "0 MB_stored",
}

# Units the seeds write that efootprint 27 spells otherwise (17->18 and 19->20: `_stored`, 12->13: `_ram`).
UNITS = {"core": "cpu_core", "byte (storage)": "byte_stored", "byte (RAM)": "byte_ram"}

# Constructor parameters the seeds pass by position where efootprint 9.0.0's order differs (seed 001's Job: upload
# as data_transferred, then download, then stored, as 8.x's data_upload, data_download, data_stored).
POSITIONAL: dict[str, tuple[str, ...]] = {
    "Job": ("server", "data_transferred", "data_download", "data_stored", "request_duration", "cpu_needed", "ram_needed"),
}
